/** Thrown by a probe to stop waiting at once (a process died): waitFor rethrows it unchanged. */
export class FatalWaitError extends Error {}

/**
 * Polls `probe` until it returns a value other than undefined/false, or fails after `timeoutMs`
 * with an error naming `what` and the last failure seen.
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  opts: { timeoutMs?: number; intervalMs?: number; signal?: AbortSignal } = {},
): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  let last: unknown;
  for (;;) {
    opts.signal?.throwIfAborted();
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
      last = undefined;
    } catch (e) {
      if (e instanceof FatalWaitError) throw e;
      last = e;
    }
    if (Date.now() > deadline) {
      const why = last instanceof Error ? `: ${last.message}` : '';
      throw new Error(`timed out after ${opts.timeoutMs ?? 60_000} ms waiting for ${what}${why}`);
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 200));
  }
}
