/**
 * Which checkouts to keep. Checkouts are content-addressed by commit and shared, so every commit
 * ever rendered used to stay on disk (337 MB after 29 commits of one repository). The ledger
 * remembers, per checkout, which repositories used it, when, how large it is and whether someone
 * holds it; `victims()` decides, as pure bookkeeping, which ones may go. Removal itself is the
 * caller's (GitSources), which also makes sure nobody gets a path that is being removed.
 *
 * Policy: a checkout is kept while it is *in use* — held (refcount, `hold()`) or handed out less
 * than `leaseMs` ago (callers of `checkout()` read the files right after, and renders are bounded
 * by their own timeout, far below the lease) — or while it is among the `keepPerRepo` most
 * recently used of one of its repositories. Then, while the total size is above `maxBytes`, the
 * least recently used checkouts that are not in use go too, recent or not. A checkout in use is
 * never a victim, so the bound can be passed only by checkouts someone is reading.
 */
export interface CheckoutPolicy {
  keepPerRepo: number;
  maxBytes: number;
  leaseMs: number;
}

interface Entry {
  repos: Set<string>;
  lastUsed: number;
  leaseUntil: number;
  holds: number;
  /** Undefined until measured. */
  bytes: number | undefined;
}

export class CheckoutLedger {
  readonly #entries = new Map<string, Entry>();
  readonly #policy: CheckoutPolicy;
  readonly #now: () => number;

  constructor(policy: CheckoutPolicy, now: () => number) {
    this.#policy = policy;
    this.#now = now;
  }

  /** Records that `repo` is handed checkout `sha` now: it is leased for `leaseMs`. Synchronous on purpose. */
  touch(sha: string, repo: string | undefined): void {
    const now = this.#now();
    const e = this.#entry(sha, now);
    if (repo !== undefined) e.repos.add(repo);
    e.lastUsed = Math.max(e.lastUsed, now);
    e.leaseUntil = Math.max(e.leaseUntil, now + this.#policy.leaseMs);
  }

  /** A checkout found on disk that nobody asked for in this process (an earlier run's): used at `mtime`. */
  adopt(sha: string, mtime: number): void {
    if (this.#entries.has(sha)) return;
    this.#entries.set(sha, {
      repos: new Set(),
      lastUsed: mtime,
      leaseUntil: mtime,
      holds: 0,
      bytes: undefined,
    });
  }

  /** Holds `sha` until the returned function is called (once; later calls do nothing). */
  hold(sha: string, repo: string | undefined): () => void {
    this.touch(sha, repo);
    const e = this.#entry(sha, this.#now());
    e.holds += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      e.holds -= 1;
      // Counts as used until now: the lease starts again from the release.
      e.lastUsed = Math.max(e.lastUsed, this.#now());
      e.leaseUntil = Math.max(e.leaseUntil, this.#now() + this.#policy.leaseMs);
    };
  }

  setSize(sha: string, bytes: number): void {
    const e = this.#entries.get(sha);
    if (e) e.bytes = bytes;
  }

  needsSize(sha: string): boolean {
    return this.#entries.get(sha)?.bytes === undefined;
  }

  inUse(sha: string): boolean {
    const e = this.#entries.get(sha);
    return e !== undefined && (e.holds > 0 || this.#now() < e.leaseUntil);
  }

  /** Bytes of the checkouts the ledger knows (unmeasured ones count 0). */
  totalBytes(): number {
    let total = 0;
    for (const e of this.#entries.values()) total += e.bytes ?? 0;
    return total;
  }

  get size(): number {
    return this.#entries.size;
  }

  /**
   * The checkouts to remove now, forgotten by the ledger as they are returned (a later touch of the
   * same commit starts a new entry, and the caller re-extracts after the removal finished).
   */
  takeVictims(): string[] {
    const now = this.#now();
    const inUse = (e: Entry): boolean => e.holds > 0 || now < e.leaseUntil;
    // The keepPerRepo most recent of each repository.
    const byRepo = new Map<string, [string, Entry][]>();
    for (const [sha, e] of this.#entries)
      for (const repo of e.repos) {
        let list = byRepo.get(repo);
        if (!list) byRepo.set(repo, (list = []));
        list.push([sha, e]);
      }
    const recent = new Set<string>();
    for (const list of byRepo.values()) {
      list.sort((a, b) => b[1].lastUsed - a[1].lastUsed);
      for (const [sha] of list.slice(0, this.#policy.keepPerRepo)) recent.add(sha);
    }
    const victims = new Set<string>();
    for (const [sha, e] of this.#entries) if (!inUse(e) && !recent.has(sha)) victims.add(sha);
    let total = 0;
    for (const [sha, e] of this.#entries) if (!victims.has(sha)) total += e.bytes ?? 0;
    if (total > this.#policy.maxBytes) {
      const candidates = [...this.#entries]
        .filter(([sha, e]) => !inUse(e) && !victims.has(sha))
        .sort((a, b) => a[1].lastUsed - b[1].lastUsed);
      for (const [sha, e] of candidates) {
        if (total <= this.#policy.maxBytes) break;
        victims.add(sha);
        total -= e.bytes ?? 0;
      }
    }
    for (const sha of victims) this.#entries.delete(sha);
    return [...victims];
  }

  #entry(sha: string, now: number): Entry {
    let e = this.#entries.get(sha);
    if (!e) {
      e = { repos: new Set(), lastUsed: now, leaseUntil: now, holds: 0, bytes: undefined };
      this.#entries.set(sha, e);
    }
    return e;
  }
}
