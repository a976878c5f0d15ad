import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_VERSION, type Application } from '../../src/api/application.js';
import { FLEET_NAMESPACE, type Cluster } from '../../src/api/cluster.js';
import { installCrds } from '../../src/cli/commands/install.js';
import { ApplicationController } from '../../src/controllers/application/controller.js';
import { ClusterStatusController } from '../../src/controllers/cluster/health.js';
import { registerCluster } from '../../src/controllers/cluster/register.js';
import { ClusterResolver } from '../../src/controllers/clusters.js';
import { GitSources } from '../../src/engine/source/index.js';
import { KubeClient, loadConnection, type KubeObject } from '../../src/kube/index.js';
import {
  createNamespace,
  testFleet,
  uniqueName,
  type ClusterHandle,
  type TestFleet,
} from '../harness/context.js';
import { repoRoot, toolPath } from '../harness/tools.js';
import { waitFor } from '../harness/wait.js';

let fleet: TestFleet;
let hub: ClusterHandle;
let remote: ClusterHandle;
let appNs: string;
let client: KubeClient;
let status: ClusterStatusController;
let controller: ApplicationController;
const cacheDir = mkdtempSync(join(tmpdir(), 'gitfleet-clusters-'));

function cli(args: string[]): { code: number | null; out: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(repoRoot, 'src/cli/main.ts'), ...args], {
    cwd: repoRoot,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status, out: r.stdout + r.stderr };
}

beforeAll(async () => {
  fleet = await testFleet();
  [hub, remote] = fleet.clusters as [ClusterHandle, ClusterHandle];
  await installCrds(hub.admin);
  appNs = await createNamespace(hub.admin, 'fleet');
  client = new KubeClient(await loadConnection({ file: hub.kubeconfig }));
  const log = pino({ level: 'warn' });
  const clusters = new ClusterResolver(client, FLEET_NAMESPACE);
  status = new ClusterStatusController({ mgmt: client, resolver: clusters, log, intervalMs: 1000 });
  status.start();
  controller = new ApplicationController({
    client,
    clusters,
    namespace: appNs,
    sources: new GitSources({ cacheDir, fetchIntervalMs: 60_000 }),
    pollIntervalMs: 60_000,
    renderOptions: { kustomizeBinary: toolPath('kustomize'), helmBinary: toolPath('helm') },
    log,
  });
  controller.start();
});

afterAll(() => {
  controller?.stop();
  status?.stop();
  client?.close();
  rmSync(cacheDir, { recursive: true, force: true });
});

const getCluster = (name: string): Promise<Cluster> =>
  hub.admin.get<Cluster>({ apiVersion: API_VERSION, kind: 'Cluster', namespace: FLEET_NAMESPACE, name });

