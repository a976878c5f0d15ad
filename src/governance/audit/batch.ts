import { GitfleetError } from '../../core/errors.js';

interface Waiting<T> {
  item: T;
  resolve: () => void;
  reject: (e: unknown) => void;
}

/**
 * Group commit: records handed in while a write is pending, or within the same turn of the event
 * loop, go to the database together in one transaction. Each caller's promise settles when the
 * batch holding its record is committed, so "recorded before status is written" still holds for
 * the reconcile, while N reconciles finishing together cost one commit instead of N.
 */
export class GroupCommit<T> {
  readonly #write: (items: T[]) => Promise<void> | void;
  readonly #maxBatch: number;
  readonly #maxPending: number;
  #pending: Waiting<T>[] = [];
  #draining: Promise<void> | undefined;
  #closed = false;

  constructor(
    write: (items: T[]) => Promise<void> | void,
    opts: { maxBatch?: number; maxPending?: number } = {},
  ) {
    this.#write = write;
    this.#maxBatch = opts.maxBatch ?? 500;
    this.#maxPending = opts.maxPending ?? 10_000;
  }

  /** Resolves once `item` is committed; rejects with the batch's error, or at once when full or closed. */
  add(item: T): Promise<void> {
    if (this.#closed) return Promise.reject(new GitfleetError('audit.Closed', 'the audit store is closed'));
    // A database that stopped answering must not grow the hub's memory without bound.
    if (this.#pending.length >= this.#maxPending)
      return Promise.reject(
        new GitfleetError('audit.Backlog', `${this.#pending.length} audit records are waiting for the store`),
      );
    return new Promise<void>((resolve, reject) => {
      this.#pending.push({ item, resolve, reject });
      // setImmediate, not a microtask: reconciles finishing in the same I/O turn join one batch.
      this.#draining ??= new Promise<void>((r) => setImmediate(r)).then(() => this.#drain());
    });
  }

  /** Records accepted but not yet committed. */
  get pending(): number {
    return this.#pending.length;
  }

  async #drain(): Promise<void> {
    try {
      while (this.#pending.length) {
        const batch = this.#pending.splice(0, this.#maxBatch);
        try {
          await this.#write(batch.map((w) => w.item));
          for (const w of batch) w.resolve();
        } catch (e) {
          for (const w of batch) w.reject(e);
        }
      }
    } finally {
      this.#draining = undefined;
    }
  }

  /** Refuses new records and waits until every accepted one is committed (or has failed). */
  async close(): Promise<void> {
    this.#closed = true;
    while (this.#draining) await this.#draining;
  }
}
