/**
 * When a starting hub replica may claim its shards.
 *
 * A replica that has just created its member Lease cannot know whether the other members have
 * seen it yet: until their next round they still drive every cluster they owned, including the
 * newcomer's share. Claiming at once (what a replica did before) let two replicas drive one
 * cluster for up to a renewal interval, and both ran the same wave.
 *
 * So a replica claims nothing until:
 * - its first list of the member Leases (made after its own Lease exists) shows no other live
 *   member: it is alone and claims everything at once. Of two replicas starting together at least
 *   one sees the other (the apiserver's lists are linearizable and each creates its Lease before
 *   listing), so at most one can take this path; or
 * - every member seen at that first list has renewed its Lease twice since (or is gone). The first
 *   renewal seen came after our Lease existed, so the round it began listed us and handed our
 *   share over; the second renewal starts a later round, so that hand-over is done. Members that
 *   joined after us wait for us the same way, so they need not be waited for.
 *
 * Renewals are told apart by the Lease's resourceVersion (every write changes it), which needs no
 * clock shared between replicas.
 */
export interface JoinState {
  /** Per member seen at the first list: its Lease's last resourceVersion, and changes seen since. */
  peers: Map<string, { version: string; changes: number }>;
}

/** A live member Lease other than ours, as listed: its holder and resourceVersion. */
export interface PeerLease {
  holder: string;
  version: string;
}

/** Renewals of each earlier member to see before claiming (see above). */
export const RENEWALS_TO_WAIT = 2;

/**
 * One step of the join, after a list of the live member Leases (ours excluded). `state` is
 * undefined at the first list. Pure: returns the next state and whether the replica may claim.
 */
export function joinStep(
  state: JoinState | undefined,
  peers: readonly PeerLease[],
): { state: JoinState; settled: boolean } {
  if (!state) {
    const first: JoinState = {
      peers: new Map(peers.map((p) => [p.holder, { version: p.version, changes: 0 }])),
    };
    return { state: first, settled: first.peers.size === 0 };
  }
  const live = new Map(peers.map((p) => [p.holder, p.version]));
  const next: JoinState = { peers: new Map() };
  for (const [holder, seen] of state.peers) {
    const version = live.get(holder);
    // Gone (released or expired): it drives nothing any more.
    if (version === undefined) continue;
    next.peers.set(holder, version === seen.version ? seen : { version, changes: seen.changes + 1 });
  }
  const settled = [...next.peers.values()].every((p) => p.changes >= RENEWALS_TO_WAIT);
  return { state: next, settled };
}
