import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Hono } from 'hono';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_API, REPORT_REFUSED, type AppReport, type StatusBatch } from '../../src/api/agent.js';
import {
  API_VERSION,
  applicationPath,
  type Application,
  type ApplicationStatus,
} from '../../src/api/application.js';
import { FLEET_NAMESPACE, type Cluster } from '../../src/api/cluster.js';
import type { Project } from '../../src/api/project.js';
import { installCrds } from '../../src/cli/commands/install.js';
import { registerAgentCluster } from '../../src/controllers/cluster/register.js';
import { replaceStatus } from '../../src/controllers/status-write.js';
import { HubClient, HubError } from '../../src/core/hub-client.js';
import { mirrorName, mountAgentRoutes } from '../../src/hub/agents.js';
import type { HubEnv } from '../../src/hub/principal.js';
import { Informer } from '../../src/kube/informer.js';
import type { KubeClient, KubeObject } from '../../src/kube/index.js';
import { createNamespace, testFleet, uniqueName, type ClusterHandle } from '../harness/context.js';
import { startHubProcess } from '../harness/gitfleet-process.js';
import { freePort } from '../harness/ports.js';
import type { ManagedProcess } from '../harness/process.js';
import { FatalWaitError, waitFor } from '../harness/wait.js';

/**
 * Agent tokens against a real hub (`gitfleet controller` process) on a real API server: an agent
 * reports on what its cluster owns and nothing else, and what it may report is never lost.
 */
const ADMIN = 'agents-security-admin';
let mgmt: ClusterHandle;
let ns: string;
let other: string;
let hub: ManagedProcess | undefined;
let hubUrl: string;
const c1 = uniqueName('sec-c1');
const c2 = uniqueName('sec-c2');
let asC1: HubClient;
let asC2: HubClient;
let seq = 0;
const bootId = `boot-${Date.now()}`;

const spec = (cluster: string): Application['spec'] => ({
  source: { repoURL: 'http://git.invalid/none.git', path: 'x' },
  destination: { name: cluster, namespace: 'team' },
});

async function createApp(
  namespace: string,
  name: string,
  s: Application['spec'],
  extra: Partial<KubeObject['metadata']> = {},
): Promise<Application> {
  return mgmt.admin.create<Application>({
    apiVersion: API_VERSION,
    kind: 'Application',
    metadata: { name, namespace, ...extra },
    spec: s,
  });
}

function get(namespace: string, name: string): Promise<Application | undefined> {
  return mgmt.admin.getOrUndefined<Application>({
    apiVersion: API_VERSION,
    kind: 'Application',
    namespace,
    name,
  });
}

const status = (health: string): ApplicationStatus => ({
  sync: { status: 'Synced', revision: 'b'.repeat(40) },
  health: { status: health as 'Healthy' },
});

const assigned = (namespace: string, name: string, s?: ApplicationStatus, deleted = false): AppReport => ({
  origin: 'assigned',
  namespace,
  name,
  ...(deleted ? { deleted: true } : { status: s ?? status('Degraded') }),
  observedAt: new Date().toISOString(),
});

/** Sends one batch as `as` for `cluster`; resolves with the HubError when refused. */
async function send(as: HubClient, cluster: string, apps: AppReport[]): Promise<HubError | { seq: number }> {
  const batch: StatusBatch = { cluster, bootId, seq: ++seq, agentVersion: 'test', apps, events: [] };
  try {
    return await as.request<{ seq: number }>('POST', `${AGENT_API}/status`, { body: batch });
  } catch (e) {
    if (e instanceof HubError) return e;
    throw e;
  }
}

beforeAll(async () => {
  const fleet = await testFleet();
  mgmt = fleet.clusters[0] as ClusterHandle;
  await installCrds(mgmt.admin);
  ns = await createNamespace(mgmt.admin, 'sec-agents');
  other = await createNamespace(mgmt.admin, 'sec-hubonly');
  const logDir = join(fleet.info.runDir, 'logs', ns);
  mkdirSync(logDir, { recursive: true });
  const t1 = await registerAgentCluster(mgmt.admin, { name: c1 });
  const t2 = await registerAgentCluster(mgmt.admin, { name: c2 });
  const port = await freePort();
  hubUrl = `http://127.0.0.1:${port}`;
  hub = startHubProcess({
    name: 'sec-agents-hub',
    logDir,
    kubeconfig: mgmt.kubeconfig,
    namespace: ns,
    port,
    shardGroup: uniqueName('sec-agents'),
    replicaId: 'hub',
    env: { GITFLEET_API_TOKENS: ADMIN },
  });
  asC1 = new HubClient({ url: hubUrl, token: t1.token });
  asC2 = new HubClient({ url: hubUrl, token: t2.token });
  await waitFor(
    'the hub to accept c2’s token',
    async () => {
      if (hub && !hub.running) throw new FatalWaitError(`hub exited:\n${hub.tail()}`);
      return asC2.request('GET', `${AGENT_API}/assignments?cluster=${c2}`).then(() => true);
    },
    { timeoutMs: 45_000 },
  );
}, 90_000);

