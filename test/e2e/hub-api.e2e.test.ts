import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_VERSION } from '../../src/api/application.js';
import { installCrds } from '../../src/cli/commands/install.js';
import type { ApplicationSummary } from '../../src/hub/api.js';
import { startHubServer } from '../../src/hub/server.js';
import { issueUserToken } from '../../src/controllers/tokens.js';
import { HubClient, HubError } from '../../src/core/hub-client.js';
import { KubeClient, loadConnection, type KubeObject } from '../../src/kube/index.js';
import { createNamespace, testFleet, uniqueName, type ClusterHandle } from '../harness/context.js';
import { startControllers, type TestControllers } from '../harness/controllers.js';
import { waitFor } from '../harness/wait.js';

const TOKEN = 'hub-api-test-token';
let hub: ClusterHandle;
let ns: string;
let client: KubeClient;
let controllers: TestControllers;
let server: Awaited<ReturnType<typeof startHubServer>>;
const dir = mkdtempSync(join(tmpdir(), 'gitfleet-api-'));

beforeAll(async () => {
  const fleet = await testFleet();
  hub = fleet.clusters[0] as ClusterHandle;
  await installCrds(hub.admin);
  ns = await createNamespace(hub.admin, 'api');
  client = new KubeClient(await loadConnection({ file: hub.kubeconfig }));
  controllers = await startControllers({
    kubeconfig: hub.kubeconfig,
    namespace: ns,
    cacheDir: join(dir, 'sources'),
    apps: true,
  });
  server = await startHubServer({
    port: 0,
    webhookSecrets: {},
    onPush: () => [],
    api: { client, tokens: [TOKEN] },
    log: pino({ level: 'warn' }),
  });
  const repo = uniqueName('api');
  await fleet.git.createRepo(repo);
  await fleet.git.commit(repo, {
    'cm.yaml':
      'apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  password: api-secret-value\n',
  });
  await hub.admin.create({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'creds', namespace: ns },
    stringData: { username: fleet.git.info.admin.username, password: fleet.git.info.admin.password },
  });
  await hub.admin.create({
    apiVersion: API_VERSION,
    kind: 'Application',
    metadata: { name: 'listed', namespace: ns },
    spec: {
      source: { repoURL: fleet.git.repoUrl(repo), secretRef: { name: 'creds' } },
      destination: { namespace: await createNamespace(hub.admin, 'api-dest') },
      syncPolicy: { automated: {} },
    },
  } as KubeObject);
  // Argo CD's multi-source form has no `source`: every view must still show one.
  await hub.admin.create({
    apiVersion: API_VERSION,
    kind: 'Application',
    metadata: { name: 'multi', namespace: ns },
    spec: {
      sources: [{ repoURL: fleet.git.repoUrl(repo), path: '.', secretRef: { name: 'creds' } }],
      destination: { namespace: await createNamespace(hub.admin, 'api-multi') },
    },
  } as KubeObject);
});

afterAll(async () => {
  controllers?.stop();
  await server?.close();
  client?.close();
  rmSync(dir, { recursive: true, force: true });
});

// '' sends no Authorization header at all.
const get = (path: string, token = TOKEN): Promise<Response> =>
  fetch(`http://127.0.0.1:${server.port}${path}`, {
    headers: token ? { Authorization: `Bearer ${token}` } : {},
  });

