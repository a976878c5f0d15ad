/**
 * One bounded HTTP(S) GET for the Helm repository and OCI clients: a custom CA instead of the
 * system's when a Secret gives one, a deadline, a body size limit (a hostile server cannot fill
 * the hub's memory), no redirects followed silently (the caller decides: an OCI blob redirect to
 * storage is followed without the registry's credentials), and the URL's address screened against
 * the deny-list before connecting, as Git fetches are.
 */
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';

import { SourceError } from '../errors.js';
import { screenUrl, type DeniedNetworks, type Resolver } from './network.js';

/** Credentials and trust of a Helm repository or OCI registry (from a repository Secret). */
export interface RepoAuth {
  username?: string;
  password?: string;
  bearerToken?: string;
  /** PEM of the CA(s) to trust instead of the system's. */
  caData?: string;
  /** Skip TLS verification (Argo's `insecure: "true"`): refused unless the operator allows it. */
  insecureSkipVerify?: boolean;
}

export interface GetOptions {
  headers?: Record<string, string>;
  ca?: string;
  maxBytes: number;
  timeoutMs: number;
  signal?: AbortSignal;
  denied?: DeniedNetworks;
  resolver?: Resolver;
  /** What to name in errors (a repository URL without secrets). */
  what: string;
  method?: 'GET' | 'HEAD';
}

export interface GetResult {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** GET `url`; a body over maxBytes is an error. Network failures are transient SourceErrors. */
export async function httpGet(url: string, opts: GetOptions): Promise<GetResult> {
  const u = new URL(url);
  if (u.protocol !== 'https:' && u.protocol !== 'http:')
    throw new SourceError(opts.what, `unsupported URL scheme ${u.protocol} (https:// or http://)`);
  if (opts.denied) await screenUrl(url, opts.denied, opts.resolver);
  const req = u.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<GetResult>((resolve, reject) => {
    const r = req(
      u,
      {
        method: opts.method ?? 'GET',
        headers: { 'user-agent': 'gitfleet', ...opts.headers },
        ...(opts.ca ? { ca: opts.ca } : {}),
        timeout: opts.timeoutMs,
        signal: opts.signal,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > opts.maxBytes) {
            r.destroy();
            reject(
              new SourceError(opts.what, `response larger than ${opts.maxBytes} bytes from ${safeUrl(u)}`),
            );
            return;
          }
          chunks.push(c);
        });
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
        res.on('error', (e) => reject(networkError(opts.what, u, e)));
      },
    );
    r.on('timeout', () => r.destroy(new Error(`no answer within ${opts.timeoutMs} ms`)));
    r.on('error', (e) => reject(networkError(opts.what, u, e)));
    r.end();
  });
}

function safeUrl(u: URL): string {
  return `${u.protocol}//${u.host}${u.pathname}`;
}

/**
 * TLS failures name the cause the operator can fix (an unknown CA: add `caData`/`tlsClientCAData`
 * to the repository Secret); they are not transient. Connection failures are.
 */
function networkError(what: string, u: URL, e: Error): SourceError {
  const code = (e as { code?: string }).code ?? '';
  if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/u.test(code))
    return new SourceError(
      what,
      `TLS certificate of ${u.host} is not trusted (${code}); give the repository Secret the CA as caData`,
      { cause: e, code: 'source.TLSUntrusted' },
    );
  return new SourceError(what, `cannot reach ${safeUrl(u)}: ${e.message}`, { cause: e, transient: true });
}

/** `Authorization` for basic auth or a bearer token; none without credentials. */
export function authHeader(auth: RepoAuth | undefined): Record<string, string> {
  if (auth?.bearerToken) return { authorization: `Bearer ${auth.bearerToken}` };
  if (auth?.username !== undefined && auth.password !== undefined)
    return {
      authorization: `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`,
    };
  return {};
}

/** The error for a 401/403: names the repository and that the credentials were refused, never the credentials. */
export function authError(what: string, status: number, hadCredentials: boolean): SourceError {
  return new SourceError(
    what,
    hadCredentials
      ? `the server refused the credentials (HTTP ${status}); check the repository Secret's username/password`
      : `the server requires credentials (HTTP ${status}); add a repository Secret for this URL`,
    { code: 'source.AuthFailed' },
  );
}