afterAll(async () => {
  asC1?.close();
  asC2?.close();
  await hub?.stop();
});

describe('agent tokens touch only what their cluster owns', () => {
  it('c2 cannot overwrite or delete the status of c1’s app, a hub-only app, or an object named like its mirror', async () => {
    const ofC1 = await createApp(ns, 'of-c1', spec(c1));
    await replaceStatus(mgmt.admin, applicationPath(ns, 'of-c1'), status('Healthy'));
    const hubOnly = await createApp(other, 'hub-only', spec('in-cluster'));
    await replaceStatus(mgmt.admin, applicationPath(other, 'hub-only'), status('Healthy'));
    // An Application someone made in the hub's namespace with exactly the name c2's mirror of
    // its autonomous app team/x would get.
    const lookalike = await createApp(FLEET_NAMESPACE, mirrorName(c2, 'team', 'x'), spec('in-cluster'));
    // And one being deleted, held by a finalizer the agent of its cluster would release.
    await createApp(ns, 'held', spec(c1), { finalizers: ['gitfleet.dev/resources-finalizer'] });
    await mgmt.admin.delete({ apiVersion: API_VERSION, kind: 'Application', namespace: ns, name: 'held' });
    const held = await get(ns, 'held');
    expect(held?.metadata.deletionTimestamp).toBeTruthy();
    const mine = await createApp(ns, 'of-c2', spec(c2));

    const before = new Map<string, string | undefined>();
    const snapshot = async (): Promise<Map<string, string>> => {
      const out = new Map<string, string>();
      for (const [n, name] of [
        [ns, 'of-c1'],
        [other, 'hub-only'],
        [FLEET_NAMESPACE, lookalike.metadata.name],
        [ns, 'held'],
        [ns, 'of-c2'],
      ] as const)
        out.set(`${n}/${name}`, JSON.stringify([(await get(n, name))?.metadata.resourceVersion]));
      return out;
    };
    for (const [k, v] of await snapshot()) before.set(k, v);

    const variants: [string, AppReport[], RegExp][] = [
      ['status of c1’s app', [assigned(ns, 'of-c1')], new RegExp(`assigned to cluster "${c1}"`)],
      [
        'deletion of c1’s app (finalizer release)',
        [assigned(ns, 'held', undefined, true)],
        /assigned to cluster/,
      ],
      ['status of a hub-only app', [assigned(other, 'hub-only')], /assigned to the hub itself/],
      [
        'a look-alike mirror (autonomous spec + status)',
        [
          {
            origin: 'autonomous',
            namespace: 'team',
            name: 'x',
            spec: spec('anything'),
            status: status('Degraded'),
            observedAt: '',
          },
        ],
        /is not the hub's copy/,
      ],
      [
        'deletion of a look-alike mirror',
        [{ origin: 'autonomous', namespace: 'team', name: 'x', deleted: true, observedAt: '' }],
        /is not the hub's copy/,
      ],
      // A batch mixing a report it may make with one it may not is applied not at all.
      [
        'a mixed batch',
        [assigned(ns, 'of-c2', status('Healthy')), assigned(ns, 'of-c1')],
        /assigned to cluster/,
      ],
    ];
    for (const [what, apps, why] of variants) {
      const r = await send(asC2, c2, apps);
      expect(r, what).toBeInstanceOf(HubError);
      expect((r as HubError).status, what).toBe(403);
      expect((r as HubError).message, what).toContain(REPORT_REFUSED);
      expect((r as HubError).message, what).toMatch(why);
    }
    // Nothing changed: same resourceVersions, the finalizer still holds, the look-alike keeps its spec.
    expect(await snapshot()).toEqual(before);
    expect((await get(ns, 'held'))?.metadata.finalizers).toEqual(['gitfleet.dev/resources-finalizer']);
    expect((await get(FLEET_NAMESPACE, lookalike.metadata.name))?.spec.destination.name).toBe('in-cluster');
    expect((await get(ns, 'of-c1'))?.status?.health?.status).toBe('Healthy');
    expect((await get(other, 'hub-only'))?.status?.health?.status).toBe('Healthy');
    expect(ofC1.metadata.uid).toBe((await get(ns, 'of-c1'))?.metadata.uid);
    expect(hubOnly.metadata.uid).toBe((await get(other, 'hub-only'))?.metadata.uid);

    // What c2 owns it may still report: its own assignment, and its own autonomous app's copy.
    expect(await send(asC2, c2, [assigned(ns, 'of-c2', status('Healthy'))])).toEqual({ seq });
    expect((await get(ns, 'of-c2'))?.status?.health?.status).toBe('Healthy');
    expect(mine.metadata.uid).toBe((await get(ns, 'of-c2'))?.metadata.uid);
    const own = {
      origin: 'autonomous' as const,
      namespace: 'team',
      name: 'own',
      spec: spec(c2),
      status: status('Healthy'),
      observedAt: '',
    };
    expect(await send(asC2, c2, [own])).toEqual({ seq });
    const copy = await get(FLEET_NAMESPACE, mirrorName(c2, 'team', 'own'));
    expect(copy?.status?.health?.status).toBe('Healthy');
    expect(copy?.metadata.labels?.['gitfleet.dev/agent-cluster']).toBe(c2);
    // c1 may not touch c2's copy, neither as an assignment nor by deleting it.
    const r = await send(asC1, c1, [assigned(FLEET_NAMESPACE, mirrorName(c2, 'team', 'own'))]);
    expect((r as HubError).status).toBe(403);
    expect((await get(FLEET_NAMESPACE, mirrorName(c2, 'team', 'own')))?.metadata.resourceVersion).toBe(
      copy?.metadata.resourceVersion,
    );

    await mgmt.admin.request({
      method: 'PATCH',
      path: applicationPath(ns, 'held'),
      body: { metadata: { finalizers: null } },
      contentType: 'application/merge-patch+json',
    });
  });
});

