import { createHmac, randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  API_VERSION,
  REFRESH_ANNOTATION,
  SYNC_REQUESTED_BY_ANNOTATION,
  type Application,
} from '../../src/api/application.js';
import { installCrds } from '../../src/cli/commands/install.js';
import type { AuditEntry } from '../../src/governance/audit/index.js';
import type { KubeObject } from '../../src/kube/index.js';
import {
  createNamespace,
  testFleet,
  uniqueName,
  type ClusterHandle,
  type TestFleet,
} from '../harness/context.js';
import { startGitfleet } from '../harness/gitfleet-process.js';
import { freePort } from '../harness/ports.js';
import type { ManagedProcess } from '../harness/process.js';
import { FatalWaitError, waitFor } from '../harness/wait.js';

/**
 * The hub's HTTP surface as an attacker meets it, against a real `gitfleet controller` process:
 * huge unauthenticated bodies, replayed webhooks, /metrics, the UI's headers, and a sync request
 * written by hand to pass for someone else in the audit trail.
 */
const TOKEN = `admin-${randomUUID()}`;
const METRICS_TOKEN = `metrics-${randomUUID()}`;
const SECRET = `hook-${randomUUID()}`;
const MiB = 1024 * 1024;

let fleet: TestFleet;
let mgmt: ClusterHandle;
let ns: string;
let dest: string;
let hub: ManagedProcess;
let port: number;
let repo: string;

const url = (path: string): string => `http://127.0.0.1:${port}${path}`;

/**
 * POSTs `total` bytes chunked (no Content-Length) and stops sending once the hub answers, sampling
 * the hub's resident memory meanwhile. Resolves with the status, time to answer and peak RSS. The
 * hub closes a connection whose body it refused with a lingering close, so the answer reaches
 * this client still sending: a reset instead of the answer fails the test (no retry).
 */
function flood(
  path: string,
  headers: Record<string, string>,
  total: number,
): Promise<{ status: number; ms: number; sentMiB: number; peakRss: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const startRss = hub.rssBytes();
    let peakRss = startRss;
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, hub.rssBytes())), 50);
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', headers });
    const chunk = Buffer.alloc(MiB, 0x61);
    let sent = 0;
    let answered = false;
    const write = (): void => {
      while (!answered && sent < total) {
        sent += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', write);
      }
      if (!answered) req.end();
    };
    req.on('response', (res) => {
      answered = true;
      const ms = performance.now() - t0;
      res.resume();
      // Let the sampler see what the hub does with what it already received.
      setTimeout(() => {
        clearInterval(sampler);
        peakRss = Math.max(peakRss, hub.rssBytes());
        req.destroy();
        const r = { status: res.statusCode ?? 0, ms, sentMiB: Math.round(sent / MiB), peakRss };
        console.log(
          `[hub-http] POST ${path}: ${r.status} after ${Math.round(ms)} ms, ${r.sentMiB} MiB sent, hub RSS ${Math.round(startRss / MiB)} → peak ${Math.round(peakRss / MiB)} MiB`,
        );
        resolve(r);
      }, 1000);
    });
    // After the answer the hub closes the connection on a client still sending: that is the point.
    req.on('error', (e) => {
      if (answered) return;
      clearInterval(sampler);
      reject(e);
    });
    write();
  });
}

const api = (path: string, init: RequestInit = {}): Promise<Response> =>
  fetch(url(path), { ...init, headers: { Authorization: `Bearer ${TOKEN}`, ...init.headers } });

