import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { favourSmallHeap } from './small-heap.js';

const moduleUrl = new URL('./small-heap.ts', import.meta.url).href;

/**
 * Runs a burst of surviving allocations (what a cold sync does) in a fresh Node process, after
 * favourSmallHeap with `env`, and returns the young generation's size before and after, MiB.
 * A child process, because the V8 flag is process-wide and must not change the test runner's heap.
 */
function youngGenerationAcrossBurst(mode: string | undefined): { before: number; after: number } {
  const script = `
    import { favourSmallHeap, youngGenerationBytes } from ${JSON.stringify(moduleUrl)};
    favourSmallHeap(${JSON.stringify(mode === undefined ? {} : { GITFLEET_HEAP: mode })});
    const before = youngGenerationBytes();
    const keep = [];
    for (let r = 0; r < 6; r++)
      for (let i = 0; i < 200000; i++) {
        keep.push({ a: i, b: 'x' + i, c: [i] });
        if (keep.length > 150000) keep.splice(0, 50000);
      }
    console.log(JSON.stringify({ before, after: youngGenerationBytes() }));
  `;
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: fileURLToPath(new URL('../..', import.meta.url)),
    encoding: 'utf8',
    timeout: 60_000,
  });
  const { before, after } = JSON.parse(out) as { before: number; after: number };
  return { before: before / 1048576, after: after / 1048576 };
}

describe('favourSmallHeap', () => {
  it('keeps the young generation at its size through a burst of surviving allocations', () => {
    const { before, after } = youngGenerationAcrossBurst(undefined);
    expect(after).toBeLessThanOrEqual(Math.max(before, 4));
  }, 120_000);

  it('leaves V8 to grow it with GITFLEET_HEAP=default', () => {
    // The same burst grows V8's default young generation towards its maximum (32 MiB on 64-bit).
    const { before, after } = youngGenerationAcrossBurst('default');
    expect(after).toBeGreaterThanOrEqual(Math.max(before * 2, 8));
  }, 120_000);

  it('refuses an unknown value, naming the variable', () => {
    expect(() => favourSmallHeap({ GITFLEET_HEAP: 'tiny' })).toThrow(/GITFLEET_HEAP=tiny/);
  });
});
