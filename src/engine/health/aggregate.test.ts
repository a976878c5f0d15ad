import { describe, expect, it } from 'vitest';
import { aggregateHealth } from './aggregate.js';

describe('aggregateHealth', () => {
  it('is Healthy for no results or only objects without health', () => {
    expect(aggregateHealth([])).toEqual({ status: 'Healthy' });
    expect(aggregateHealth([undefined, undefined])).toEqual({ status: 'Healthy' });
  });

  it('reports the worst result with its message', () => {
    expect(
      aggregateHealth([
        { status: 'Healthy' },
        { status: 'Progressing', message: 'rolling out' },
        undefined,
        { status: 'Degraded', message: 'crash loop' },
        { status: 'Suspended', message: 'paused' },
      ]),
    ).toEqual({ status: 'Degraded', message: 'crash loop' });
  });

  it('keeps the message of the first result with the worst status', () => {
    expect(
      aggregateHealth([
        { status: 'Progressing', message: 'first' },
        { status: 'Progressing', message: 'second' },
      ]),
    ).toEqual({ status: 'Progressing', message: 'first' });
  });

  it('keeps a Healthy message when everything is Healthy', () => {
    expect(aggregateHealth([undefined, { status: 'Healthy', message: 'Job completed' }])).toEqual({
      status: 'Healthy',
      message: 'Job completed',
    });
  });

  it('does not return the caller’s object', () => {
    const input = { status: 'Degraded' as const, message: 'x' };
    const result = aggregateHealth([input]);
    expect(result).toEqual(input);
    expect(result).not.toBe(input);
  });
});
