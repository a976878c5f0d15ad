import { createHash, timingSafeEqual } from 'node:crypto';
import type { HttpBindings } from '@hono/node-server';
import type { Context, MiddlewareHandler } from 'hono';
import { AGENT_API } from '../api/agent.js';
import { lingerOnClose } from './linger.js';

/**
 * Limits on what the hub reads from a request, and the headers it adds to every answer. The body
 * limit is lazy: nothing is read until a route reads it, so routes that authenticate from headers
 * (every bearer route) refuse a caller before a byte of its body is taken, and a body is cut off
 * at its limit while it streams, whatever Content-Length it announced or whether it is chunked.
 */

const MiB = 1024 * 1024;

/** Largest body each kind of route reads. */
export const BODY_LIMITS = {
  /** GitHub caps webhook payloads at 25 MB; GitLab and Gitea pushes are far smaller. */
  webhook: 25 * MiB,
  /**
   * An agent's status batch: up to 200 apps, each with its per-resource status, which the
   * status-size bounds keep far under etcd's 1.5 MB limit per object.
   */
  agentStatus: 32 * MiB,
  /** Every other route: the API's JSON bodies are a few hundred bytes. */
  api: 1 * MiB,
} as const;

/** The limit for a request path. */
export function bodyLimitFor(path: string): number {
  if (path === '/api/webhook') return BODY_LIMITS.webhook;
  if (path === `${AGENT_API}/status`) return BODY_LIMITS.agentStatus;
  return BODY_LIMITS.api;
}

/** A body went past its limit while streaming; the hub answers 413. */
export class BodyTooLargeError extends Error {
  readonly limit: number;
  constructor(limit: number) {
    super(`the request body is larger than ${limit} bytes`);
    this.name = 'BodyTooLargeError';
    this.limit = limit;
  }
}

/** Whether an error (or its cause, as fetch's body readers wrap it) is a BodyTooLargeError. */
export function isBodyTooLarge(e: unknown): boolean {
  return (
    e instanceof BodyTooLargeError ||
    (e instanceof Error && e.cause instanceof BodyTooLargeError) ||
    (e instanceof Error && e.message.includes('the request body is larger than'))
  );
}

/**
 * The 413 answer. `Connection: close`: the rest of the body is not read; the close lingers
 * (lingerOnClose) so that a client still sending reads the 413 rather than a reset.
 */
export function tooLarge(c: Context, limit: number): Response {
  c.header('Connection', 'close');
  const incoming = (c.env as Partial<HttpBindings> | undefined)?.incoming;
  if (incoming) lingerOnClose(incoming);
  return c.json({ error: `the request body is larger than ${limit} bytes` }, 413);
}

/**
 * Bounds every request body by `limitOf(path)`: a Content-Length above it is refused at once;
 * otherwise the body is wrapped so that reading past the limit fails with BodyTooLargeError
 * (answered 413 by the app's error handler). Nothing is read here.
 */
export function limitBodies(limitOf: (path: string) => number = bodyLimitFor): MiddlewareHandler {
  return async (c, next) => {
    const req = c.req.raw;
    if (!req.body) return next();
    const limit = limitOf(c.req.path);
    const declared = req.headers.get('content-length');
    if (declared !== null && Number(declared) > limit) return tooLarge(c, limit);
    let seen = 0;
    const capped = req.body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, ctl) {
          seen += chunk.byteLength;
          if (seen > limit) ctl.error(new BodyTooLargeError(limit));
          else ctl.enqueue(chunk);
        },
      }),
    );
    c.req.raw = new Request(req, { body: capped, duplex: 'half' } as RequestInit);
    await next();
  };
}

/**
 * At most `max` requests at once in a section (reading webhook bodies, which cannot be
 * authenticated before they are read), `queue` more waiting; beyond that the caller gets
 * undefined and answers 503. Bounds the memory unauthenticated bodies can hold to max × limit.
 */
export class Gate {
  readonly #max: number;
  readonly #queue: number;
  #active = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(max: number, queue: number) {
    this.#max = max;
    this.#queue = queue;
  }

  /** A release function once admitted, or undefined when the gate and its queue are full. */
  async enter(): Promise<(() => void) | undefined> {
    if (this.#active >= this.#max) {
      if (this.#waiting.length >= this.#queue) return undefined;
      await new Promise<void>((r) => this.#waiting.push(r));
    } else this.#active += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#waiting.shift();
      // The slot passes straight to the next waiter; #active stays the same.
      if (next) next();
      else this.#active -= 1;
    };
  }
}

/**
 * The UI's Content-Security-Policy: the built UI is a module script and a stylesheet from
 * `/assets`, talking only to its own origin (API and event stream), so nothing inline and nothing
 * from elsewhere is allowed; no one may frame it (clickjacking of the sync buttons).
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Frame-Options': 'DENY',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

/** Adds SECURITY_HEADERS to every answer, errors and 404s included. */
export function securityHeaders(): MiddlewareHandler {
  return async (c, next) => {
    await next();
    try {
      for (const [k, v] of Object.entries(SECURITY_HEADERS)) c.res.headers.set(k, v);
    } catch {
      // A Response with immutable headers (passed through from fetch): copy it once.
      c.res = new Response(c.res.body, c.res);
      for (const [k, v] of Object.entries(SECURITY_HEADERS)) c.res.headers.set(k, v);
    }
  };
}

/** Whether an Authorization header carries `Bearer <token>`, compared in constant time. */
export function bearerMatches(header: string | undefined, token: string): boolean {
  if (!header?.startsWith('Bearer ')) return false;
  const digest = (s: string): Buffer => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(header.slice(7).trim()), digest(token));
}
