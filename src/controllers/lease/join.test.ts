import { describe, expect, it } from 'vitest';
import { joinStep, RENEWALS_TO_WAIT } from './join.js';
import { ownerOf } from './shards.js';

describe('joinStep: when a starting replica may claim its shards', () => {
  it('alone at its first list: claims at once', () => {
    expect(joinStep(undefined, []).settled).toBe(true);
  });

  it('with a live peer at its first list: claims nothing until that peer renewed twice since', () => {
    let s = joinStep(undefined, [{ holder: 'hub-a', version: '10' }]);
    expect(s.settled).toBe(false);
    // Lists between the peer's renewals change nothing.
    s = joinStep(s.state, [{ holder: 'hub-a', version: '10' }]);
    expect(s.settled).toBe(false);
    s = joinStep(s.state, [{ holder: 'hub-a', version: '14' }]);
    expect(s.settled).toBe(false);
    s = joinStep(s.state, [{ holder: 'hub-a', version: '14' }]);
    expect(s.settled).toBe(false);
    s = joinStep(s.state, [{ holder: 'hub-a', version: '19' }]);
    expect(RENEWALS_TO_WAIT).toBe(2);
    expect(s.settled).toBe(true);
  });

  it('waits for every earlier peer, not for one that joined after it', () => {
    let s = joinStep(undefined, [
      { holder: 'hub-a', version: '1' },
      { holder: 'hub-b', version: '2' },
    ]);
    s = joinStep(s.state, [
      { holder: 'hub-a', version: '3' },
      { holder: 'hub-b', version: '2' },
      { holder: 'hub-late', version: '4' },
    ]);
    s = joinStep(s.state, [
      { holder: 'hub-a', version: '5' },
      { holder: 'hub-b', version: '6' },
      { holder: 'hub-late', version: '4' },
    ]);
    expect(s.settled).toBe(false); // hub-b renewed once only
    s = joinStep(s.state, [
      { holder: 'hub-a', version: '5' },
      { holder: 'hub-b', version: '7' },
      { holder: 'hub-late', version: '4' },
    ]);
    expect(s.settled).toBe(true);
  });

  it('a peer whose Lease went (released or expired) is no longer waited for', () => {
    let s = joinStep(undefined, [{ holder: 'hub-dead', version: '1' }]);
    s = joinStep(s.state, [{ holder: 'hub-dead', version: '1' }]);
    expect(s.settled).toBe(false);
    s = joinStep(s.state, []);
    expect(s.settled).toBe(true);
  });

  it('two replicas starting together: at most one claims at its first list, and never a cluster the other drives', () => {
    // Each creates its Lease, then lists. Whichever lists second sees the first (linearizable
    // lists), so the interleavings are: A sees only A, B sees both — or both see both.
    const clusters = Array.from({ length: 50 }, (_, i) => `c-${i}`);
    const a = joinStep(undefined, []);
    const b = joinStep(undefined, [{ holder: 'hub-a', version: '1' }]);
    expect(a.settled).toBe(true);
    expect(b.settled).toBe(false);
    // Until B has settled it owns nothing, so nothing A drives (all, then its share) is B's too.
    const ownedByA = clusters.filter((c) => ownerOf(c, ['hub-a']) === 'hub-a');
    expect(ownedByA).toHaveLength(50);
    // After A's next round (A lists both: its share only) and a renewal after that, B claims.
    let s = joinStep(b.state, [{ holder: 'hub-a', version: '2' }]);
    s = joinStep(s.state, [{ holder: 'hub-a', version: '3' }]);
    expect(s.settled).toBe(true);
    const shareA = clusters.filter((c) => ownerOf(c, ['hub-a', 'hub-b']) === 'hub-a');
    const shareB = clusters.filter((c) => ownerOf(c, ['hub-a', 'hub-b']) === 'hub-b');
    expect(shareA.filter((c) => shareB.includes(c))).toEqual([]);
    expect(shareA.length + shareB.length).toBe(50);
    const both = joinStep(undefined, [{ holder: 'hub-b', version: '1' }]);
    expect(both.settled).toBe(false);
  });
});
