/**
 * One bounded JSON request to a Git host's REST API, shared by the three adapters: a private CA
 * or (when the operator allows it) no verification, a deadline, a response size limit, and errors
 * that name the host, the method, the path and the HTTP status — never the token, which travels
 * only in the header the adapter gives.
 */
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';

import { GitfleetError } from '../core/errors.js';
import type { GitHostProvider } from './port.js';

/** A host that does not answer within this is treated as down (transient). */
export const DEFAULT_TIMEOUT_MS = 20_000;
/** No answer of a listing page or a comment is larger; a bigger one is refused unread. */
const MAX_BYTES = 8 * 1024 * 1024;

export interface HostTransport {
  provider: GitHostProvider;
  /** API base without a trailing slash, e.g. `https://gitea.example.com/api/v1`. */
  base: string;
  /** Authentication headers (built by the adapter from the token). */
  auth: Record<string, string>;
  caData?: string;
  insecureSkipVerify?: boolean;
  timeoutMs?: number;
}

export interface HostResponse<T> {
  status: number;
  headers: IncomingHttpHeaders;
  body: T;
}

/** Thrown for every failed call; `status` is the HTTP status (0: no answer). */
export class GitHostError extends GitfleetError {
  readonly status: number;
  constructor(provider: GitHostProvider, message: string, status: number, cause?: unknown) {
    super(`githost.${status === 0 ? 'Unreachable' : `HTTP${status}`}`, `${provider}: ${message}`, {
      transient: status === 0 || status >= 500 || status === 429,
      ...(cause === undefined ? {} : { cause }),
    });
    this.status = status;
  }
}

/**
 * Sends `method path` (path relative to the API base, query included) with an optional JSON body.
 * Any non-2xx answer throws a GitHostError with the host's own error message (GitHub/Gitea
 * `message`, GitLab `message` or `error`), cut short.
 */
export async function hostRequest<T>(
  t: HostTransport,
  method: string,
  path: string,
  body?: unknown,
): Promise<HostResponse<T>> {
  const url = new URL(t.base + path);
  const what = `${method} ${url.origin}${url.pathname}`;
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new GitHostError(t.provider, `${what}: unsupported URL scheme ${url.protocol}`, 400);
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  const res = await new Promise<{ status: number; headers: IncomingHttpHeaders; text: string }>(
    (resolve, reject) => {
      const req = send(
        url,
        {
          method,
          headers: {
            'user-agent': 'gitfleet',
            accept: 'application/json',
            ...(payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {}),
            ...t.auth,
          },
          ...(t.caData ? { ca: t.caData } : {}),
          ...(t.insecureSkipVerify ? { rejectUnauthorized: false } : {}),
          timeout: t.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        },
        (r) => {
          const chunks: Buffer[] = [];
          let size = 0;
          r.on('data', (c: Buffer) => {
            size += c.length;
            if (size > MAX_BYTES) {
              req.destroy(
                new GitHostError(t.provider, `${what}: answer larger than ${MAX_BYTES} bytes`, 502),
              );
              return;
            }
            chunks.push(c);
          });
          r.on('end', () =>
            resolve({
              status: r.statusCode ?? 0,
              headers: r.headers,
              text: Buffer.concat(chunks).toString('utf8'),
            }),
          );
          r.on('error', reject);
        },
      );
      req.on('timeout', () =>
        req.destroy(
          new GitHostError(
            t.provider,
            `${what}: no answer within ${t.timeoutMs ?? DEFAULT_TIMEOUT_MS} ms`,
            0,
          ),
        ),
      );
      req.on('error', (e) =>
        reject(e instanceof GitHostError ? e : new GitHostError(t.provider, `${what}: ${e.message}`, 0, e)),
      );
      req.end(payload);
    },
  );
  if (res.status < 200 || res.status >= 300)
    throw new GitHostError(t.provider, `${what}: HTTP ${res.status}${errorDetail(res.text)}`, res.status);
  let parsed: unknown = undefined;
  if (res.text.trim()) {
    try {
      parsed = JSON.parse(res.text);
    } catch (e) {
      throw new GitHostError(t.provider, `${what}: the answer is not JSON`, 502, e);
    }
  }
  return { status: res.status, headers: res.headers, body: parsed as T };
}

/** The host's own reason, from its JSON error body; nothing when it has none. */
function errorDetail(text: string): string {
  try {
    const b = JSON.parse(text) as { message?: unknown; error?: unknown };
    const m = b.message ?? b.error;
    if (m === undefined) return '';
    const s = typeof m === 'string' ? m : JSON.stringify(m);
    return `: ${s.slice(0, 300)}`;
  } catch {
    return '';
  }
}

/** The `rel="next"` target of an RFC 8288 Link header (GitHub, Gitea), as a path below `base`. */
export function nextLink(headers: IncomingHttpHeaders, base: string): string | undefined {
  const link = headers.link;
  if (typeof link !== 'string') return undefined;
  for (const part of link.split(',')) {
    const m = /<([^>]+)>\s*;\s*rel="?next"?/.exec(part);
    if (!m?.[1]) continue;
    const target = new URL(m[1], base + '/');
    const b = new URL(base);
    // Only a page of the same API: a Link pointing elsewhere would send the token there.
    if (target.origin !== b.origin || !target.pathname.startsWith(b.pathname)) return undefined;
    return target.pathname.slice(b.pathname.replace(/\/$/, '').length) + target.search;
  }
  return undefined;
}

/** Walks every page: `first` is the first path; `next` finds the following one from an answer. */
export async function allPages<T>(
  t: HostTransport,
  first: string,
  next: (headers: IncomingHttpHeaders, current: string) => string | undefined,
  maxPages = 50,
): Promise<T[]> {
  const out: T[] = [];
  let path: string | undefined = first;
  for (let i = 0; path !== undefined && i < maxPages; i++) {
    const res: HostResponse<T[]> = await hostRequest<T[]>(t, 'GET', path);
    if (!Array.isArray(res.body))
      throw new GitHostError(t.provider, `GET ${path}: expected a JSON list`, 502);
    out.push(...res.body);
    path = next(res.headers, path);
  }
  return out;
}

/** The invisible line that marks a comment as gitfleet's `marker` comment. */
export function markerLine(marker: string): string {
  return `<!-- gitfleet:${marker.replace(/--/g, '-')} -->`;
}
