/**
 * A keyed work queue: a key waiting in the queue is not added twice, one key is never processed
 * by two workers at once (a key added while it runs is processed once more afterwards), and at
 * most `concurrency` keys run together. Delayed adds (`addAfter`) keep the earliest due time.
 *
 * Fairness: with `groupOf` (e.g. an app's destination cluster), a group runs at most
 * `groupLimit(group)` keys at once; a key whose group is full waits while keys of other groups
 * behind it go ahead. So a slow group (a frozen cluster) holds at most its share of the workers.
 *
 * Lanes: a key added with `{ background: true }` (work that may wait, such as moving an app whose
 * files did not change to a new commit) runs only when no plain key is waiting, so a push read by
 * hundreds of apps does not delay the one it changed, nor a drift heal. A plain add of a key waiting
 * in the background lane moves it to the front lane. Background keys hold at most `backgroundLimit`
 * workers (default half), so plain work arriving behind them finds a worker free at once, and none
 * starts while a plain key runs: the handlers share one thread, and plain work gets it to itself.
 *
 * Periodic looks: an add marked `periodic` (a poll timer) is the only kind that leaves a key
 * unwoken. The handler is told `periodic: true` when every add since the key last ran was one, so
 * it may take a shortcut when its own records say nothing else can have changed.
 */
export class WorkQueue {
  readonly #handler: (key: string, run: { periodic: boolean }) => Promise<void>;
  readonly #concurrency: number;
  readonly #onError: (key: string, error: unknown) => void;
  readonly #queued: string[] = [];
  readonly #background: string[] = [];
  /** Every waiting key, in either lane: true when in the background lane. */
  readonly #queuedSet = new Map<string, boolean>();
  readonly #running = new Set<string>();
  /** Running keys taken from the background lane. */
  readonly #runningBackground = new Set<string>();
  readonly #backgroundLimit: number;
  readonly #groupOf: ((key: string) => string | undefined) | undefined;
  readonly #groupLimit: (group: string) => number;
  /** Group of each running key, as it was when the key started. */
  readonly #runningGroup = new Map<string, string>();
  readonly #groupRunning = new Map<string, number>();
  /** Keys added while they ran, to run once more: true when every such add was a background one. */
  readonly #dirty = new Map<string, boolean>();
  /** Delayed adds: when due, and whether every add they stand for was a background one. */
  readonly #timers = new Map<string, { due: number; timer: NodeJS.Timeout; background: boolean }>();
  /** When each queued key became due (for `onWait`). */
  readonly #dueAt = new Map<string, number>();
  /** Keys added by anything but a periodic timer since they last started (see above). */
  readonly #woken = new Set<string>();
  readonly #onWait: ((key: string, waitedMs: number) => void) | undefined;
  #stopped = false;
  #idleWaiters: (() => void)[] = [];

  constructor(opts: {
    handler: (key: string, run: { periodic: boolean }) => Promise<void>;
    concurrency?: number;
    onError?: (key: string, error: unknown) => void;
    /** The fairness group of a key; undefined = no group (never held back). */
    groupOf?: (key: string) => string | undefined;
    /** Keys of one group that may run at once; asked at each dispatch, so it may change. Default: no limit. */
    groupLimit?: (group: string) => number;
    /** Told how long a key waited between being due and a worker taking it (metrics). */
    onWait?: (key: string, waitedMs: number) => void;
    /** Workers background keys may hold at once; default half the concurrency (at least 1). */
    backgroundLimit?: number;
  }) {
    this.#onWait = opts.onWait;
    this.#handler = opts.handler;
    this.#groupOf = opts.groupOf;
    this.#groupLimit = opts.groupLimit ?? (() => Infinity);
    this.#concurrency = opts.concurrency ?? 4;
    this.#backgroundLimit = Math.max(1, opts.backgroundLimit ?? Math.floor(this.#concurrency / 2));
    this.#onError = opts.onError ?? (() => undefined);
  }