const audit = async (query: string): Promise<AuditEntry[]> => {
  const res = await api(`/api/v1/audit?${query}`);
  if (res.status !== 200) throw new Error(`audit answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { items: AuditEntry[] }).items;
};

beforeAll(async () => {
  fleet = await testFleet();
  mgmt = fleet.clusters[0] as ClusterHandle;
  await installCrds(mgmt.admin);
  ns = await createNamespace(mgmt.admin, 'hub-http');
  dest = await createNamespace(mgmt.admin, 'hub-http-dest');
  const logDir = join(fleet.info.runDir, 'logs', ns);
  mkdirSync(logDir, { recursive: true });
  const tokenFile = join(logDir, 'metrics-token');
  writeFileSync(tokenFile, `${METRICS_TOKEN}\n`, { mode: 0o600 });
  repo = uniqueName('hub-http');
  await fleet.git.createRepo(repo);
  await fleet.git.commit(repo, {
    'cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  color: blue\n',
  });
  await mgmt.admin.create({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'creds', namespace: ns },
    stringData: { username: fleet.git.info.admin.username, password: fleet.git.info.admin.password },
  } as KubeObject);
  port = await freePort();
  hub = startGitfleet({
    name: `hub-http-${Date.now()}`,
    logDir,
    env: {
      GITFLEET_API_TOKENS: TOKEN,
      GITFLEET_WEBHOOK_GITHUB_SECRET: SECRET,
      GITFLEET_WEBHOOK_GITEA_SECRET: SECRET,
    },
    args: [
      'controller',
      '--kubeconfig',
      mgmt.kubeconfig,
      '--namespace',
      ns,
      '--webhook-port',
      String(port),
      '--poll-interval',
      '2s',
      '--cache-dir',
      join(logDir, 'sources'),
      '--audit-store',
      join(logDir, 'audit'),
      '--shard-group',
      uniqueName('hub-http'),
      '--metrics-token-file',
      tokenFile,
    ],
  });
  await waitFor(
    'the hub to answer',
    async () => {
      if (!hub.running) throw new FatalWaitError(`the hub exited:\n${hub.tail()}`);
      return (await fetch(url('/healthz')).catch(() => undefined))?.ok ?? false;
    },
    { timeoutMs: 60_000, intervalMs: 200 },
  );
}, 120_000);

afterAll(async () => {
  await hub?.stop();
});

describe('request bodies are bounded before they are read', () => {
  const LIMIT_MIB = 100;

  it('refuses a 200 MB chunked webhook without a signature at once, holding none of it', async () => {
    const before = hub.rssBytes();
    const r = await flood('/api/webhook', { 'x-github-event': 'push' }, 200 * MiB);
    expect(r.status).toBe(401);
    expect(r.ms).toBeLessThan(5000);
    expect((r.peakRss - before) / MiB).toBeLessThan(LIMIT_MIB);
  });

  it('cuts a 200 MB chunked webhook with a (forged) signature off at 25 MiB', async () => {
    const before = hub.rssBytes();
    const r = await flood(
      '/api/webhook',
      { 'x-github-event': 'push', 'x-hub-signature-256': `sha256=${'0'.repeat(64)}` },
      200 * MiB,
    );
    expect(r.status).toBe(413);
    expect(r.ms).toBeLessThan(15_000);
    expect(r.sentMiB).toBeLessThan(200);
    expect((r.peakRss - before) / MiB).toBeLessThan(LIMIT_MIB);
  });

  it('answers 401 to a 200 MB POST on an API route without a token, reading none of it', async () => {
    const before = hub.rssBytes();
    const r = await flood(
      `/api/v1/applications/${ns}/web/sync`,
      { 'content-type': 'application/json' },
      200 * MiB,
    );
    expect(r.status).toBe(401);
    expect(r.ms).toBeLessThan(5000);
    expect((r.peakRss - before) / MiB).toBeLessThan(LIMIT_MIB);
  });

  it('answers 413 to an authenticated caller past the API’s 1 MiB', async () => {
    const before = hub.rssBytes();
    const r = await flood(
      `/api/v1/applications/${ns}/web/sync`,
      { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      200 * MiB,
    );
    expect(r.status).toBe(413);
    expect(r.sentMiB).toBeLessThan(200);
    expect((r.peakRss - before) / MiB).toBeLessThan(LIMIT_MIB);
    // And a Content-Length over the limit is refused from the header alone.
    const res = await api(`/api/v1/applications/${ns}/web/sync`, {
      method: 'POST',
      body: 'x'.repeat(2 * MiB),
    });
    expect(res.status).toBe(413);
  });

  it('is still up and serving', async () => {
    expect(hub.running).toBe(true);
    expect((await fetch(url('/healthz'))).status).toBe(200);
  });
});

describe('signed webhooks', () => {
  const body = (): string =>
    JSON.stringify({
      ref: 'refs/heads/main',
      after: randomUUID(),
      repository: { clone_url: fleet.git.repoUrl(repo) },
    });
  const deliver = (b: string, delivery: string): Promise<Response> =>
    fetch(url('/api/webhook'), {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-github-event': 'push',
        'x-github-delivery': delivery,
        'x-hub-signature-256': `sha256=${createHmac('sha256', SECRET).update(b).digest('hex')}`,
      },
      body: b,
    });

  it('acts on a delivery once: a replay, under its id or a fresh one, does nothing and is counted', async () => {
    const b = body();
    expect((await deliver(b, 'd-1')).status).toBe(202);
    const again = await deliver(b, 'd-1');
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ replayed: true, refreshed: [] });
    expect((await deliver(b, randomUUID())).status).toBe(200);
    expect((await deliver(body(), randomUUID())).status).toBe(202);
    const metrics = await (
      await fetch(url('/metrics'), { headers: { Authorization: `Bearer ${METRICS_TOKEN}` } })
    ).text();
    expect(metrics).toMatch(/^gitfleet_webhook_replays_total\{provider="github"\} 2$/m);
  });
});

describe('/metrics with --metrics-token-file', () => {
  it('answers only the bearer of the token', async () => {
    expect((await fetch(url('/metrics'))).status).toBe(401);
    expect((await fetch(url('/metrics'), { headers: { Authorization: `Bearer ${TOKEN}` } })).status).toBe(
      401,
    );
    const ok = await fetch(url('/metrics'), { headers: { Authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('gitfleet_');
  });
});

describe('security headers', () => {
  it('come with the UI, the API, errors and health', async () => {
    const answers = await Promise.all([
      fetch(url('/')),
      fetch(url('/apps/x/y')),
      fetch(url('/api/v1/applications')),
      api('/api/v1/whoami'),
      fetch(url('/healthz')),
    ]);
    expect(answers.map((r) => r.status)).toEqual([200, 200, 401, 200, 200]);
    for (const r of answers) {
      const csp = r.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain('unsafe-inline');
      expect(r.headers.get('x-frame-options')).toBe('DENY');
      expect(r.headers.get('x-content-type-options')).toBe('nosniff');
      expect(r.headers.get('referrer-policy')).toBe('no-referrer');
    }
  });
});

describe('audit attribution', () => {
  const getApp = (): Promise<Application> =>
    mgmt.admin.get<Application>({ apiVersion: API_VERSION, kind: 'Application', namespace: ns, name: 'web' });

  beforeAll(async () => {
    await mgmt.admin.create({
      apiVersion: API_VERSION,
      kind: 'Application',
      metadata: { name: 'web', namespace: ns },
      spec: {
        source: { repoURL: fleet.git.repoUrl(repo), secretRef: { name: 'creds' } },
        destination: { namespace: dest },
      },
    } as KubeObject);
    await waitFor('web compared', async () => !!(await getApp()).status?.sync?.revision, {
      timeoutMs: 60_000,
      intervalMs: 300,
    });
  });

  it('records a hand-written requester as unverified kubectl, never as that user', async () => {
    // What anyone with `kubectl annotate` on Applications can write: the hub's annotations, unsigned.
    await mgmt.admin.request({
      method: 'PATCH',
      path: `/apis/${API_VERSION}/namespaces/${ns}/applications/web`,
      body: {
        metadata: {
          annotations: {
            [REFRESH_ANNOTATION]: new Date().toISOString(),
            [SYNC_REQUESTED_BY_ANNOTATION]: 'alice',
            'gitfleet.dev/sync-requested-by-signature': 'f'.repeat(64),
          },
        },
      },
      contentType: 'application/merge-patch+json',
    });
    const entries = await waitFor(
      'the hand-made sync in the audit trail',
      async () => {
        const items = await audit(`app=${ns}/web`);
        return items.length > 0 && items;
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    expect(entries[0]).toMatchObject({
      operation: 'manual-sync',
      trigger: 'unverified',
      user: 'kubectl (unverified: alice)',
    });
    expect(await audit('user=alice')).toEqual([]);
  });

  it('records a sync asked through the hub API as the authenticated user', async () => {
    const res = await api(`/api/v1/applications/${ns}/web/sync`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(202);
    const mine = await waitFor(
      'the API sync in the audit trail',
      async () => {
        const items = (await audit(`app=${ns}/web`)).filter((e) => e.trigger === 'user');
        return items.length > 0 && items;
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    expect(mine[0]).toMatchObject({ operation: 'manual-sync', trigger: 'user', user: 'admin' });
  });
});
