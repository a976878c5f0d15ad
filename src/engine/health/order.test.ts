import { describe, expect, it } from 'vitest';
import { isWorse, worst } from './order.js';
import { healthOrder } from './types.js';

describe('isWorse', () => {
  it('follows Healthy < Suspended < Progressing < Missing < Degraded < Unknown', () => {
    expect(healthOrder).toEqual(['Healthy', 'Suspended', 'Progressing', 'Missing', 'Degraded', 'Unknown']);
    for (let i = 1; i < healthOrder.length; i++) {
      const better = healthOrder[i - 1];
      const worse = healthOrder[i];
      if (better === undefined || worse === undefined) throw new Error('unreachable');
      expect(isWorse(worse, better)).toBe(true);
      expect(isWorse(better, worse)).toBe(false);
    }
  });

  it('is false for equal statuses', () => {
    for (const status of healthOrder) expect(isWorse(status, status)).toBe(false);
  });
});

describe('worst', () => {
  it('is Healthy for an empty list', () => {
    expect(worst([])).toBe('Healthy');
  });

  it('picks the worst status regardless of position', () => {
    expect(worst(['Degraded', 'Healthy', 'Progressing'])).toBe('Degraded');
    expect(worst(['Suspended', 'Healthy'])).toBe('Suspended');
    expect(worst(['Missing', 'Progressing', 'Suspended'])).toBe('Missing');
    expect(worst(['Degraded', 'Unknown', 'Missing'])).toBe('Unknown');
  });
});
