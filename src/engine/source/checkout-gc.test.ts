import { describe, expect, it } from 'vitest';
import { CheckoutLedger } from './checkout-gc.js';

function ledger(policy: Partial<{ keepPerRepo: number; maxBytes: number; leaseMs: number }> = {}) {
  const clock = { now: 0 };
  const l = new CheckoutLedger(
    { keepPerRepo: 2, maxBytes: Number.MAX_SAFE_INTEGER, leaseMs: 100, ...policy },
    () => clock.now,
  );
  return { l, clock };
}

describe('CheckoutLedger', () => {
  it('keeps leased checkouts and the N most recent per repository', () => {
    const { l, clock } = ledger();
    for (const sha of ['a', 'b', 'c', 'd']) {
      l.touch(sha, 'repo1');
      clock.now += 10;
    }
    // All within their lease.
    expect(l.takeVictims()).toEqual([]);
    clock.now += 200;
    expect(l.takeVictims().sort()).toEqual(['a', 'b']);
    expect(l.size).toBe(2);
  });

  it('keeps a checkout recent for any of its repositories', () => {
    const { l, clock } = ledger({ keepPerRepo: 1 });
    l.touch('shared', 'fork');
    clock.now += 1;
    l.touch('x', 'origin');
    clock.now += 1;
    l.touch('shared', 'origin');
    clock.now += 1;
    l.touch('y', 'origin');
    clock.now += 500;
    // shared is the most recent of `fork`; y of `origin`.
    expect(l.takeVictims()).toEqual(['x']);
  });

  it('never removes a held checkout, however old, and leases it again on release', () => {
    const { l, clock } = ledger({ keepPerRepo: 0 });
    const release = l.hold('held', 'r');
    l.touch('other', 'r');
    clock.now += 1000;
    expect(l.takeVictims()).toEqual(['other']);
    release();
    release(); // twice is once
    expect(l.takeVictims()).toEqual([]);
    clock.now += 101;
    expect(l.takeVictims()).toEqual(['held']);
  });

  it('evicts the least recently used beyond the byte budget, but nothing in use', () => {
    const { l, clock } = ledger({ keepPerRepo: 10, maxBytes: 250 });
    for (const sha of ['a', 'b', 'c', 'd']) {
      l.touch(sha, 'r');
      l.setSize(sha, 100);
      clock.now += 50;
    }
    // a, b out of lease (at 200 a's lease ended at 100, b's at 150); c, d in use.
    expect(l.takeVictims()).toEqual(['a', 'b']);
    clock.now += 1000;
    // 200 bytes left, within budget: recent ones stay.
    expect(l.takeVictims()).toEqual([]);
    expect(l.totalBytes()).toBe(200);
  });

  it('removes adopted leftovers unless touched', () => {
    const { l, clock } = ledger();
    clock.now = 10_000;
    l.adopt('old', 5);
    l.adopt('wanted', 5);
    l.touch('wanted', 'r');
    expect(l.takeVictims()).toEqual(['old']);
  });
});
