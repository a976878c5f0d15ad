import { describe, expect, it } from 'vitest';
import { parseDuration, retryDelayMs, setCondition } from './status.js';

describe('status helpers', () => {
  it('keeps lastTransitionTime while a condition keeps its status', () => {
    const a = setCondition(
      undefined,
      { type: 'Ready', status: 'True', reason: 'Synced', message: 'ok' },
      't1',
    );
    const b = setCondition(a, { type: 'Ready', status: 'True', reason: 'Synced', message: 'still ok' }, 't2');
    const c = setCondition(b, { type: 'Ready', status: 'False', reason: 'Failed', message: 'no' }, 't3');
    expect(b[0]?.lastTransitionTime).toBe('t1');
    expect(b[0]?.message).toBe('still ok');
    expect(c[0]?.lastTransitionTime).toBe('t3');
    expect(c).toHaveLength(1);
  });

  it('parses durations and grows retry delays exponentially up to the cap', () => {
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('300ms')).toBe(300);
    expect(() => parseDuration('5 minutes')).toThrow(/invalid duration/);
    expect(
      [0, 1, 2, 3].map((n) => retryDelayMs(n, { duration: '1s', factor: 2, maxDuration: '5s' })),
    ).toEqual([1000, 2000, 4000, 5000]);
  });
});
