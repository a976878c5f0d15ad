import http from 'node:http';
import https from 'node:https';
import { GitfleetError } from './errors.js';

export interface HubClientOptions {
  /** Base URL of the hub, http:// or https://. */
  url: string;
  token: string;
  /** PEM CA bundle to trust for https (a private hub CA); the system's roots when absent. */
  ca?: string;
  /** Sent as x-gitfleet-agent-version. */
  userAgent?: string;
}

/** A non-2xx answer from the hub, with its status and its `error` message. */
export class HubError extends GitfleetError {
  readonly status: number;
  constructor(status: number, message: string) {
    super(`hub.HTTP${status}`, message, { transient: status === 429 || status >= 500 });
    this.status = status;
  }
}

/**
 * JSON over HTTP(S) to the hub with a bearer token: what the agent and the CLI speak. The token
 * goes in a header only, never in a URL or a message.
 */
export class HubClient {
  readonly #o: HubClientOptions;
  readonly #agent: http.Agent;

  constructor(opts: HubClientOptions) {
    this.#o = { ...opts, url: opts.url.replace(/\/+$/, '') };
    this.#agent = opts.url.startsWith('https:')
      ? new https.Agent({ keepAlive: true, ...(opts.ca ? { ca: opts.ca } : {}) })
      : new http.Agent({ keepAlive: true });
  }

  get url(): string {
    return this.#o.url;
  }

  close(): void {
    this.#agent.destroy();
  }

  request<T>(
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    opts: { body?: unknown; timeoutMs?: number; signal?: AbortSignal } = {},
  ): Promise<T> {
    const url = new URL(this.#o.url + path);
    const lib = url.protocol === 'https:' ? https : http;
    const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    return new Promise<T>((resolve, reject) => {
      const req = lib.request(
        url,
        {
          method,
          agent: this.#agent,
          headers: {
            authorization: `Bearer ${this.#o.token}`,
            accept: 'application/json',
            ...(body
              ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }
              : {}),
            ...(this.#o.userAgent ? { 'x-gitfleet-agent-version': this.#o.userAgent } : {}),
          },
          timeout: opts.timeoutMs ?? 30_000,
          ...(opts.signal ? { signal: opts.signal } : {}),
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown;
            try {
              parsed = text ? JSON.parse(text) : undefined;
            } catch {
              parsed = undefined;
            }
            const status = res.statusCode ?? 0;
            if (status >= 200 && status < 300) return resolve(parsed as T);
            const msg = (parsed as { error?: string } | undefined)?.error ?? text.slice(0, 300);
            reject(new HubError(status, `${method} ${path}: ${status}: ${msg}`));
          });
        },
      );
      req.on('timeout', () =>
        req.destroy(new GitfleetError('hub.Timeout', `${method} ${path}: timed out`, { transient: true })),
      );
      req.on('error', (e) =>
        reject(
          e instanceof GitfleetError
            ? e
            : new GitfleetError('hub.Unreachable', `cannot reach the hub at ${this.#o.url}: ${e.message}`, {
                cause: e,
                transient: true,
              }),
        ),
      );
      req.end(body);
    });
  }
}
