import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_VERSION, REFRESH_ANNOTATION, type Application } from '../../src/api/application.js';
import { ROLLOUT_PAUSED_ANNOTATION } from '../../src/api/applicationset.js';
import { installCrds } from '../../src/cli/commands/install.js';
import { REFRESH_REQUESTED_ANNOTATION, SYNC_REQUESTED_BY_ANNOTATION } from '../../src/api/application.js';
import type { FleetMatrix } from '../../src/hub/fleet-matrix.js';
import type { Authorizer } from '../../src/hub/principal.js';
import type { ResourceTree } from '../../src/hub/resource-tree.js';
import { startHubServer } from '../../src/hub/server.js';
import { KubeClient, loadConnection, type KubeObject } from '../../src/kube/index.js';
import { createNamespace, testFleet, uniqueName, type ClusterHandle } from '../harness/context.js';
import { startControllers, type TestControllers } from '../harness/controllers.js';
import { waitFor } from '../harness/wait.js';

const TOKEN = 'hub-actions-token';
const SECRET_VALUE = 'actions-secret-value-never-shown';
let hub: ClusterHandle;
let ns: string;
let client: KubeClient;
let controllers: TestControllers;
let server: Awaited<ReturnType<typeof startHubServer>>;
let denying: Awaited<ReturnType<typeof startHubServer>>;
let repo: string;
let firstSha: string;
const dir = mkdtempSync(join(tmpdir(), 'gitfleet-actions-'));

const deployment = (name: string, replicas: number): string =>
  JSON.stringify({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'app', image: 'nginx:1.27' }] },
      },
    },
  });

