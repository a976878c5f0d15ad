import { createHmac } from 'node:crypto';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { DeliveryMemory } from './deliveries.js';
import { BODY_LIMITS, CONTENT_SECURITY_POLICY, Gate } from './http-guards.js';
import { createHubApp } from './server.js';

const SECRET = 'hook-secret';
const log = pino({ level: 'silent' });

function hub(extra: Partial<Parameters<typeof createHubApp>[0]> = {}) {
  const pushes: string[][] = [];
  const registry = new Registry();
  const { app } = createHubApp({
    port: 0,
    webhookSecrets: { github: SECRET, gitea: SECRET, gitlab: SECRET },
    onPush: (urls) => {
      pushes.push(urls);
      return urls;
    },
    metrics: registry,
    log,
    ...extra,
  });
  return { app, pushes, registry };
}

/** A body stream of `total` bytes that counts how much of it was pulled. */
function counted(
  total: number,
  chunk = 64 * 1024,
): { body: ReadableStream<Uint8Array>; pulled: () => number } {
  let sent = 0;
  const block = new Uint8Array(chunk).fill(0x61);
  return {
    body: new ReadableStream({
      pull(ctl) {
        if (sent >= total) return ctl.close();
        sent += block.length;
        ctl.enqueue(block);
      },
    }),
    pulled: () => sent,
  };
}

const push = (n: number): string =>
  JSON.stringify({
    ref: 'refs/heads/main',
    after: `${n}`.padStart(40, '0'),
    repository: { clone_url: 'https://git.example/a.git' },
  });
const sig = (body: string): string => createHmac('sha256', SECRET).update(body).digest('hex');

const github = (body: string, delivery: string): RequestInit => ({
  method: 'POST',
  headers: {
    'content-type': 'application/json',
    'x-github-event': 'push',
    'x-github-delivery': delivery,
    'x-hub-signature-256': `sha256=${sig(body)}`,
  },
  body,
});

