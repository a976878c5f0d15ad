interface Entry<T> {
  promise: Promise<T>;
  controller: AbortController;
  /** Callers with a signal still waiting; callers without one never give up. */
  waiters: number;
  patient: boolean;
}

/**
 * At most one running task per key; callers that arrive while it runs share its result instead of
 * starting another (one fetch of a repository however many applications ask, one extraction of a
 * commit). The task gets its own signal, aborted only when every caller has given up: one caller
 * cancelling must not fail the others.
 */
export class SharedTasks<T> {
  readonly #running = new Map<string, Entry<T>>();

  /** Whether a task for `key` is running now. */
  has(key: string): boolean {
    return this.#running.has(key);
  }

  /**
   * Joins the running task for `key`, or starts `start`. If `signal` aborts first, this caller
   * gets `aborted()` at once; the task goes on while others still wait for it.
   */
  run(
    key: string,
    start: (signal: AbortSignal) => Promise<T>,
    signal: AbortSignal | undefined,
    aborted: () => Error,
  ): Promise<T> {
    if (signal?.aborted) return Promise.reject(aborted());
    const entry = this.#running.get(key) ?? this.#start(key, start);
    if (!signal) {
      entry.patient = true;
      return entry.promise;
    }
    entry.waiters += 1;
    return new Promise<T>((resolve, reject) => {
      const onAbort = (): void => {
        entry.waiters -= 1;
        if (entry.waiters === 0 && !entry.patient) {
          // Nobody wants the result any more; a later caller starts afresh instead of joining a
          // task that is being cancelled.
          if (this.#running.get(key) === entry) this.#running.delete(key);
          entry.controller.abort(signal.reason);
        }
        reject(aborted());
      };
      signal.addEventListener('abort', onAbort, { once: true });
      entry.promise.then(
        (value) => {
          signal.removeEventListener('abort', onAbort);
          resolve(value);
        },
        (error: unknown) => {
          signal.removeEventListener('abort', onAbort);
          reject(error instanceof Error ? error : new Error(String(error)));
        },
      );
    });
  }

  #start(key: string, start: (signal: AbortSignal) => Promise<T>): Entry<T> {
    const controller = new AbortController();
    const entry: Entry<T> = { promise: start(controller.signal), controller, waiters: 0, patient: false };
    this.#running.set(key, entry);
    const forget = (): void => {
      if (this.#running.get(key) === entry) this.#running.delete(key);
    };
    // Handled here so a task whose callers all gave up never becomes an unhandled rejection;
    // each caller still sees the error through its own chain.
    entry.promise.then(forget, forget);
    return entry;
  }
}
