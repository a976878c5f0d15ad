import { GitfleetError } from '../core/errors.js';

/** Parses Go-style durations (`30m`, `1h`, `1h30m`, `90s`) into milliseconds; throws naming the text. */
export function parseWindowDuration(s: string): number {
  let total = 0;
  let consumed = 0;
  for (const m of s.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) {
    const n = Number(m[1]);
    const unit = m[2];
    total += n * (unit === 'ms' ? 1 : unit === 's' ? 1000 : unit === 'm' ? 60_000 : 3_600_000);
    consumed += m[0].length;
  }
  if (consumed !== s.length || total <= 0)
    throw new GitfleetError(
      'governance.InvalidDuration',
      `invalid duration "${s}" (expected e.g. 30m, 1h, 1h30m)`,
    );
  return total;
}
