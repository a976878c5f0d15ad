import { authHeaders } from './client';
import type { ApplicationSummary } from './types';

export interface EventStreamHandlers {
  onApplication(a: ApplicationSummary, deleted: boolean): void;
  /** `true` once the stream is open, `false` whenever it drops (before a retry). */
  onConnection(open: boolean): void;
  /** The token was refused: retrying cannot help. */
  onUnauthorized(): void;
}

const MIN_BACKOFF_MS = 500;
const MAX_BACKOFF_MS = 15_000;

/**
 * Follows `/api/v1/events` until `signal` aborts. EventSource cannot send an Authorization
 * header, so this reads the stream with fetch and parses server-sent events itself. A dropped or
 * refused connection is retried with doubling backoff (0.5 s to 15 s, jittered), reset once a
 * stream opens; a 401 stops for good.
 */
export async function followEvents(
  token: string,
  handlers: EventStreamHandlers,
  signal: AbortSignal,
): Promise<void> {
  let backoff = MIN_BACKOFF_MS;
  while (!signal.aborted) {
    try {
      const res = await fetch('/api/v1/events', { headers: authHeaders(token, 'GET'), signal });
      if (res.status === 401) {
        handlers.onUnauthorized();
        return;
      }
      if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
      handlers.onConnection(true);
      backoff = MIN_BACKOFF_MS;
      await readEvents(res.body, handlers);
    } catch {
      if (signal.aborted) return;
    }
    handlers.onConnection(false);
    await sleep(backoff * (0.75 + Math.random() * 0.5), signal);
    backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
  }
}

/** Reads server-sent events until the stream ends; exported for its tests. */
export async function readEvents(
  body: ReadableStream<Uint8Array>,
  handlers: Pick<EventStreamHandlers, 'onApplication'>,
): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buf = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buf += decoder.decode(value, { stream: true });
    // Events end with a blank line; a partial one waits for the next chunk.
    let end: number;
    while ((end = buf.indexOf('\n\n')) >= 0) {
      dispatch(buf.slice(0, end), handlers);
      buf = buf.slice(end + 2);
    }
  }
}

function dispatch(block: string, handlers: Pick<EventStreamHandlers, 'onApplication'>): void {
  let event = 'message';
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line.startsWith('event:')) event = line.slice(6).trim();
    else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
  }
  if (event !== 'application' && event !== 'application-deleted') return;
  try {
    handlers.onApplication(
      JSON.parse(data.join('\n')) as ApplicationSummary,
      event === 'application-deleted',
    );
  } catch {
    // a malformed event is skipped; the next full reload corrects the view
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    });
  });
}
