import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { AuditStore } from '../governance/audit/index.js';
import { KubeClient } from '../kube/client.js';
import { BrowserLogin } from './auth/index.js';
import { createHubApp } from './server.js';

/** The documented API and the router must list the same routes, both ways. */
describe('docs/openapi.yaml', () => {
  it('documents every route the hub serves, and nothing it does not', () => {
    // Nothing is contacted: informers start in the background and are stopped at once.
    const client = new KubeClient({ server: 'https://127.0.0.1:9', headers: {}, rejectUnauthorized: false });
    const audit = {
      record: async () => undefined,
      query: async () => [],
      close: async () => undefined,
    } as AuditStore;
    const { app, stop } = createHubApp({
      port: 0,
      webhookSecrets: {},
      onPush: () => [],
      // With browser sign-in, so its /auth routes are served (nothing is contacted until used).
      api: {
        client,
        tokens: ['t'],
        audit,
        login: new BrowserLogin({
          issuer: 'https://issuer.invalid',
          clientId: 'gitfleet',
          clientSecret: 's',
          redirectUrl: 'https://hub.invalid/auth/callback',
          key: Buffer.alloc(32),
        }),
      },
      metrics: { contentType: 'text/plain', metrics: async () => '' },
      log: pino({ level: 'silent' }),
    });
    stop();
    client.close();
    const served = new Set(
      app.routes
        .filter((r) => r.method !== 'ALL' && !r.path.endsWith('*'))
        .map((r) => `${r.method} ${r.path.replace(/:(\w+)/g, '{$1}')}`),
    );
    const doc = parse(readFileSync(join(import.meta.dirname, '../../docs/openapi.yaml'), 'utf8')) as {
      paths: Record<string, Record<string, unknown>>;
    };
    const documented = new Set(
      Object.entries(doc.paths).flatMap(([path, ops]) =>
        Object.keys(ops)
          .filter((m) => ['get', 'post', 'put', 'patch', 'delete'].includes(m))
          .map((m) => `${m.toUpperCase()} ${path}`),
      ),
    );
    expect([...served].filter((r) => !documented.has(r)).sort()).toEqual([]);
    expect([...documented].filter((r) => !served.has(r)).sort()).toEqual([]);
  });
});