describe('webhook bodies are bounded and authenticated from headers first', () => {
  it('refuses a push without a signature header before reading its body', async () => {
    const { app } = hub();
    const big = counted(200 * 1024 * 1024);
    const res = await app.request('/api/webhook', {
      method: 'POST',
      headers: { 'x-github-event': 'push' },
      body: big.body,
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(401);
    expect(await res.text()).toContain('missing x-hub-signature-256 header');
    expect(big.pulled()).toBeLessThanOrEqual(2 * 64 * 1024);
  });

  it('refuses a provider without a configured secret before reading the body', async () => {
    const { app } = hub({ webhookSecrets: {} });
    const big = counted(10 * 1024 * 1024);
    const res = await app.request('/api/webhook', {
      method: 'POST',
      headers: { 'x-gitea-event': 'push', 'x-gitea-signature': 'ab' },
      body: big.body,
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(401);
    expect(await res.text()).toContain('no webhook secret is configured');
    expect(big.pulled()).toBeLessThanOrEqual(2 * 64 * 1024);
  });

  it('checks a GitLab token, which is a header, before the body', async () => {
    const { app } = hub();
    const big = counted(10 * 1024 * 1024);
    const res = await app.request('/api/webhook', {
      method: 'POST',
      headers: { 'x-gitlab-event': 'Push Hook', 'x-gitlab-token': 'wrong' },
      body: big.body,
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(401);
    expect(big.pulled()).toBeLessThanOrEqual(2 * 64 * 1024);
  });

  it('answers 413 to a Content-Length above the limit without reading', async () => {
    const { app } = hub();
    const big = counted(BODY_LIMITS.webhook + 1024);
    const res = await app.request('/api/webhook', {
      method: 'POST',
      headers: {
        'x-github-event': 'push',
        'x-hub-signature-256': 'sha256=00',
        'content-length': String(BODY_LIMITS.webhook + 1),
      },
      body: big.body,
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(413);
    expect(big.pulled()).toBeLessThanOrEqual(2 * 64 * 1024);
  });

  it('cuts a chunked body off at the limit while it streams', async () => {
    const { app } = hub();
    const big = counted(200 * 1024 * 1024);
    const res = await app.request('/api/webhook', {
      method: 'POST',
      headers: { 'x-github-event': 'push', 'x-hub-signature-256': 'sha256=00' },
      body: big.body,
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({
      error: `the request body is larger than ${BODY_LIMITS.webhook} bytes`,
    });
    expect(big.pulled()).toBeLessThan(BODY_LIMITS.webhook + 4 * 64 * 1024);
  });

  it('bounds bodies of every other route at 1 MiB', async () => {
    const { app } = hub();
    const big = counted(5 * 1024 * 1024);
    // No route reads this body; a Content-Length above the limit is refused all the same.
    const res = await app.request('/healthz', {
      method: 'POST',
      headers: { 'content-length': String(5 * 1024 * 1024) },
      body: big.body,
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(413);
  });
});

describe('webhook replay', () => {
  it('acts on a delivery once; the same delivery id or the same signed body again does nothing', async () => {
    const { app, pushes, registry } = hub();
    const first = await app.request('/api/webhook', github(push(1), 'd-1'));
    expect(first.status).toBe(202);
    const again = await app.request('/api/webhook', github(push(1), 'd-1'));
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ replayed: true, refreshed: [] });
    // A captured body under a fresh delivery id: the signature does not cover the id.
    expect((await app.request('/api/webhook', github(push(1), 'd-2'))).status).toBe(200);
    // The same id with another body (a forged id reuse) is a replay too.
    expect((await app.request('/api/webhook', github(push(2), 'd-1'))).status).toBe(200);
    expect((await app.request('/api/webhook', github(push(3), 'd-3'))).status).toBe(202);
    expect(pushes).toHaveLength(2);
    expect(await registry.getSingleMetricAsString('gitfleet_webhook_replays_total')).toContain(
      'gitfleet_webhook_replays_total{provider="github"} 3',
    );
  });

  it('does not remember unverified deliveries', async () => {
    const { app, pushes } = hub();
    const forged = github(push(4), 'd-9');
    (forged.headers as Record<string, string>)['x-hub-signature-256'] = `sha256=${'0'.repeat(64)}`;
    expect((await app.request('/api/webhook', forged)).status).toBe(401);
    expect((await app.request('/api/webhook', github(push(4), 'd-9'))).status).toBe(202);
    expect(pushes).toHaveLength(1);
  });

  it('forgets after the TTL and keeps at most max keys', () => {
    let now = 0;
    const m = new DeliveryMemory({ max: 4, ttlMs: 1000, now: () => now });
    expect(m.firstTime('github', 'a', Buffer.from('1'))).toBe(true);
    expect(m.firstTime('github', 'a', Buffer.from('1'))).toBe(false);
    expect(m.firstTime('gitea', 'a', Buffer.from('x'))).toBe(true);
    now = 1500;
    expect(m.firstTime('github', 'a', Buffer.from('1'))).toBe(true);
    for (let i = 0; i < 10; i++) m.firstTime('github', `id-${i}`, Buffer.from(`b-${i}`));
    expect(m.size).toBeLessThanOrEqual(4);
    expect(m.replays).toBe(1);
  });
});

describe('/metrics', () => {
  it('is open by default', async () => {
    const { app } = hub();
    expect((await app.request('/metrics')).status).toBe(200);
  });

  it('requires the token when one is configured', async () => {
    const { app } = hub({ metricsToken: 'm-token' });
    expect((await app.request('/metrics')).status).toBe(401);
    expect((await app.request('/metrics', { headers: { Authorization: 'Bearer wrong' } })).status).toBe(401);
    const ok = await app.request('/metrics', { headers: { Authorization: 'Bearer m-token' } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('# HELP');
  });
});

describe('security headers', () => {
  it('are on every answer: success, 404, 401 and 413', async () => {
    const { app } = hub({ metricsToken: 't' });
    const answers = [
      await app.request('/healthz'),
      await app.request('/metrics'),
      await app.request('/nowhere'),
      await app.request('/api/webhook', {
        method: 'POST',
        headers: {
          'content-length': String(BODY_LIMITS.webhook + 1),
          'x-gitea-event': 'push',
          'x-gitea-signature': 'a',
        },
        body: 'x',
      }),
    ];
    expect(answers.map((r) => r.status)).toEqual([200, 401, 404, 413]);
    for (const r of answers) {
      expect(r.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
      expect(r.headers.get('x-frame-options')).toBe('DENY');
      expect(r.headers.get('x-content-type-options')).toBe('nosniff');
      expect(r.headers.get('referrer-policy')).toBe('no-referrer');
    }
    expect(CONTENT_SECURITY_POLICY).toContain("frame-ancestors 'none'");
    expect(CONTENT_SECURITY_POLICY).not.toContain('unsafe-inline');
  });
});

describe('Gate', () => {
  it('admits max at once, queues up to queue more, refuses the rest', async () => {
    const g = new Gate(1, 1);
    const a = await g.enter();
    expect(a).toBeDefined();
    const waiting = g.enter();
    expect(await g.enter()).toBeUndefined();
    a?.();
    const b = await waiting;
    expect(b).toBeDefined();
    b?.();
    expect(await g.enter()).toBeDefined();
  });
});
