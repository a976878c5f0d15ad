import { describe, expect, it } from 'vitest';
import { WorkQueue } from './queue.js';

describe('WorkQueue onWait', () => {
  it('reports how long each key waited for a worker', async () => {
    const waits = new Map<string, number>();
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const q = new WorkQueue({
      concurrency: 1,
      handler: async (k) => {
        if (k === 'first') await gate;
      },
      onWait: (k, ms) => waits.set(k, ms),
    });
    q.add('first');
    q.add('second');
    await new Promise((r) => setTimeout(r, 50));
    release();
    await q.idle();
    expect(waits.get('first')).toBeLessThan(20);
    // 'second' waited behind 'first' for the one worker.
    expect(waits.get('second')).toBeGreaterThanOrEqual(45);
  });
});
