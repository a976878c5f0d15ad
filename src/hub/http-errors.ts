import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { Logger } from 'pino';
import { AuditQueryError } from '../governance/audit/index.js';
import { KubeApiError } from '../kube/errors.js';
import { bodyLimitFor, isBodyTooLarge, tooLarge } from './http-guards.js';

/**
 * Ends a request with `status` and `{"error": message}`: routes throw, and `answerError` (the
 * app's one error handler) writes the answer. `headers` are sent along (Retry-After, Connection).
 */
export function fail(status: ContentfulStatusCode, message: string, headers?: Record<string, string>): never {
  throw new HTTPException(status, { message, ...(headers ? { cause: { headers } } : {}) });
}

/**
 * The one place where a failure becomes an HTTP answer, always `{"error": "..."}` (the shape the
 * CLI, the UI and agents read):
 * - an HTTPException (a route's `fail`): its status and message;
 * - a body past its limit: 413;
 * - an AuditQueryError (a bad query parameter): 400;
 * - a KubeApiError: the API server's answer decides ours (503 while it starts or a kind is
 *   missing, 502 otherwise) — not our bug, and its message names the request, never a body;
 * - anything else: 500 `internal error`, logged, its message never sent (it may hold anything).
 */
export function answerError(e: unknown, c: Context, log: Logger): Response {
  if (e instanceof HTTPException) {
    const headers = (e.cause as { headers?: Record<string, string> } | undefined)?.headers;
    for (const [k, v] of Object.entries(headers ?? {})) c.header(k, v);
    return c.json({ error: e.message }, e.status as ContentfulStatusCode);
  }
  if (isBodyTooLarge(e)) return tooLarge(c, bodyLimitFor(c.req.path));
  if (e instanceof AuditQueryError) return c.json({ error: e.message }, 400);
  if (e instanceof KubeApiError)
    return c.json({ error: e.message }, e.transient || e.status === 404 ? 503 : 502);
  log.error({ err: e instanceof Error ? e.message : String(e), path: c.req.path }, 'hub request failed');
  return c.json({ error: 'internal error' }, 500);
}
