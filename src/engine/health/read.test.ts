import { describe, expect, it } from 'vitest';
import { bool, condition, conditions, field, list, num, str, time } from './read.js';

const obj = {
  spec: { replicas: 3, paused: true, name: 'web', items: [1, 2], nan: Number.NaN },
  status: {
    conditions: [
      { type: 'Ready', status: 'True', reason: 'Ok', observedGeneration: 2 },
      { type: 'Broken' },
      'not an object',
      { type: 'Stalled', status: 'False' },
    ],
    lastScheduleTime: '2025-01-01T00:00:00Z',
    bad: 'yesterday',
  },
};

describe('field readers', () => {
  it('follow a path and stop at missing or non-object steps', () => {
    expect(field(obj, 'spec', 'replicas')).toBe(3);
    expect(field(obj, 'spec', 'missing', 'deeper')).toBeUndefined();
    expect(field(obj, 'spec', 'replicas', 'deeper')).toBeUndefined();
    expect(field(null, 'spec')).toBeUndefined();
    expect(field(obj, 'spec', 'items', '0')).toBeUndefined();
  });

  it('narrow by type and answer undefined on a mismatch', () => {
    expect(num(obj, 'spec', 'replicas')).toBe(3);
    expect(num(obj, 'spec', 'name')).toBeUndefined();
    expect(num(obj, 'spec', 'nan')).toBeUndefined();
    expect(str(obj, 'spec', 'name')).toBe('web');
    expect(str(obj, 'spec', 'replicas')).toBeUndefined();
    expect(bool(obj, 'spec', 'paused')).toBe(true);
    expect(bool(obj, 'spec', 'name')).toBeUndefined();
    expect(list(obj, 'spec', 'items')).toEqual([1, 2]);
    expect(list(obj, 'spec', 'name')).toEqual([]);
  });

  it('parse timestamps and reject garbage', () => {
    expect(time(obj, 'status', 'lastScheduleTime')).toBe(Date.UTC(2025, 0, 1));
    expect(time(obj, 'status', 'bad')).toBeUndefined();
    expect(time(obj, 'status', 'missing')).toBeUndefined();
  });
});

describe('conditions', () => {
  it('keep well-formed entries only', () => {
    expect(conditions(obj)).toEqual([
      { type: 'Ready', status: 'True', reason: 'Ok', observedGeneration: 2 },
      { type: 'Stalled', status: 'False' },
    ]);
    expect(conditions({ status: { conditions: 'nope' } })).toEqual([]);
  });

  it('find a condition by type', () => {
    expect(condition(obj, 'Stalled')?.status).toBe('False');
    expect(condition(obj, 'Broken')).toBeUndefined();
  });
});
