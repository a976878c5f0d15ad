// Argo CD destinations on the real fleet: `destination.server` lands on the Cluster with that API
// URL (never on the hub by default), an unknown URL is refused with nothing applied, the cluster
// generator's `{{server}}` round-trips, Argo's finalizer cascades, `automated.enabled: false` holds.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_VERSION, type Application } from '../../src/api/application.js';
import { FLEET_NAMESPACE } from '../../src/api/cluster.js';
import { installCrds } from '../../src/cli/commands/install.js';
import { registerCluster, removeCluster } from '../../src/controllers/cluster/register.js';
import { loadConnection, type KubeClient, type KubeObject } from '../../src/kube/index.js';
import {
  createNamespace,
  testFleet,
  uniqueName,
  type ClusterHandle,
  type TestFleet,
} from '../harness/context.js';
import { startControllers, type TestControllers } from '../harness/controllers.js';
import { waitFor } from '../harness/wait.js';

const ARGO_FINALIZER = 'resources-finalizer.argocd.argoproj.io';

let fleet: TestFleet;
let hub: ClusterHandle;
let c2: ClusterHandle;
let ns: string;
let controllers: TestControllers;
let repoUrl: string;
/** The Clusters this file registers: name → the API URL they are registered with. */
const registered = new Map<string, string>();
const cacheDir = mkdtempSync(join(tmpdir(), 'gitfleet-argo-dest-'));
const mark = uniqueName('argodest');
/** c2, registered once for the whole file (a second Cluster at its URL would make it ambiguous). */
const c2Name = uniqueName('argo-c2');
let c2Url: string;

/**
 * Registers a harness cluster under `https://localhost:<port>`. Other test files register the
 * same API servers under their `https://127.0.0.1:<port>` URLs, and a URL that several Clusters
 * share is refused as ambiguous; the serving certificate names localhost too, so this is the same
 * API server under a URL only this file's Clusters have.
 */
async function register(
  c: ClusterHandle,
  name: string,
  labels: Record<string, string> = {},
): Promise<string> {
  const conn = await loadConnection({ file: c.kubeconfig });
  const server = conn.server.replace('//127.0.0.1:', '//localhost:');
  expect(server).not.toBe(conn.server);
  await registerCluster(hub.admin, { name, connection: { ...conn, server }, labels });
  registered.set(name, server);
  return server;
}

const getApp = (name: string): Promise<Application | undefined> =>
  hub.admin.getOrUndefined<Application>({
    apiVersion: API_VERSION,
    kind: 'Application',
    namespace: ns,
    name,
  });

async function waitApp(name: string, what: string, pred: (a: Application) => boolean): Promise<Application> {
  let last: Application | undefined;
  return waitFor(
    `${name}: ${what}`,
    async () => {
      last = await getApp(name);
      return last !== undefined && pred(last) && last;
    },
    { timeoutMs: 60_000, intervalMs: 250 },
  ).catch((e: unknown) => {
    throw new Error(`${(e as Error).message}\nlast status: ${JSON.stringify(last?.status)}`);
  });
}

async function createApp(name: string, spec: Record<string, unknown>, finalizers = [ARGO_FINALIZER]) {
  await hub.admin.create({
    apiVersion: API_VERSION,
    kind: 'Application',
    metadata: { name, namespace: ns, finalizers },
    spec,
  } as KubeObject);
}

const configMap = (c: KubeClient, namespace: string, name: string): Promise<KubeObject | undefined> =>
  c.getOrUndefined({ apiVersion: 'v1', kind: 'ConfigMap', namespace, name });

/** A namespace of the same name on the hub and on c2, so an app landing on the wrong one would show. */
async function namespaceOnBoth(prefix: string): Promise<string> {
  const name = await createNamespace(c2.admin, prefix);
  await hub.admin.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  return name;
}

const synced = (a: Application): boolean =>
  a.status?.sync?.status === 'Synced' && a.status.health?.status === 'Healthy';

