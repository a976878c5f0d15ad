/**
 * Answers by key, shared: the first caller starts the work, callers that come while it runs or
 * after it finished get the same promise, so N applications asking about one commit cost one git
 * command. Only for facts that cannot change under the key (a commit's tree, a path in a commit,
 * the refs of one mirror state). A failure is forgotten at once (the next caller tries again), and
 * so is an answer `keep` refuses (e.g. "not in the mirror yet", which a fetch can change).
 * Bounded: past `limit` keys the oldest is dropped.
 */
export class PromiseMemo<V> {
  readonly #map = new Map<string, Promise<V>>();

  constructor(
    private readonly limit: number,
    private readonly keep: (value: V) => boolean = () => true,
  ) {}

  get(key: string, make: () => Promise<V>): Promise<V> {
    const known = this.#map.get(key);
    if (known) return known;
    if (this.#map.size >= this.limit) {
      const oldest = this.#map.keys().next();
      if (!oldest.done) this.#map.delete(oldest.value);
    }
    const p = make();
    this.#map.set(key, p);
    const forget = (): void => {
      if (this.#map.get(key) === p) this.#map.delete(key);
    };
    p.then((v) => {
      if (!this.keep(v)) forget();
    }, forget);
    return p;
  }

  /** Number of answers held (tests). */
  get size(): number {
    return this.#map.size;
  }
}
