import { describe, expect, it } from 'vitest';
import { microTime, leaseHeld } from './lease.js';
import { ownerOf } from './shards.js';

describe('ownerOf', () => {
  const clusters = Array.from({ length: 200 }, (_, i) => `cluster-${i}`);

  it('gives every key to exactly one member, the same answer on every replica', () => {
    const a = clusters.map((c) => ownerOf(c, ['hub-a', 'hub-b']));
    const b = clusters.map((c) => ownerOf(c, ['hub-b', 'hub-a']));
    expect(a).toEqual(b);
    const share = a.filter((o) => o === 'hub-a').length;
    // Spread, not all on one replica.
    expect(share).toBeGreaterThan(60);
    expect(share).toBeLessThan(140);
  });

  it('moves only the departed member’s keys when one leaves', () => {
    const before = clusters.map((c) => ownerOf(c, ['hub-a', 'hub-b', 'hub-c']));
    const after = clusters.map((c) => ownerOf(c, ['hub-a', 'hub-c']));
    clusters.forEach((_, i) => {
      if (before[i] !== 'hub-b') expect(after[i]).toBe(before[i]);
      else expect(after[i]).not.toBe('hub-b');
    });
  });

  it('has no owner without members', () => {
    expect(ownerOf('x', [])).toBeUndefined();
  });
});

describe('leases', () => {
  it('formats MicroTime with six fractional digits', () => {
    expect(microTime(new Date('2026-01-02T03:04:05.678Z'))).toBe('2026-01-02T03:04:05.678000Z');
  });

  it('is held until renewTime + duration', () => {
    const lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'l' },
      spec: { holderIdentity: 'a', renewTime: '2026-01-01T00:00:00.000000Z', leaseDurationSeconds: 10 },
    };
    expect(leaseHeld(lease, Date.parse('2026-01-01T00:00:09Z'))).toBe(true);
    expect(leaseHeld(lease, Date.parse('2026-01-01T00:00:11Z'))).toBe(false);
    expect(leaseHeld({ ...lease, spec: { renewTime: lease.spec.renewTime } })).toBe(false);
  });
});
