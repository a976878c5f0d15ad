/**
 * A keyed work queue: a key waiting in the queue is not added twice, one key is never processed
 * by two workers at once (a key added while it runs is processed once more afterwards), and at
 * most `concurrency` keys run together. Delayed adds (`addAfter`) keep the earliest due time.
 */
export class WorkQueue {
  readonly #handler: (key: string) => Promise<void>;
  readonly #concurrency: number;
  readonly #onError: (key: string, error: unknown) => void;
  readonly #queued: string[] = [];
  readonly #queuedSet = new Set<string>();
  readonly #running = new Set<string>();
  readonly #dirty = new Set<string>();
  readonly #timers = new Map<string, { due: number; timer: NodeJS.Timeout }>();
  #stopped = false;
  #idleWaiters: (() => void)[] = [];

  constructor(opts: {
    handler: (key: string) => Promise<void>;
    concurrency?: number;
    onError?: (key: string, error: unknown) => void;
  }) {
    this.#handler = opts.handler;
    this.#concurrency = opts.concurrency ?? 4;
    this.#onError = opts.onError ?? (() => undefined);
  }

  add(key: string): void {
    if (this.#stopped) return;
    const t = this.#timers.get(key);
    if (t) {
      clearTimeout(t.timer);
      this.#timers.delete(key);
    }
    if (this.#running.has(key)) {
      this.#dirty.add(key);
      return;
    }
    if (this.#queuedSet.has(key)) return;
    this.#queuedSet.add(key);
    this.#queued.push(key);
    this.#pump();
  }

  addAfter(key: string, ms: number): void {
    if (this.#stopped) return;
    const due = Date.now() + ms;
    const existing = this.#timers.get(key);
    if (existing && existing.due <= due) return;
    if (existing) clearTimeout(existing.timer);
    const timer = setTimeout(() => {
      this.#timers.delete(key);
      this.add(key);
    }, ms);
    timer.unref();
    this.#timers.set(key, { due, timer });
  }

  get length(): number {
    return this.#queued.length;
  }

  /** Resolves when nothing is queued or running (delayed adds do not count). */
  idle(): Promise<void> {
    if (this.#queued.length === 0 && this.#running.size === 0) return Promise.resolve();
    return new Promise((r) => this.#idleWaiters.push(r));
  }

  stop(): void {
    this.#stopped = true;
    for (const t of this.#timers.values()) clearTimeout(t.timer);
    this.#timers.clear();
    this.#queued.length = 0;
    this.#queuedSet.clear();
  }

  #pump(): void {
    while (!this.#stopped && this.#running.size < this.#concurrency && this.#queued.length > 0) {
      const key = this.#queued.shift();
      if (key === undefined) break;
      this.#queuedSet.delete(key);
      this.#running.add(key);
      this.#handler(key)
        .catch((e: unknown) => this.#onError(key, e))
        .finally(() => {
          this.#running.delete(key);
          if (this.#dirty.delete(key)) this.add(key);
          this.#pump();
          if (this.#queued.length === 0 && this.#running.size === 0) {
            for (const w of this.#idleWaiters.splice(0)) w();
          }
        });
    }
  }
}