  add(key: string, opts: { background?: boolean; periodic?: boolean } = {}): void {
    if (this.#stopped) return;
    if (opts.periodic !== true) this.#woken.add(key);
    const background = opts.background === true;
    const t = this.#timers.get(key);
    if (t) {
      clearTimeout(t.timer);
      this.#timers.delete(key);
    }
    if (this.#running.has(key)) {
      this.#dirty.set(key, background && this.#dirty.get(key) !== false);
      return;
    }
    const waiting = this.#queuedSet.get(key);
    if (waiting === false || (waiting === true && background)) return;
    if (waiting === true) this.#background.splice(this.#background.indexOf(key), 1);
    else this.#dueAt.set(key, Date.now());
    this.#queuedSet.set(key, background);
    (background ? this.#background : this.#queued).push(key);
    this.#pump();
  }

  /**
   * Adds `key` after `ms`. The earliest due time wins; the add then goes to the background lane
   * only when every delayed add it stands for asked for it (a plain one is never demoted).
   */
  addAfter(key: string, ms: number, opts: { periodic?: boolean; background?: boolean } = {}): void {
    if (this.#stopped) return;
    // Counted at once, not when due: an earlier timer that runs the key meanwhile must not pass
    // for a periodic look when this add was not one.
    if (opts.periodic !== true) this.#woken.add(key);
    const due = Date.now() + ms;
    const existing = this.#timers.get(key);
    const background = opts.background === true && existing?.background !== false;
    if (existing && existing.due <= due) {
      existing.background = background;
      return;
    }
    if (existing) clearTimeout(existing.timer);
    const entry = {
      due,
      background,
      timer: setTimeout(() => {
        this.#timers.delete(key);
        this.add(key, { periodic: opts.periodic === true, background: entry.background });
      }, ms),
    };
    entry.timer.unref();
    this.#timers.set(key, entry);
  }

  get length(): number {
    return this.#queued.length + this.#background.length;
  }

  /** Resolves when nothing is queued or running (delayed adds do not count). */
  idle(): Promise<void> {
    if (this.length === 0 && this.#running.size === 0) return Promise.resolve();
    return new Promise((r) => this.#idleWaiters.push(r));
  }

  stop(): void {
    this.#stopped = true;
    for (const t of this.#timers.values()) clearTimeout(t.timer);
    this.#timers.clear();
    this.#queued.length = 0;
    this.#background.length = 0;
    this.#queuedSet.clear();
    this.#dueAt.clear();
    this.#woken.clear();
  }

  /** Running keys of a group (for metrics and tests). */
  runningIn(group: string): number {
    return this.#groupRunning.get(group) ?? 0;
  }

  /** The next key to run: the first of the front lane, then of the background lane, whose group has room. */
  #take(): { key: string; background: boolean } | undefined {
    const full = new Set<string>();
    const lanes = [this.#queued];
    const plainRunning = this.#running.size - this.#runningBackground.size;
    if (plainRunning === 0 && this.#runningBackground.size < this.#backgroundLimit)
      lanes.push(this.#background);
    for (const lane of lanes) {
      for (let i = 0; i < lane.length; i++) {
        const key = lane[i] as string;
        const g = this.#groupOf?.(key);
        if (g !== undefined) {
          if (full.has(g)) continue;
          if ((this.#groupRunning.get(g) ?? 0) >= Math.max(1, this.#groupLimit(g))) {
            full.add(g);
            continue;
          }
        }
        lane.splice(i, 1);
        return { key, background: lane === this.#background };
      }
    }
    return undefined;
  }

  #pump(): void {
    while (!this.#stopped && this.#running.size < this.#concurrency && this.length > 0) {
      const taken = this.#take();
      if (taken === undefined) break;
      const key = taken.key;
      if (taken.background) this.#runningBackground.add(key);
      this.#queuedSet.delete(key);
      this.#onWait?.(key, Date.now() - (this.#dueAt.get(key) ?? Date.now()));
      this.#dueAt.delete(key);
      this.#running.add(key);
      const group = this.#groupOf?.(key);
      if (group !== undefined) {
        this.#runningGroup.set(key, group);
        this.#groupRunning.set(group, (this.#groupRunning.get(group) ?? 0) + 1);
      }
      const periodic = !this.#woken.delete(key);
      this.#handler(key, { periodic })
        .catch((e: unknown) => this.#onError(key, e))
        .finally(() => {
          this.#running.delete(key);
          this.#runningBackground.delete(key);
          const g = this.#runningGroup.get(key);
          if (g !== undefined) {
            this.#runningGroup.delete(key);
            const n = (this.#groupRunning.get(g) ?? 1) - 1;
            if (n > 0) this.#groupRunning.set(g, n);
            else this.#groupRunning.delete(g);
          }
          const again = this.#dirty.get(key);
          if (again !== undefined) {
            this.#dirty.delete(key);
            // The add that made it dirty has already counted as a wake (or not).
            this.add(key, { background: again, periodic: true });
          }
          this.#pump();
          if (this.length === 0 && this.#running.size === 0) {
            for (const w of this.#idleWaiters.splice(0)) w();
          }
        });
    }
  }
}
