import { createServer as createHttpsServer } from 'node:https';
import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import type { Logger } from 'pino';
import { GitfleetError } from '../core/errors.js';
import { Counter, Registry } from 'prom-client';
import { parsePushWebhook, WebhookIgnoredError } from '../engine/source/index.js';
import {
  checkWebhookHeaders,
  deliveryIdOf,
  parsePullRequestWebhook,
  type PullRequestEvent,
} from '../engine/source/webhook.js';
import { apiV1, type ApiDeps } from './api.js';
import { authRoutes } from './auth/index.js';
import { DeliveryMemory } from './deliveries.js';
import { answerError, fail } from './http-errors.js';
import { bearerMatches, Gate, isBodyTooLarge, limitBodies, securityHeaders } from './http-guards.js';
import type { HubEnv } from './principal.js';
import { mountStatic } from './static.js';

export interface HubServerOptions {
  port: number;
  host?: string;
  /** Serve HTTPS with this PEM certificate and key. */
  tls?: { cert: string; key: string };
  /** Shared secrets per provider; a provider without one is refused (never accept unsigned pushes). */
  webhookSecrets: { github?: string; gitlab?: string; gitea?: string };
  /** Called with the repository URLs of a verified push; returns the Applications it refreshed. */
  onPush: (repoUrls: string[]) => string[];
  /**
   * Called with a verified pull request event (opened, reopened, pushed to); answers whether a
   * fleet impact preview was queued or why not. Without it pull request events are ignored.
   */
  onPullRequest?: (ev: PullRequestEvent) => Promise<{ queued: string } | { ignored: string }>;
  /** Enables the read API at /api/v1 (bearer tokens required). */
  api?: Omit<ApiDeps, 'log'>;
  /**
   * The web UI (web/dist) at `/`, served when the API is enabled; `false` turns it off, `dir`
   * serves another build.
   */
  ui?: { dir?: string } | false;
  /** Served at GET /metrics in the Prometheus text format when given. */
  metrics?: { contentType: string; metrics(): Promise<string> };
  /**
   * When set, GET /metrics requires `Authorization: Bearer <metricsToken>` (Prometheus
   * `authorization.credentials_file`); open otherwise, as Prometheus scrapes expect by default.
   */
  metricsToken?: string;
  /** Remembers signed webhook deliveries so a replay does nothing; one is made when absent. */
  deliveries?: DeliveryMemory;
  log: Logger;
}

/** How long a webhook may take to send its body once it holds a reading slot. */
const WEBHOOK_READ_TIMEOUT_MS = 30_000;