const call = (
  srv: { port: number },
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
): Promise<Response> =>
  fetch(`http://127.0.0.1:${srv.port}${path}`, {
    method,
    headers: { Authorization: `Bearer ${TOKEN}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });

const getApp = (name: string): Promise<Application> =>
  hub.admin.get<Application>({ apiVersion: API_VERSION, kind: 'Application', namespace: ns, name });

/** Each Application deploys into a namespace of its own: two owners of one object would conflict. */
async function application(name: string, automated: boolean): Promise<KubeObject> {
  const destNs = await createNamespace(hub.admin, `actions-${name}`);
  return {
    apiVersion: API_VERSION,
    kind: 'Application',
    metadata: { name, namespace: ns },
    spec: {
      source: { repoURL: fleetRepoUrl, secretRef: { name: 'creds' } },
      destination: { namespace: destNs },
      ...(automated ? { syncPolicy: { automated: {} } } : {}),
    },
  };
}
let fleetRepoUrl = '';

beforeAll(async () => {
  const fleet = await testFleet();
  hub = fleet.clusters[0] as ClusterHandle;
  await installCrds(hub.admin);
  ns = await createNamespace(hub.admin, 'actions');
  client = new KubeClient(await loadConnection({ file: hub.kubeconfig }));
  controllers = await startControllers({
    kubeconfig: hub.kubeconfig,
    namespace: ns,
    cacheDir: join(dir, 'sources'),
    apps: true,
  });
  const log = pino({ level: 'warn' });
  server = await startHubServer({
    port: 0,
    webhookSecrets: {},
    onPush: () => [],
    api: { client, tokens: [TOKEN] },
    log,
  });
  // The same hub with a policy that lets the admin read but never act: every action must refuse.
  const readOnly: Authorizer = {
    authorize: (_p, action) =>
      action === 'get'
        ? { allowed: true, reason: 'read' }
        : { allowed: false, reason: `no role grants ${action}` },
  };
  denying = await startHubServer({
    port: 0,
    webhookSecrets: {},
    onPush: () => [],
    api: { client, tokens: [TOKEN], authorizer: readOnly },
    ui: false,
    log,
  });
  repo = uniqueName('actions');
  await fleet.git.createRepo(repo);
  fleetRepoUrl = fleet.git.repoUrl(repo);
  firstSha = await fleet.git.commit(repo, {
    'web.json': deployment('web', 1),
    'secret.yaml': `apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  password: ${SECRET_VALUE}\n`,
  });
  await hub.admin.create({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'creds', namespace: ns },
    stringData: { username: fleet.git.info.admin.username, password: fleet.git.info.admin.password },
  });
  await hub.admin.create(await application('manual', false));
  await hub.admin.create(await application('auto', true));
});

afterAll(async () => {
  controllers?.stop();
  await server?.close();
  await denying?.close();
  client?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('hub actions', () => {
  it('syncs on request, records who asked, and the controller handles it', async () => {
    const res = await call(server, 'POST', `/api/v1/applications/${ns}/manual/sync`);
    expect(res.status).toBe(202);
    const { requested, by } = (await res.json()) as { requested: string; by: string };
    expect(by).toBe('admin');
    const app = await getApp('manual');
    expect(app.metadata.annotations?.[REFRESH_ANNOTATION]).toBe(requested);
    expect(app.metadata.annotations?.[SYNC_REQUESTED_BY_ANNOTATION]).toBe('admin');
    await waitFor(
      'manual app synced by the request',
      async () => {
        const a = await getApp('manual');
        const handled = (a.status as { handledSyncRequest?: string } | undefined)?.handledSyncRequest;
        return handled === requested && a.status?.operationState?.phase === 'Succeeded';
      },
      { timeoutMs: 60_000, intervalMs: 300 },
    );
    expect((await call(server, 'POST', `/api/v1/applications/${ns}/missing/sync`)).status).toBe(404);
    expect(
      (await call(server, 'POST', `/api/v1/applications/${ns}/manual/sync`, { revision: 'abc' })).status,
    ).toBe(400);
  });

  it('refuses every action the authorizer does not grant, before touching anything', async () => {
    const before = await getApp('manual');
    for (const [path, body] of [
      [`/api/v1/applications/${ns}/manual/sync`, undefined],
      [`/api/v1/applications/${ns}/manual/rollback`, { id: 0 }],
      [`/api/v1/applicationsets/${ns}/none/rollout/pause`, undefined],
      [`/api/v1/applicationsets/${ns}/none/rollout/approve`, undefined],
    ] as const) {
      const res = await call(denying, 'POST', path, body);
      expect(res.status, path).toBe(403);
      expect(((await res.json()) as { error: string }).error).toMatch(/no role grants/);
    }
    expect((await getApp('manual')).metadata.annotations).toEqual(before.metadata.annotations);
    // Reading stays allowed under the same policy.
    expect((await call(denying, 'GET', '/api/v1/fleet')).status).toBe(200);
  });

  it('refreshes without syncing', async () => {
    const res = await call(server, 'POST', `/api/v1/applications/${ns}/manual/refresh`);
    expect(res.status).toBe(202);
    const { requested } = (await res.json()) as { requested: string };
    expect((await getApp('manual')).metadata.annotations?.[REFRESH_REQUESTED_ANNOTATION]).toBe(requested);
  });

  it('rolls back to a history entry, and refuses while automated sync is on', async () => {
    const synced = await waitFor(
      'auto app Synced with history',
      async () => {
        const a = await getApp('auto');
        return a.status?.sync?.status === 'Synced' && (a.status.history?.length ?? 0) > 0 && a;
      },
      { timeoutMs: 60_000, intervalMs: 300 },
    );
    const id = synced.status?.history?.[0]?.id ?? 0;
    const refused = await call(server, 'POST', `/api/v1/applications/${ns}/auto/rollback`, { id });
    expect(refused.status).toBe(409);
    expect(((await refused.json()) as { error: string }).error).toMatch(/automated sync/);

    const fleet = await testFleet();
    const second = await fleet.git.commit(repo, { 'web.json': deployment('web', 2) });
    // Request the sync once the controller has seen the commit, or it would sync the old one.
    await waitFor(
      'manual app compared at the second commit',
      async () => {
        return (await getApp('manual')).status?.sync?.revision === second;
      },
      { timeoutMs: 60_000, intervalMs: 300 },
    );
    await call(server, 'POST', `/api/v1/applications/${ns}/manual/sync`);
    const moved = await waitFor(
      'manual app at the second commit',
      async () => {
        const a = await getApp('manual');
        return a.status?.history?.some((h) => h.revision === second) && a;
      },
      { timeoutMs: 60_000, intervalMs: 300 },
    );
    const first = moved.status?.history?.find((h) => h.revision === firstSha);
    expect(first).toBeDefined();
    expect(
      (await call(server, 'POST', `/api/v1/applications/${ns}/manual/rollback`, { id: 999 })).status,
    ).toBe(404);
    const res = await call(server, 'POST', `/api/v1/applications/${ns}/manual/rollback`, { id: first?.id });
    expect(res.status).toBe(202);
    expect((await getApp('manual')).spec.source.targetRevision).toBe(firstSha);
    await waitFor(
      'manual app back at the first commit',
      async () => {
        const a = await getApp('manual');
        return a.status?.sync?.revision === firstSha && a.status.sync.status === 'Synced';
      },
      { timeoutMs: 60_000, intervalMs: 300 },
    );
  });

  it('serves the fleet matrix, the live tree without Secret data, and the events', async () => {
    const matrix = (await (await call(server, 'GET', '/api/v1/fleet')).json()) as FleetMatrix;
    const row = matrix.rows.find((r) => r.key === `${ns}/auto`);
    expect(row?.cells['in-cluster']?.name).toBe('auto');
    expect(matrix.columns.some((c) => c.name === 'in-cluster')).toBe(true);

    const tree = await waitFor(
      'Deployment → ReplicaSet → Pod in the tree',
      async () => {
        const t = (await (
          await call(server, 'GET', `/api/v1/applications/${ns}/auto/tree`)
        ).json()) as ResourceTree;
        const d = t.nodes.find((n) => n.kind === 'Deployment');
        return d?.children[0]?.kind === 'ReplicaSet' && d.children[0].children[0]?.kind === 'Pod' && t;
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    expect(tree.source).toBe('live');
    expect(tree.nodes.find((n) => n.kind === 'Secret')?.name).toBe('s');
    const text = JSON.stringify(tree);
    expect(text).not.toContain(SECRET_VALUE);
    expect(text).not.toContain(Buffer.from(SECRET_VALUE).toString('base64'));

    const events = (await (await call(server, 'GET', `/api/v1/applications/${ns}/auto/events`)).json()) as {
      items: { reason: string }[];
    };
    expect(events.items.some((e) => e.reason === 'SyncSucceeded')).toBe(true);
  });

  it('falls back to the recorded state when the destination cannot be resolved', async () => {
    await hub.admin.create({
      ...(await application('elsewhere', false)),
      spec: {
        source: { repoURL: fleetRepoUrl, secretRef: { name: 'creds' } },
        destination: { name: 'no-such-cluster', namespace: 'x' },
      },
    });
    const t = (await (
      await call(server, 'GET', `/api/v1/applications/${ns}/elsewhere/tree`)
    ).json()) as ResourceTree;
    expect(t.source).toBe('status');
    expect(t.message).toMatch(/no-such-cluster/);
  });

  it('pauses, resumes and refuses to approve a roll-out that is not waiting', async () => {
    const set = uniqueName('set');
    await hub.admin.create({
      apiVersion: API_VERSION,
      kind: 'ApplicationSet',
      metadata: { name: set, namespace: ns },
      spec: {
        generators: [{ list: { elements: [] } }],
        template: {
          metadata: { name: '{{name}}' },
          spec: { source: { repoURL: fleetRepoUrl }, destination: {} },
        },
      },
    });
    const path = `/api/v1/applicationsets/${ns}/${set}/rollout`;
    const annotation = async (): Promise<string | undefined> =>
      (await hub.admin.get({ apiVersion: API_VERSION, kind: 'ApplicationSet', namespace: ns, name: set }))
        .metadata.annotations?.[ROLLOUT_PAUSED_ANNOTATION];
    expect((await call(server, 'POST', `${path}/pause`)).status).toBe(202);
    expect(await annotation()).toBe('true');
    expect((await call(server, 'POST', `${path}/resume`)).status).toBe(202);
    expect(await annotation()).toBe('false');
    expect((await call(server, 'POST', `${path}/approve`)).status).toBe(409);
    expect((await call(server, 'POST', `/api/v1/applicationsets/${ns}/missing/rollout/pause`)).status).toBe(
      404,
    );
    const detail = (await (await call(server, 'GET', `/api/v1/applicationsets/${ns}/${set}`)).json()) as {
      paused: boolean;
    };
    expect(detail.paused).toBe(false);
  });
});
