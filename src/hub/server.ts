import { createServer as createHttpsServer } from 'node:https';
import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import type { Logger } from 'pino';
import { GitfleetError } from '../core/errors.js';
import { parsePushWebhook, WebhookIgnoredError } from '../engine/source/index.js';
import { KubeApiError } from '../kube/errors.js';
import { mountActions } from './actions.js';
import { mountApi, type ApiDeps } from './api.js';
import type { HubEnv } from './principal.js';
import { mountStatic } from './static.js';
import { mountViews } from './views.js';

export interface HubServerOptions {
  port: number;
  host?: string;
  /** Serve HTTPS with this PEM certificate and key. */
  tls?: { cert: string; key: string };
  /** Shared secrets per provider; a provider without one is refused (never accept unsigned pushes). */
  webhookSecrets: { github?: string; gitlab?: string; gitea?: string };
  /** Called with the repository URLs of a verified push; returns the Applications it refreshed. */
  onPush: (repoUrls: string[]) => string[];
  /** Enables the read API at /api/v1 (bearer tokens required). */
  api?: Omit<ApiDeps, 'log'>;
  /**
   * The web UI (web/dist) at `/`, served when the API is enabled; `false` turns it off, `dir`
   * serves another build.
   */
  ui?: { dir?: string } | false;
  /** Served at GET /metrics in the Prometheus text format when given. */
  metrics?: { contentType: string; metrics(): Promise<string> };
  log: Logger;
}

/** The hub's HTTP surface: health, metrics, the Git push webhook and the read API. */
export function createHubApp(opts: HubServerOptions): { app: Hono<HubEnv>; stop(): void } {
  const app = new Hono<HubEnv>();
  const deps: ApiDeps | undefined = opts.api ? { ...opts.api, log: opts.log } : undefined;
  const api = deps ? mountApi(app, deps) : undefined;
  // After mountApi: its middleware authenticates every /api/v1 route, these included.
  const views = deps ? mountViews(app, deps) : undefined;
  if (deps) mountActions(app, deps);
  // The API server's answer decides ours: a missing kind or a store still starting is not our bug.
  app.onError((e, c) => {
    if (e instanceof KubeApiError)
      return c.json({ error: e.message }, e.transient || e.status === 404 ? 503 : 502);
    opts.log.error({ err: e.message }, 'hub request failed');
    return c.json({ error: 'internal error' }, 500);
  });
  app.get('/healthz', (c) => c.text('ok'));
  const registry = opts.metrics;
  if (registry) {
    app.get('/metrics', async (c) =>
      c.body(await registry.metrics(), 200, { 'Content-Type': registry.contentType }),
    );
  }
  app.post('/api/webhook', async (c) => {
    const raw = Buffer.from(await c.req.arrayBuffer());
    const headers: Record<string, string | undefined> = {};
    c.req.raw.headers.forEach((v, k) => (headers[k.toLowerCase()] = v));
    try {
      const ev = parsePushWebhook(headers, raw, opts.webhookSecrets);
      // A push nobody signed could come from anyone: it may only trigger work if a secret proved it.
      if (!ev.verified)
        return c.json(
          { error: `no webhook secret is configured for ${ev.provider}; refusing unsigned pushes` },
          401,
        );
      const refreshed = opts.onPush(ev.repoUrls);
      opts.log.info({ provider: ev.provider, ref: ev.ref, refreshed: refreshed.length }, 'push webhook');
      return c.json({ refreshed }, 202);
    } catch (e) {
      if (e instanceof WebhookIgnoredError) return c.json({ ignored: e.message }, 202);
      if (e instanceof GitfleetError && e.code === 'webhook.Unauthorized')
        return c.json({ error: e.message }, 401);
      if (e instanceof GitfleetError) return c.json({ error: e.message }, 400);
      throw e;
    }
  });
  // Last: the UI answers every GET no route above claimed (its own client-side routes).
  if (opts.api && opts.ui !== false) mountStatic(app, opts.ui ?? {});
  return {
    app,
    stop: () => {
      api?.stop();
      views?.stop();
    },
  };
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
