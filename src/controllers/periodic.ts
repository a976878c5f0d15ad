import type { Logger } from 'pino';

/** A pass run every `tickMs` after the previous one ended (never two at once), until stopped. */
export interface PeriodicPass {
  stop(): Promise<void>;
}

/**
 * Runs `pass` now and then `tickMs` after each pass ends. A failing pass is logged once per
 * distinct message (a missing CRD would otherwise log on every tick) and the loop goes on.
 */
export function runPeriodically(opts: {
  pass: () => Promise<void>;
  tickMs: number;
  log: Logger;
  /** The log line of a failed pass, e.g. "image automation pass failed". */
  failure: string;
}): PeriodicPass {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;
  let lastError: string | undefined;
  const loop = (): void => {
    if (stopped) return;
    running = opts
      .pass()
      .then(() => {
        lastError = undefined;
      })
      .catch((e: unknown) => {
        const text = e instanceof Error ? e.message : String(e);
        if (text !== lastError) opts.log.warn({ err: text }, opts.failure);
        lastError = text;
      })
      .finally(() => {
        if (!stopped) timer = setTimeout(loop, opts.tickMs);
      });
  };
  loop();
  return {
    async stop(): Promise<void> {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