describe('clusters', () => {
  it('registers a cluster from the CLI, keeps its status current, and never prints its credentials', async () => {
    const name = uniqueName('prod');
    const add = cli([
      'cluster',
      'add',
      name,
      '--kubeconfig',
      remote.kubeconfig,
      '--label',
      'env=prod',
      '--label',
      'region=eu',
      '--hub-kubeconfig',
      hub.kubeconfig,
    ]);
    expect(add.code).toBe(0);
    const c = await waitFor(
      'cluster reachable',
      async () => {
        const c = await getCluster(name);
        return c.status?.reachable === true && c;
      },
      { timeoutMs: 20_000 },
    );
    expect(c.status?.serverVersion).toBe('v1.36.3');
    expect(c.metadata.labels).toEqual({ env: 'prod', region: 'eu' });
    expect(c.spec.server).toBe(remote.server);

    const label = cli([
      'cluster',
      'label',
      name,
      'env=staging',
      'region-',
      '--hub-kubeconfig',
      hub.kubeconfig,
    ]);
    expect(label.code).toBe(0);
    expect((await getCluster(name)).metadata.labels).toEqual({ env: 'staging' });

    const secret = await hub.admin.get<KubeObject & { data: Record<string, string> }>({
      apiVersion: 'v1',
      kind: 'Secret',
      namespace: FLEET_NAMESPACE,
      name: `cluster-${name}`,
    });
    const key = Buffer.from(secret.data.kubeconfig ?? '', 'base64')
      .toString('utf8')
      .match(/client-key-data: (\S+)/)?.[1];
    expect(key).toBeTruthy();
    for (const args of [
      ['cluster', 'list', '-o', 'json'],
      ['cluster', 'get', name],
      ['cluster', 'list'],
    ]) {
      const r = cli([...args, '--hub-kubeconfig', hub.kubeconfig]);
      expect(r.code).toBe(0);
      expect(r.out).toContain(name);
      expect(r.out).not.toContain(key);
    }
    expect(cli(['cluster', 'remove', name, '--hub-kubeconfig', hub.kubeconfig]).code).toBe(0);
    expect(
      await hub.admin.getOrUndefined({
        apiVersion: 'v1',
        kind: 'Secret',
        namespace: FLEET_NAMESPACE,
        name: `cluster-${name}`,
      }),
    ).toBeUndefined();
  });

  it('drives Applications on a registered cluster, and an unreachable cluster degrades only its own apps', async () => {
    const good = uniqueName('good');
    const bad = uniqueName('gone');
    await registerCluster(hub.admin, {
      name: good,
      connection: await loadConnection({ file: remote.kubeconfig }),
      labels: {},
    });
    const dead = await loadConnection({ file: remote.kubeconfig });
    await registerCluster(hub.admin, {
      name: bad,
      connection: { ...dead, server: 'https://127.0.0.1:1' },
      labels: {},
    });
    await waitFor(
      'unreachable cluster reported',
      async () => (await getCluster(bad)).status?.reachable === false,
      { timeoutMs: 20_000 },
    );

    const repo = uniqueName('remote');
    await fleet.git.createRepo(repo);
    await fleet.git.commit(repo, {
      'cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: on-remote\ndata: {a: b}\n',
    });
    await hub.admin.create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'creds', namespace: appNs },
      stringData: { username: fleet.git.info.admin.username, password: fleet.git.info.admin.password },
    });
    const destNs = uniqueName('remote-dest');
    for (const [name, cluster] of [
      ['to-good', good],
      ['to-bad', bad],
    ] as const) {
      await hub.admin.create({
        apiVersion: API_VERSION,
        kind: 'Application',
        metadata: { name, namespace: appNs },
        spec: {
          source: { repoURL: fleet.git.repoUrl(repo), secretRef: { name: 'creds' } },
          destination: { name: cluster, namespace: destNs },
          syncPolicy: { automated: {}, syncOptions: ['CreateNamespace=true'] },
        },
      } as KubeObject);
    }
    const app = (n: string): Promise<Application> =>
      hub.admin.get<Application>({ apiVersion: API_VERSION, kind: 'Application', namespace: appNs, name: n });
    await waitFor(
      'to-good Synced on the remote cluster',
      async () => (await app('to-good')).status?.sync?.status === 'Synced',
      { timeoutMs: 30_000 },
    );
    expect(
      await remote.admin.getOrUndefined({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        namespace: destNs,
        name: 'on-remote',
      }),
    ).toBeDefined();
    expect(
      await hub.admin.getOrUndefined({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        namespace: destNs,
        name: 'on-remote',
      }),
    ).toBeUndefined();
    const failing = await waitFor(
      'to-bad reports its cluster',
      async () => {
        const a = await app('to-bad');
        return (a.status?.conditions ?? []).some((c) => /cannot reach|ECONNREFUSED/.test(c.message)) && a;
      },
      { timeoutMs: 60_000 },
    );
    expect(failing.status?.conditions?.map((c) => c.type)).toEqual(
      expect.arrayContaining([expect.stringMatching(/ComparisonError|DestinationFailed/)]),
    );
  });
});
