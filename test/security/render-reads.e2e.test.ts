// A tenant's repository may hold a file far larger than any render may produce. Read as an
// attacker: a kustomization that only lists such a file must not make the hub read it into memory
// (the kustomize shortcut judges a file by its size before opening it). The file is sparse, so the
// test costs no disk; a fresh process reads it, and its peak RSS says whether it was read.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { afterEach, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const plainModule = fileURLToPath(new URL('../../src/engine/render/kustomize-plain.ts', import.meta.url));
const made: string[] = [];
afterEach(() => {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('the kustomize shortcut and a huge resource file', () => {
  it('declines a 1.5 GiB file without reading it into the process', async () => {
    const root = mkdtempSync(join(tmpdir(), 'gitfleet-sec-reads-'));
    made.push(root);
    mkdirSync(join(root, 'app'));
    writeFileSync(join(root, 'app/kustomization.yaml'), 'resources: [huge.yaml]\n');
    writeFileSync(join(root, 'app/huge.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: huge}\n');
    truncateSync(join(root, 'app/huge.yaml'), 1.5 * 1024 ** 3);
    const script = [
      `const { plainKustomization } = await import(${JSON.stringify(plainModule)});`,
      `const out = await plainKustomization({ abs: ${JSON.stringify(join(root, 'app'))}, rel: 'app' }, 'app/kustomization.yaml', 32 * 1024 * 1024);`,
      'console.log(JSON.stringify({ declined: out === undefined, maxRssKiB: process.resourceUsage().maxRSS }));',
    ].join('\n');
    const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
      maxBuffer: 1 << 20,
    });
    const r = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as { declined: boolean; maxRssKiB: number };
    expect(r.declined).toBe(true);
    // Reading the file before judging its size peaked at 600 MiB; without reading it, about 85 MiB.
    expect(r.maxRssKiB).toBeLessThan(256 * 1024);
  });
});
