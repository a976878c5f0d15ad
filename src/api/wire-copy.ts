import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');
/** The one source of the hub API's response types. */
export const WIRE_SOURCE = join(root, 'src', 'api', 'wire.ts');
/** Its copy for the web UI (web/ never imports src/). */
export const WIRE_COPY = join(root, 'web', 'src', 'api', 'wire.ts');

/** The web copy of the wire module's text: the same text under a line saying where it comes from. */
export function wireCopy(source: string): string {
  return `// Generated from src/api/wire.ts by scripts/sync-wire.ts: edit that file, then run the script.\n${source}`;
}