/** The hub's HTTP surface: health, metrics, the Git push webhook and the read API. */
export function createHubApp(opts: HubServerOptions): { app: Hono<HubEnv>; stop(): void } {
  const app = new Hono<HubEnv>();
  // First, so they cover every route: headers on every answer, and every body bounded before any
  // route reads it (lazily: bearer routes still authenticate before a byte is read).
  app.use('*', securityHeaders());
  app.use('*', limitBodies());
  // Every failure of every route, sub-apps included, is answered here and nowhere else.
  app.onError((e, c) => answerError(e, c, opts.log));
  // /api/v1: one authentication middleware in front of every sub-app (reads, views, actions,
  // audit, agents).
  const api = opts.api ? apiV1({ ...opts.api, log: opts.log }) : undefined;
  if (api) app.route('/api/v1', api.routes);
  // Browser sign-in (OIDC) when configured: its session cookie is accepted by /api/v1 above.
  if (api && opts.api?.login) app.route('/auth', authRoutes(opts.api.login, opts.log));
  app.get('/healthz', (c) => c.text('ok'));
  const registry = opts.metrics;
  if (registry) {
    const token = opts.metricsToken;
    app.get('/metrics', async (c) => {
      if (token !== undefined && !bearerMatches(c.req.header('authorization'), token))
        fail(401, 'a valid bearer token is required for /metrics');
      return c.body(await registry.metrics(), 200, { 'Content-Type': registry.contentType });
    });
  }
  const deliveries = opts.deliveries ?? new DeliveryMemory();
  const replays = replayCounter(registry);
  // Signed bodies must be read to be checked: at most 4 at a time (16 more queued), so forged
  // ones can hold at most 4 × 25 MiB.
  const reading = new Gate(4, 16);
  app.post('/api/webhook', async (c) => {
    const headers: Record<string, string | undefined> = {};
    c.req.raw.headers.forEach((v, k) => (headers[k.toLowerCase()] = v));
    try {
      // Everything the headers can refuse is refused before the body is read: no provider, no
      // secret for it (unsigned pushes could come from anyone), no signature, a wrong GitLab token.
      const provider = checkWebhookHeaders(headers, opts.webhookSecrets);
      const release = await reading.enter();
      if (!release) fail(503, 'too many webhook deliveries at once; retry', { 'Retry-After': '5' });
      let raw: Buffer | undefined;
      let timer: NodeJS.Timeout | undefined;
      try {
        // A sender that trickles its body must not hold a slot for long: providers send at once.
        const late = new Promise<undefined>(
          (r) => (timer = setTimeout(() => r(undefined), WEBHOOK_READ_TIMEOUT_MS)),
        );
        const body = c.req.arrayBuffer().then((b) => Buffer.from(b));
        // Once the timeout has answered, a later failure of the read has nobody to tell.
        body.catch(() => undefined);
        raw = await Promise.race([body, late]);
      } finally {
        clearTimeout(timer);
        release();
      }
      if (!raw) fail(408, 'the webhook body was not sent in time', { Connection: 'close' });
      const pr = opts.onPullRequest ? parsePullRequestWebhook(headers, raw, opts.webhookSecrets) : undefined;
      if (pr && opts.onPullRequest) {
        if (!deliveries.firstTime(provider, deliveryIdOf(provider, headers), raw)) {
          replays?.inc({ provider });
          return c.json({ replayed: true }, 200);
        }
        const answer = await opts.onPullRequest(pr);
        opts.log.info(
          { provider, pr: `${pr.repo.owner}/${pr.repo.repo}#${pr.number}`, ...answer },
          'pull request webhook',
        );
        return c.json(answer, 202);
      }
      const ev = parsePushWebhook(headers, raw, opts.webhookSecrets);
      // checkWebhookHeaders refused providers without a secret; this stays as a second lock.
      if (!ev.verified)
        fail(401, `no webhook secret is configured for ${ev.provider}; refusing unsigned pushes`);
      // Only verified deliveries are remembered, so junk cannot push real ones out of memory.
      if (!deliveries.firstTime(provider, deliveryIdOf(provider, headers), raw)) {
        replays?.inc({ provider });
        opts.log.warn({ provider, delivery: deliveryIdOf(provider, headers) }, 'webhook replay ignored');
        return c.json({ replayed: true, refreshed: [] }, 200);
      }
      const refreshed = opts.onPush(ev.repoUrls);
      opts.log.info({ provider: ev.provider, ref: ev.ref, refreshed: refreshed.length }, 'push webhook');
      return c.json({ refreshed }, 202);
    } catch (e) {
      if (isBodyTooLarge(e)) throw e;
      // Not a failure: a push this hub has nothing to do with (a tag, a ping) is acknowledged.
      if (e instanceof WebhookIgnoredError) return c.json({ ignored: e.message }, 202);
      // What the webhook parser refuses is the sender's fault: 401 for a bad signature, else 400.
      if (e instanceof GitfleetError && e.code === 'webhook.Unauthorized') fail(401, e.message);
      if (e instanceof GitfleetError) fail(400, e.message);
      throw e;
    }
  });
  // Last: the UI answers every GET no route above claimed (its own client-side routes).
  if (opts.api && opts.ui !== false) mountStatic(app, opts.ui ?? {});
  return {
    app,
    stop: () => api?.stop(),
  };
}

/** gitfleet_webhook_replays_total on the hub's registry, when it is a prom-client one. */
function replayCounter(registry: HubServerOptions['metrics']): Counter<'provider'> | undefined {
  if (!(registry instanceof Registry)) return undefined;
  const name = 'gitfleet_webhook_replays_total';
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as Counter<'provider'>;
  return new Counter({
    name,
    help: 'Signed webhook deliveries refused because the same delivery was already acted on.',
    labelNames: ['provider'],
    registers: [registry],
  });
}

/** Starts the hub HTTP server; resolves once it listens. */
export function startHubServer(
  opts: HubServerOptions,
): Promise<{ server: ServerType; port: number; close(): Promise<void> }> {
  const { app, stop } = createHubApp(opts);
  return new Promise((resolve) => {
    const server = serve(
      {
        fetch: app.fetch,
        port: opts.port,
        hostname: opts.host ?? '127.0.0.1',
        ...(opts.tls ? { createServer: createHttpsServer, serverOptions: opts.tls } : {}),
      },
      (info) => {
        const close = (): Promise<void> => {
          stop();
          // Event streams stay open as long as clients listen: end them, then stop listening.
          (server as { closeAllConnections?: () => void }).closeAllConnections?.();
          return new Promise((r) => server.close(() => r()));
        };
        resolve({ server, port: info.port, close });
      },
    );
  });
}
