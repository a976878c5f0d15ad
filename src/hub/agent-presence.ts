/**
 * Which agents of each cluster are connected to this hub replica now, by version. An agent is
 * live while one of its requests is open (a long-poll for assignments is open most of the time)
 * and for `windowMs` after its last request ended: a served agent polls again at once, a refused
 * one retries within two seconds, so a generous window sees both while they run and forgets an
 * agent that stopped (its pod deleted at the end of a roll-out) soon after. Time is passed in.
 */
export class AgentPresence {
  readonly #windowMs: number;
  readonly #byCluster = new Map<string, Map<string, { open: number; lastSeen: number }>>();

  constructor(windowMs: number) {
    this.#windowMs = windowMs;
  }

  /** A request of an agent of `version` begins; call the answer when it ends (once). */
  open(cluster: string, version: string | undefined, now: number): (now: number) => void {
    const entry = this.#entry(cluster, version, now);
    if (!entry) return () => undefined;
    entry.open += 1;
    let ended = false;
    return (end: number) => {
      if (ended) return;
      ended = true;
      entry.open -= 1;
      entry.lastSeen = Math.max(entry.lastSeen, end);
    };
  }

  /** A request that ends as it begins (a refusal, a status report). */
  touch(cluster: string, version: string | undefined, now: number): void {
    const entry = this.#entry(cluster, version, now);
    if (entry) entry.lastSeen = Math.max(entry.lastSeen, now);
  }

  /** The versions live at `now`; forgets the others. An agent naming no version is not tracked. */
  live(cluster: string, now: number): string[] {
    const versions = this.#byCluster.get(cluster);
    if (!versions) return [];
    for (const [v, e] of versions) if (e.open <= 0 && now - e.lastSeen > this.#windowMs) versions.delete(v);
    if (!versions.size) this.#byCluster.delete(cluster);
    return [...versions.keys()].sort();
  }

  #entry(cluster: string, version: string | undefined, now: number) {
    if (!version) return undefined;
    const versions = this.#byCluster.get(cluster) ?? new Map<string, { open: number; lastSeen: number }>();
    this.#byCluster.set(cluster, versions);
    let e = versions.get(version);
    if (!e) versions.set(version, (e = { open: 0, lastSeen: now }));
    return e;
  }
}
