import { createRequire } from 'node:module';
import type * as YamlLib from 'yaml';

export type OutputFormat = 'table' | 'json' | 'yaml';

export function parseFormat(v: string | undefined): OutputFormat {
  if (v === undefined || v === 'table' || v === 'wide') return 'table';
  if (v === 'json' || v === 'yaml') return v;
  throw new UsageError(`-o/--output must be json, yaml or table, not "${v}"`);
}

/** Rows as an aligned table with an upper-case header. */
export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(header.map((h) => h.toUpperCase())), ...rows.map(line)].join('\n');
}

export function printTable(header: string[], rows: string[][]): void {
  console.log(formatTable(header, rows));
}

export function printData(data: unknown, format: 'json' | 'yaml'): void {
  if (format === 'json') return console.log(JSON.stringify(data, null, 2));
  // Loaded only for -o yaml: the library is a third of a CLI call's start-up (bench/cli).
  const yaml = createRequire(import.meta.url)('yaml') as typeof YamlLib;
  console.log(yaml.stringify(data).trimEnd());
}

/** Wrong arguments: printed without a stack trace, exit code 2. */
export class UsageError extends Error {}