/**
 * The agent routes in-process over a real API server, with an Application cache that stopped
 * following it: what a loaded hub's lagging cache looks like to a report.
 */
describe('reports are stored, never acknowledged and lost', () => {
  let apps: Informer<Application>;
  let clusters: Informer<Cluster>;
  let projects: Informer<Project>;
  let app: Hono<HubEnv>;
  let stop: () => void;
  const c3 = uniqueName('sec-c3');

  beforeAll(async () => {
    await registerAgentCluster(mgmt.admin, { name: c3 });
    await createApp(ns, 'flap', spec(c3));
    await replaceStatus(mgmt.admin, applicationPath(ns, 'flap'), status('Progressing'));
    const client: KubeClient = mgmt.admin;
    apps = new Informer<Application>(client, { apiVersion: API_VERSION, kind: 'Application', namespace: ns });
    clusters = new Informer<Cluster>(client, {
      apiVersion: API_VERSION,
      kind: 'Cluster',
      namespace: FLEET_NAMESPACE,
    });
    projects = new Informer<Project>(client, {
      apiVersion: API_VERSION,
      kind: 'Project',
      namespace: FLEET_NAMESPACE,
    });
    for (const i of [apps, clusters, projects]) i.start();
    await waitFor(
      'caches synced',
      () => apps.synced && clusters.synced && projects.synced && !!apps.get(ns, 'flap'),
    );
    // From here on the Application cache is frozen in time.
    apps.stop();
    app = new Hono<HubEnv>();
    app.use('*', async (c, next) => {
      c.set('principal', { kind: 'agent', name: c3, groups: [], cluster: c3 });
      await next();
    });
    ({ stop } = mountAgentRoutes(app, { client, apps, clusters, projects, log: pino({ level: 'silent' }) }));
  });

  afterAll(() => {
    stop?.();
    clusters?.stop();
    projects?.stop();
  });

  const post = async (apps: AppReport[]): Promise<Response> =>
    app.request(`${AGENT_API}/status`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ cluster: c3, bootId, seq: ++seq, agentVersion: 'test', apps, events: [] }),
    });

  it('a report for an app the cache does not have yet is stored', async () => {
    await createApp(ns, 'late', spec(c3));
    expect(apps.get(ns, 'late')).toBeUndefined();
    const r = await post([assigned(ns, 'late', status('Healthy'))]);
    expect(r.status).toBe(200);
    expect((await get(ns, 'late'))?.status?.health?.status).toBe('Healthy');
  });

  it('a status flapping back to what the stale cache shows is stored, and a conflicting writer is retried over', async () => {
    // Cache: Progressing. Report Healthy (stored), then Progressing again: equal to the cache,
    // but not to the object. A hub trusting its cache would acknowledge and drop it.
    expect((await post([assigned(ns, 'flap', status('Healthy'))])).status).toBe(200);
    expect((await get(ns, 'flap'))?.status?.health?.status).toBe('Healthy');
    expect((await post([assigned(ns, 'flap', status('Progressing'))])).status).toBe(200);
    expect((await get(ns, 'flap'))?.status?.health?.status).toBe('Progressing');
    // Another writer changes the status behind the cache: the next report still lands.
    await replaceStatus(mgmt.admin, applicationPath(ns, 'flap'), status('Unknown'));
    expect((await post([assigned(ns, 'flap', status('Degraded'))])).status).toBe(200);
    expect((await get(ns, 'flap'))?.status?.health?.status).toBe('Degraded');
  });

  it('a report for an app deleted on the hub is dropped, and the batch acknowledged', async () => {
    const r = await post([assigned(ns, 'never-existed', status('Healthy'))]);
    expect(r.status).toBe(200);
  });
});
