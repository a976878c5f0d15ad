// The plumbing shared by the recorded-contract servers of GitHub and GitLab: an HTTP(S) server on a
// free port, raw path segments (GitLab's project ids contain %2F, which must stay one segment),
// JSON bodies, and a log of every request (method, path, which auth header came) for assertions.
import {
  createServer as createHttp,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttps } from 'node:https';
import type { AddressInfo } from 'node:net';

export interface Recorded {
  method: string;
  path: string;
  /** The authentication header as received (tests check the scheme; never printed). */
  auth: string | undefined;
}

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export type Handler = (req: {
  method: string;
  segments: string[];
  query: URLSearchParams;
  body: unknown;
  headers: IncomingMessage['headers'];
}) => Reply;

export interface ContractServer {
  url: string;
  requests: Recorded[];
  close(): Promise<void>;
}

/** Starts `handler` on 127.0.0.1; with `tls` over HTTPS with that certificate. */
export async function serve(
  handler: Handler,
  authHeader: string,
  tls?: { cert: string; key: string },
): Promise<ContractServer> {
  const requests: Recorded[] = [];
  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = req.url ?? '/';
      const q = raw.indexOf('?');
      const path = q < 0 ? raw : raw.slice(0, q);
      const query = new URLSearchParams(q < 0 ? '' : raw.slice(q + 1));
      const auth = req.headers[authHeader];
      requests.push({ method: req.method ?? 'GET', path, auth: typeof auth === 'string' ? auth : undefined });
      let reply: Reply;
      try {
        const text = Buffer.concat(chunks).toString('utf8');
        reply = handler({
          method: req.method ?? 'GET',
          segments: path.split('/').filter(Boolean).map(decodeURIComponent),
          query,
          body: text ? JSON.parse(text) : undefined,
          headers: req.headers,
        });
      } catch (e) {
        reply = { status: 400, body: { message: `Problems parsing JSON: ${String(e)}` } };
      }
      res.writeHead(reply.status, { 'content-type': 'application/json; charset=utf-8', ...reply.headers });
      res.end(reply.body === undefined ? '' : JSON.stringify(reply.body));
    });
  };
  const server: Server = tls ? createHttps(tls, listener) : createHttp(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** One page of `items` by `page`/`per_page` (1-based; per_page capped at 100 as both hosts do). */
export function page<T>(
  items: T[],
  query: URLSearchParams,
  defaultPerPage: number,
): { slice: T[]; page: number; last: number; perPage: number } {
  const perPage = Math.min(
    100,
    Math.max(1, Number(query.get('per_page') ?? defaultPerPage) || defaultPerPage),
  );
  const p = Math.max(1, Number(query.get('page') ?? 1) || 1);
  const last = Math.max(1, Math.ceil(items.length / perPage));
  return { slice: items.slice((p - 1) * perPage, p * perPage), page: p, last, perPage };
}
