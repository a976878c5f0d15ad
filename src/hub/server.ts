import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import type { Logger } from 'pino';
import { GitfleetError } from '../core/errors.js';
import { parsePushWebhook, WebhookIgnoredError } from '../engine/source/index.js';

export interface HubServerOptions {
  port: number;
  host?: string;
  /** Shared secrets per provider; a provider without one is refused (never accept unsigned pushes). */
  webhookSecrets: { github?: string; gitlab?: string; gitea?: string };
  /** Called with the repository URLs of a verified push; returns the Applications it refreshed. */
  onPush: (repoUrls: string[]) => string[];
  /** Served at GET /metrics in the Prometheus text format when given. */
  metrics?: { contentType: string; metrics(): Promise<string> };
  log: Logger;
}

/** The hub's HTTP surface. Today: health and the Git push webhook (`POST /api/webhook`). */
export function createHubApp(opts: HubServerOptions): Hono {
  const app = new Hono();
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
  return app;
}

/** Starts the hub HTTP server; resolves once it listens. */
export function startHubServer(
  opts: HubServerOptions,
): Promise<{ server: ServerType; port: number; close(): Promise<void> }> {
  const app = createHubApp(opts);
  return new Promise((resolve) => {
    const server = serve(
      { fetch: app.fetch, port: opts.port, hostname: opts.host ?? '127.0.0.1' },
      (info) => {
        resolve({ server, port: info.port, close: () => new Promise((r) => server.close(() => r())) });
      },
    );
  });
}