describe('hub API', () => {
  it('refuses requests without a valid token', async () => {
    expect((await get('/api/v1/applications', '')).status).toBe(401);
    expect((await get('/api/v1/applications', 'wrong')).status).toBe(401);
  });

  it('lists the fleet and serves one Application without Secret data', async () => {
    const items = await waitFor(
      'listed app Synced in the API',
      async () => {
        const body = (await (await get('/api/v1/applications')).json()) as { items: ApplicationSummary[] };
        const mine = body.items.find((a) => a.namespace === ns && a.name === 'listed');
        return mine?.sync === 'Synced' && body.items;
      },
      { timeoutMs: 60_000, intervalMs: 300 },
    );
    expect(items.find((a) => a.name === 'listed')?.destination.cluster).toBe('in-cluster');
    const multi = items.find((a) => a.namespace === ns && a.name === 'multi');
    expect(multi?.repoURL).toBe(items.find((a) => a.name === 'listed')?.repoURL);
    expect(multi?.path).toBe('.');
    const one = await get(`/api/v1/applications/${ns}/listed`);
    expect(one.status).toBe(200);
    const text = await one.text();
    expect(text).toContain('"kind":"Application"');
    expect(text).not.toContain('api-secret-value');
    expect(text).not.toContain(Buffer.from('api-secret-value').toString('base64'));
    expect((await get(`/api/v1/applications/${ns}/missing`)).status).toBe(404);
    for (const path of ['/api/v1/clusters', '/api/v1/applicationsets']) {
      await waitFor(`${path} answers`, async () => (await get(path)).status === 200, { timeoutMs: 20_000 });
    }
  });

  it('streams Application changes as server-sent events', async () => {
    const ac = new AbortController();
    const res = await fetch(`http://127.0.0.1:${server.port}/api/v1/events`, {
      headers: { Authorization: `Bearer ${TOKEN}` },
      signal: ac.signal,
    });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    await hub.admin.request({
      method: 'PATCH',
      path: `/apis/${API_VERSION}/namespaces/${ns}/applications/listed`,
      body: { metadata: { labels: { touched: 'yes' } } },
      contentType: 'application/merge-patch+json',
    });
    let seen = '';
    const deadline = Date.now() + 20_000;
    while (!seen.includes(`"name":"listed"`) && Date.now() < deadline) {
      const { value, done } = await reader.read();
      if (done) break;
      seen += Buffer.from(value).toString('utf8');
    }
    ac.abort();
    expect(seen).toMatch(/event: application\n/);
    expect(seen).toContain(`"namespace":"${ns}","name":"listed"`);
  });

  it('serves HTTPS with a given certificate, and user tokens stored hashed work until revoked', async () => {
    const fleet = await testFleet();
    const { pki } = fleet.info;
    const tls = await startHubServer({
      port: 0,
      webhookSecrets: {},
      onPush: () => [],
      tls: { cert: readFileSync(pki.serverCert, 'utf8'), key: readFileSync(pki.serverKey, 'utf8') },
      api: { client, tokens: [TOKEN] },
      log: pino({ level: 'warn' }),
    });
    const { token, secret } = await issueUserToken(hub.admin, 'carol', ['team-a']);
    const hubClient = (t: string): HubClient =>
      new HubClient({ url: `https://127.0.0.1:${tls.port}`, token: t, ca: readFileSync(pki.caCert, 'utf8') });
    try {
      const carol = hubClient(token);
      const me = await waitFor('carol known', () =>
        carol.request<{ name: string; groups: string[] }>('GET', '/api/v1/whoami').catch(() => undefined),
      );
      expect(me).toEqual({ kind: 'user', name: 'carol', groups: ['team-a'] });
      // Only the hash is stored.
      const stored = await hub.admin.get<KubeObject & { data: Record<string, string> }>({
        apiVersion: 'v1',
        kind: 'Secret',
        namespace: 'gitfleet-system',
        name: secret,
      });
      expect(JSON.stringify(stored.data)).not.toContain(Buffer.from(token).toString('base64'));
      expect(Buffer.from(stored.data.tokenHash ?? '', 'base64').toString()).toMatch(/^[0-9a-f]{64}$/);
      await hub.admin.delete({
        apiVersion: 'v1',
        kind: 'Secret',
        namespace: 'gitfleet-system',
        name: secret,
      });
      await waitFor('revoked token refused', async () => {
        const e = await carol.request('GET', '/api/v1/whoami').catch((x: unknown) => x);
        return e instanceof HubError && e.status === 401;
      });
      carol.close();
      // Plain HTTP to the TLS port gets no answer; a client without the CA refuses the certificate.
      const untrusted = new HubClient({ url: `https://127.0.0.1:${tls.port}`, token: TOKEN });
      await expect(untrusted.request('GET', '/api/v1/whoami')).rejects.toThrow(/certificate/);
      untrusted.close();
    } finally {
      await tls.close();
    }
  });
});