beforeAll(async () => {
  fleet = await testFleet();
  hub = fleet.clusters[0] as ClusterHandle;
  c2 = fleet.clusters[1] as ClusterHandle;
  await installCrds(hub.admin);
  ns = await createNamespace(hub.admin, 'argo-dest');
  const repo = uniqueName('argo-dest');
  await fleet.git.createRepo(repo);
  await fleet.git.commit(repo, {
    'app/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web-config\ndata:\n  color: blue\n',
  });
  repoUrl = fleet.git.repoUrl(repo);
  await hub.admin.create({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: `${repo}-repo`, namespace: ns, labels: { 'gitfleet.dev/secret-type': 'repository' } },
    stringData: {
      url: repoUrl,
      username: fleet.git.info.admin.username,
      password: fleet.git.info.admin.password,
    },
  });
  c2Url = await register(c2, c2Name, { argodest: mark });
  controllers = await startControllers({
    kubeconfig: hub.kubeconfig,
    namespace: ns,
    cacheDir,
    apps: true,
    appsets: true,
  });
});

afterAll(async () => {
  controllers?.stop();
  for (const name of registered.keys()) await removeCluster(hub.admin, name).catch(() => undefined);
  rmSync(cacheDir, { recursive: true, force: true });
});

describe('Argo CD destinations', () => {
  it("puts an app with destination.server on that Cluster (not the hub), and deletes it with Argo's finalizer", async () => {
    const destNs = await namespaceOnBoth('argo-server');
    // Spelled differently from the registration (upper case, trailing slash): the same cluster.
    await createApp('by-server', {
      project: 'default',
      source: { repoURL: repoUrl, path: 'app' },
      destination: { server: `${c2Url.toUpperCase().replace('HTTPS', 'https')}/`, namespace: destNs },
      syncPolicy: { automated: { prune: true } },
    });
    const app = await waitApp('by-server', 'Synced and Healthy', synced);
    expect(app.status?.conditions ?? []).toEqual([]);
    // The user's spec is left as written; only the controller's copy names the cluster.
    expect(app.spec.destination).toEqual({
      server: `${c2Url.toUpperCase().replace('HTTPS', 'https')}/`,
      namespace: destNs,
    });
    const onC2 = await configMap(c2.admin, destNs, 'web-config');
    expect(onC2?.metadata.annotations?.['gitfleet.dev/owner']).toBe(`${ns}/by-server`);
    expect(await configMap(hub.admin, destNs, 'web-config')).toBeUndefined();

    await hub.admin.delete({
      apiVersion: API_VERSION,
      kind: 'Application',
      namespace: ns,
      name: 'by-server',
    });
    await waitFor(
      'by-server deleted (Argo finalizer handled)',
      async () => (await getApp('by-server')) === undefined,
      {
        timeoutMs: 30_000,
      },
    );
    expect(await configMap(c2.admin, destNs, 'web-config')).toBeUndefined();
  });

  it('refuses a server no Cluster has, applies nothing anywhere, and still lets the app be deleted', async () => {
    const destNs = await namespaceOnBoth('argo-unknown');
    const unknown = 'https://127.0.0.1:1';
    await createApp('unknown-server', {
      project: 'default',
      source: { repoURL: repoUrl, path: 'app' },
      destination: { server: unknown, namespace: destNs },
      syncPolicy: { automated: { prune: true } },
    });
    const app = await waitApp('unknown-server', 'InvalidSpecError', (a) =>
      (a.status?.conditions ?? []).some((c) => c.type === 'InvalidSpecError'),
    );
    const cond = app.status?.conditions?.find((c) => c.type === 'InvalidSpecError');
    expect(cond?.message).toMatch(
      /^destination\.server https:\/\/127\.0\.0\.1:1 matches no registered Cluster/,
    );
    expect(app.status?.operationState).toBeUndefined();
    // Give a wrong fallback every chance to show.
    await new Promise((r) => setTimeout(r, 3000));
    expect(await configMap(hub.admin, destNs, 'web-config')).toBeUndefined();
    expect(await configMap(c2.admin, destNs, 'web-config')).toBeUndefined();
    const events = await hub.admin.list('v1', 'Event', { namespace: ns });
    expect(
      events.items.some(
        (e) =>
          (e as { involvedObject?: { name?: string } }).involvedObject?.name === 'unknown-server' &&
          (e as { reason?: string }).reason === 'InvalidSpecError',
      ),
    ).toBe(true);

    await hub.admin.delete({
      apiVersion: API_VERSION,
      kind: 'Application',
      namespace: ns,
      name: 'unknown-server',
    });
    await waitFor('unknown-server deleted', async () => (await getApp('unknown-server')) === undefined, {
      timeoutMs: 30_000,
    });
  });

  it('refuses name and server together at the API (as Argo CD refuses them)', async () => {
    const err = await hub.admin
      .create({
        apiVersion: API_VERSION,
        kind: 'Application',
        metadata: { name: 'both', namespace: ns },
        spec: {
          source: { repoURL: repoUrl, path: 'app' },
          destination: { name: c2Name, server: c2Url, namespace: 'x' },
        },
      } as KubeObject)
      .then(
        () => undefined,
        (e: unknown) => e as Error,
      );
    expect(err?.message).toContain('set destination.name or destination.server, not both');
    expect(await getApp('both')).toBeUndefined();
  });

  it("keeps an AppProject's server and name destinations and server-keyed service accounts, as Argo CD writes them", async () => {
    const name = uniqueName('argo-proj');
    const spec = {
      sourceRepos: ['*'],
      destinations: [
        { server: c2Url, namespace: 'web-*' },
        { name: c2Name, namespace: 'api' },
      ],
      destinationServiceAccounts: [{ server: c2Url, namespace: '*', defaultServiceAccount: 'ops:deployer' }],
    };
    const created = await hub.admin.create({
      apiVersion: API_VERSION,
      kind: 'Project',
      metadata: { name, namespace: FLEET_NAMESPACE },
      spec,
    } as KubeObject);
    // Nothing pruned by the schema: every field as written.
    expect((created as KubeObject & { spec: unknown }).spec).toEqual(spec);
    await hub.admin.delete({ apiVersion: API_VERSION, kind: 'Project', namespace: FLEET_NAMESPACE, name });
    const err = await hub.admin
      .create({
        apiVersion: API_VERSION,
        kind: 'Project',
        metadata: { name: `${name}-bad`, namespace: FLEET_NAMESPACE },
        spec: { destinationServiceAccounts: [{ server: '*', namespace: '*' }] },
      } as KubeObject)
      .then(
        () => undefined,
        (e: unknown) => e as Error,
      );
    expect(err?.message).toContain('set serviceAccount or defaultServiceAccount');
  });

  it('does not sync with automated.enabled: false, and does once it is true', async () => {
    const destNs = await namespaceOnBoth('argo-enabled');
    await createApp(
      'disabled',
      {
        project: 'default',
        source: { repoURL: repoUrl, path: 'app' },
        destination: { name: c2Name, namespace: destNs },
        syncPolicy: { automated: { enabled: false, prune: true, selfHeal: true } },
      },
      [],
    );
    const app = await waitApp(
      'disabled',
      'compared (OutOfSync)',
      (a) => a.status?.sync?.status === 'OutOfSync',
    );
    expect(app.status?.operationState).toBeUndefined();
    await new Promise((r) => setTimeout(r, 3000));
    expect(await configMap(c2.admin, destNs, 'web-config')).toBeUndefined();

    await hub.admin.request({
      method: 'PATCH',
      path: `/apis/${API_VERSION}/namespaces/${ns}/applications/disabled`,
      body: { spec: { syncPolicy: { automated: { enabled: true } } } },
      contentType: 'application/merge-patch+json',
    });
    await waitApp('disabled', 'Synced once enabled', synced);
    expect(await configMap(c2.admin, destNs, 'web-config')).toBeDefined();
  });

  it("gives each cluster its own copy with a cluster generator and server: '{{server}}'", async () => {
    const hubName = uniqueName('argo-hub');
    // Only these two Clusters carry the label the generator selects on.
    const hubUrl = await register(hub, hubName, { argodest: mark });
    const destNs = await namespaceOnBoth('argo-appset');
    const generators = [{ clusters: { selector: { matchLabels: { argodest: mark } } } }];
    await hub.admin.create({
      apiVersion: API_VERSION,
      kind: 'ApplicationSet',
      metadata: { name: 'per-cluster', namespace: ns },
      spec: {
        generators,
        template: {
          // Argo CD's foreground variant: deleting the set deletes each copy's objects on its cluster.
          metadata: { name: '{{name}}-web', finalizers: [`${ARGO_FINALIZER}/foreground`] },
          spec: {
            project: 'default',
            source: { repoURL: repoUrl, path: 'app' },
            destination: { server: '{{server}}', namespace: destNs },
            syncPolicy: { automated: { prune: true } },
          },
        },
      },
    } as KubeObject);
    // The same with goTemplate (`{{.server}}`), not automated: only where each copy points.
    await hub.admin.create({
      apiVersion: API_VERSION,
      kind: 'ApplicationSet',
      metadata: { name: 'per-cluster-go', namespace: ns },
      spec: {
        goTemplate: true,
        generators,
        template: {
          metadata: { name: '{{.name}}-go' },
          spec: {
            project: 'default',
            source: { repoURL: repoUrl, path: 'app' },
            destination: { server: '{{.server}}', namespace: destNs },
          },
        },
      },
    } as KubeObject);

    for (const [cluster, url] of [
      [hubName, hubUrl],
      [c2Name, c2Url],
    ] as const) {
      const app = await waitApp(`${cluster}-web`, 'Synced and Healthy', synced);
      expect(app.spec.destination).toEqual({ server: url, namespace: destNs });
      const go = await waitApp(`${cluster}-go`, 'generated', () => true);
      expect(go.spec.destination).toEqual({ server: url, namespace: destNs });
    }
    const onHub = await configMap(hub.admin, destNs, 'web-config');
    const onC2 = await configMap(c2.admin, destNs, 'web-config');
    expect(onHub?.metadata.annotations?.['gitfleet.dev/owner']).toBe(`${ns}/${hubName}-web`);
    expect(onC2?.metadata.annotations?.['gitfleet.dev/owner']).toBe(`${ns}/${c2Name}-web`);

    await hub.admin.delete({
      apiVersion: API_VERSION,
      kind: 'ApplicationSet',
      namespace: ns,
      name: 'per-cluster',
    });
    await waitFor(
      'both copies deleted with their objects, each on its own cluster',
      async () =>
        (await getApp(`${hubName}-web`)) === undefined &&
        (await getApp(`${c2Name}-web`)) === undefined &&
        (await configMap(hub.admin, destNs, 'web-config')) === undefined &&
        (await configMap(c2.admin, destNs, 'web-config')) === undefined,
      { timeoutMs: 30_000 },
    );
  });

  it('refuses a server two Clusters share, naming both, and applies nothing', async () => {
    const twin = uniqueName('argo-twin');
    await register(c2, twin);
    const destNs = await namespaceOnBoth('argo-twin');
    await createApp('ambiguous', {
      project: 'default',
      source: { repoURL: repoUrl, path: 'app' },
      destination: { server: c2Url, namespace: destNs },
      syncPolicy: { automated: { prune: true } },
    });
    const app = await waitApp('ambiguous', 'ambiguous InvalidSpecError', (a) =>
      (a.status?.conditions ?? []).some(
        (c) => c.type === 'InvalidSpecError' && c.message.includes('ambiguous'),
      ),
    );
    const message = app.status?.conditions?.find((c) => c.type === 'InvalidSpecError')?.message ?? '';
    expect(message).toContain(`destination.server ${c2Url} is ambiguous`);
    expect(message).toContain(c2Name);
    expect(message).toContain(twin);
    expect(await configMap(hub.admin, destNs, 'web-config')).toBeUndefined();
    expect(await configMap(c2.admin, destNs, 'web-config')).toBeUndefined();
  });
});
