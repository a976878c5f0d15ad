import { mkdirSync, mkdtempSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  API_VERSION,
  CASCADE_FINALIZER,
  REFRESH_REQUESTED_ANNOTATION,
  type Application,
} from '../../src/api/application.js';
import { installCrds } from '../../src/cli/commands/install.js';
import { registerCluster } from '../../src/controllers/cluster/register.js';
import { loadConnection, type ClusterConnection, type KubeObject } from '../../src/kube/index.js';
import {
  createNamespace,
  testFleet,
  uniqueName,
  type ClusterHandle,
  type TestFleet,
} from '../harness/context.js';
import { startControllers, type TestControllers } from '../harness/controllers.js';
import { startHubProcess } from '../harness/gitfleet-process.js';
import { freePort } from '../harness/ports.js';
import type { ManagedProcess } from '../harness/process.js';
import { FatalWaitError, waitFor } from '../harness/wait.js';

/**
 * Faults a fleet meets (a hub killed mid-sync, Git down, a bad commit, an app deleted mid-sync, a
 * managed cluster whose API server accepts connections and never answers), each against real
 * API servers, a real Git server and the real controller.
 */
let fleet: TestFleet;
let mgmt: ClusterHandle;
let remote: ClusterHandle;
let remoteConn: ClusterConnection;
let ns: string;
let logDir: string;
let ctl: TestControllers;
let target: string;
const remoteName = uniqueName('faults-remote');

const cm = (name: string, data: Record<string, string>): string =>
  JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data });

async function createApp(
  name: string,
  opts: { repoURL: string; cluster: string; namespace: string; finalizer?: boolean; path?: string },
): Promise<void> {
  await mgmt.admin.create<Application>({
    apiVersion: API_VERSION,
    kind: 'Application',
    metadata: { name, namespace: ns, ...(opts.finalizer ? { finalizers: [CASCADE_FINALIZER] } : {}) },
    spec: {
      source: { repoURL: opts.repoURL, path: opts.path ?? 'app', secretRef: { name: 'git-creds' } },
      destination: { name: opts.cluster, namespace: opts.namespace },
      syncPolicy: { automated: { prune: true, selfHeal: true } },
    },
  });
}

const getApp = (name: string): Promise<Application | undefined> =>
  mgmt.admin.getOrUndefined<Application>({
    apiVersion: API_VERSION,
    kind: 'Application',
    namespace: ns,
    name,
  });

async function waitApp(
  name: string,
  what: string,
  pred: (a: Application) => boolean,
  timeoutMs = 60_000,
): Promise<Application> {
  let last: Application | undefined;
  return waitFor(
    `${name}: ${what}`,
    async () => {
      last = await getApp(name);
      return !!last && pred(last) && last;
    },
    { timeoutMs, intervalMs: 250 },
  ).catch((e: unknown) => {
    throw new Error(`${(e as Error).message}\nlast status: ${JSON.stringify(last?.status)?.slice(0, 1500)}`);
  });
}

const synced = (rev?: string) => (a: Application) =>
  a.status?.sync?.status === 'Synced' && (!rev || a.status.sync.revision === rev);

async function configMaps(namespace: string): Promise<(KubeObject & { data?: Record<string, string> })[]> {
  return (await remote.admin.list('v1', 'ConfigMap', { namespace })).items.filter(
    (o) => o.metadata.name !== 'kube-root-ca.crt',
  );
}

async function remoteNamespace(prefix: string): Promise<string> {
  const name = uniqueName(prefix);
  await remote.admin.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  return name;
}

async function repoWith(files: Record<string, string>): Promise<{ name: string; url: string; sha: string }> {
  const name = uniqueName('faults');
  await fleet.git.createRepo(name);
  const sha = await fleet.git.commit(name, files);
  return { name, url: fleet.git.repoUrl(name), sha };
}

/** A TCP server that accepts connections and never says a word: a frozen API server. */
function frozenServer(): Promise<{ port: number; close(): void }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      resolve({
        port,
        close: () => {
          for (const s of sockets) s.destroy();
          server.close();
        },
      });
    }),
  );
}

/** A TCP forwarder to the Git server that can be taken down and brought back on the same port. */
async function gitProxy(): Promise<{ url: string; down(): Promise<void>; up(): Promise<void> }> {
  const upstream = new URL(fleet.git.info.url);
  const port = await freePort();
  let server: net.Server | undefined;
  const sockets = new Set<net.Socket>();
  const up = (): Promise<void> =>
    new Promise((resolve) => {
      server = net.createServer((client) => {
        const back = net.connect(Number(upstream.port), upstream.hostname);
        for (const s of [client, back]) {
          sockets.add(s);
          s.on('close', () => sockets.delete(s));
          s.on('error', () => undefined);
        }
        client.pipe(back).pipe(client);
      });
      server.listen(port, '127.0.0.1', () => resolve());
    });
  const down = (): Promise<void> =>
    new Promise((resolve) => {
      for (const s of sockets) s.destroy();
      if (server) server.close(() => resolve());
      else resolve();
    });
  await up();
  return { url: `http://127.0.0.1:${port}`, up, down };
}

beforeAll(async () => {
  fleet = await testFleet();
  mgmt = fleet.clusters[0] as ClusterHandle;
  remote = fleet.clusters[1] as ClusterHandle;
  await installCrds(mgmt.admin);
  ns = await createNamespace(mgmt.admin, 'faults');
  logDir = join(fleet.info.runDir, 'logs', ns);
  mkdirSync(logDir, { recursive: true });
  await mgmt.admin.create({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'git-creds', namespace: ns },
    stringData: { username: fleet.git.info.admin.username, password: fleet.git.info.admin.password },
  });
  remoteConn = await loadConnection({ file: remote.kubeconfig });
  await registerCluster(mgmt.admin, { name: remoteName, connection: remoteConn });
  ctl = await startControllers({
    kubeconfig: mgmt.kubeconfig,
    namespace: ns,
    cacheDir: mkdtempSync(join(logDir, 'sources-')),
    apps: true,
  });
  target = await remoteNamespace('faults-t');
}, 60_000);

afterAll(() => {
  ctl?.stop();
});

describe('faults', () => {
  it('a frozen cluster’s API server does not slow the other clusters’ syncs', async () => {
    const N = 6;
    const repo = await repoWith({ 'app/a.yaml': cm('a', { v: '1' }), 'app/b.yaml': cm('b', { v: '1' }) });
    const timeApps = async (prefix: string): Promise<number> => {
      // One namespace per app: apps never share (and so never contend for) an object.
      const dests: string[] = [];
      for (let i = 0; i < N; i++) dests.push(await remoteNamespace(`${prefix}-${i}`));
      const t0 = Date.now();
      for (let i = 0; i < N; i++)
        await createApp(`${prefix}-${i}`, {
          repoURL: repo.url,
          cluster: remoteName,
          namespace: dests[i] ?? '',
        });
      for (let i = 0; i < N; i++) await waitApp(`${prefix}-${i}`, 'Synced', synced(repo.sha), 90_000);
      return (Date.now() - t0) / 1000;
    };
    // Baseline: healthy apps alone (the remote cluster already known to the controller).
    await createApp('warm', { repoURL: repo.url, cluster: remoteName, namespace: target });
    await waitApp('warm', 'Synced', synced(repo.sha));
    const baseline = await timeApps('base');

    const frozen = await frozenServer();
    try {
      const frozenName = uniqueName('frozen');
      await registerCluster(mgmt.admin, {
        name: frozenName,
        connection: { ...remoteConn, server: `https://127.0.0.1:${frozen.port}` },
      });
      // The frozen cluster's apps first in the queue, the healthy ones behind them.
      for (let i = 0; i < N; i++)
        await createApp(`frozen-${i}`, { repoURL: repo.url, cluster: frozenName, namespace: 'x' });
      const withFrozen = await timeApps('busy');
      console.log(
        `healthy apps converge: ${baseline.toFixed(1)} s alone, ${withFrozen.toFixed(1)} s beside a frozen cluster with ${N} apps`,
      );
      expect(withFrozen).toBeLessThan(Math.max(2 * baseline, baseline + 5));
      // The frozen cluster's apps say why, and back off rather than hold workers.
      const failed = await waitApp(
        'frozen-0',
        'DestinationFailed',
        (a) => !!a.status?.conditions?.some((c) => c.type === 'DestinationFailed'),
        60_000,
      );
      expect(failed.status?.conditions?.find((c) => c.type === 'DestinationFailed')?.message).toMatch(
        /unreachable|cannot reach/,
      );
    } finally {
      frozen.close();
    }
  }, 240_000);

  it('Git down: objects stay, the condition says why, and it recovers when Git returns', async () => {
    const proxy = await gitProxy();
    const repo = await repoWith({ 'app/settings.yaml': cm('git-down', { v: '1' }) });
    const url = `${proxy.url}/${repo.name}.git`;
    await createApp('git-down', { repoURL: url, cluster: remoteName, namespace: target });
    await waitApp('git-down', 'Synced', synced(repo.sha));
    await proxy.down();
    try {
      const v2 = await fleet.git.commit(repo.name, { 'app/settings.yaml': cm('git-down', { v: '2' }) });
      await mgmt.admin.request({
        method: 'PATCH',
        path: `/apis/${API_VERSION}/namespaces/${ns}/applications/git-down`,
        body: { metadata: { annotations: { [REFRESH_REQUESTED_ANNOTATION]: new Date().toISOString() } } },
        contentType: 'application/merge-patch+json',
      });
      const failed = await waitApp(
        'git-down',
        'SourceFailed',
        (a) => !!a.status?.conditions?.some((c) => c.type === 'SourceFailed'),
      );
      const cond = failed.status?.conditions?.find((c) => c.type === 'SourceFailed');
      expect(cond?.message).toBeTruthy();
      // Nothing was pruned or changed while Git was away.
      const live = (await configMaps(target)).find((o) => o.metadata.name === 'git-down');
      expect(live?.data).toEqual({ v: '1' });
      await proxy.up();
      await waitApp('git-down', 'Synced at v2 once Git is back', synced(v2));
      expect((await configMaps(target)).find((o) => o.metadata.name === 'git-down')?.data).toEqual({
        v: '2',
      });
      expect((await getApp('git-down'))?.status?.conditions?.some((c) => c.type === 'SourceFailed')).toBe(
        false,
      );
    } finally {
      await proxy.down();
    }
  }, 120_000);

  it('a bad commit applies and prunes nothing, names the file, and the next good commit syncs', async () => {
    const dest = await remoteNamespace('faults-bad');
    const repo = await repoWith({
      'app/one.yaml': cm('one', { v: '1' }),
      'app/two.yaml': cm('two', { v: '1' }),
    });
    await createApp('bad-commit', { repoURL: repo.url, cluster: remoteName, namespace: dest });
    await waitApp('bad-commit', 'Synced', synced(repo.sha));
    const before = new Map(
      (await configMaps(dest)).map((o) => [o.metadata.name, o.metadata.resourceVersion]),
    );
    // Invalid YAML in one file; another file changed and a third deleted in the same commit.
    await fleet.git.commit(repo.name, {
      'app/broken.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: broken\n  data: [unclosed',
      'app/one.yaml': cm('one', { v: '2' }),
      'app/two.yaml': null,
    });
    const failed = await waitApp(
      'bad-commit',
      'a render/parse failure',
      (a) =>
        !!a.status?.conditions?.some((c) => /Render|Comparison|Sync/.test(c.type) && c.status === 'True'),
    );
    const cond = failed.status?.conditions?.find((c) => /Render|Comparison|Sync/.test(c.type));
    expect(cond?.message).toContain('broken.yaml');
    await new Promise((r) => setTimeout(r, 3000));
    const after = new Map((await configMaps(dest)).map((o) => [o.metadata.name, o.metadata.resourceVersion]));
    expect(after).toEqual(before); // nothing applied (one still v1), nothing pruned (two still there)
    const good = await fleet.git.commit(repo.name, { 'app/broken.yaml': cm('broken', { fixed: 'yes' }) });
    await waitApp('bad-commit', 'Synced at the good commit', synced(good));
    const names = (await configMaps(dest)).map((o) => o.metadata.name).sort();
    expect(names).toEqual(['broken', 'one']);
  }, 120_000);

  it('an app deleted mid-sync leaves no orphan behind', async () => {
    const dest = await remoteNamespace('faults-del');
    const files: Record<string, string> = {};
    for (let i = 0; i < 80; i++) files[`app/many-${i}.yaml`] = cm(`many-${i}`, { i: String(i) });
    const repo = await repoWith(files);
    await createApp('deleted-mid-sync', {
      repoURL: repo.url,
      cluster: remoteName,
      namespace: dest,
      finalizer: true,
    });
    await waitFor(
      'a sync under way',
      async () => {
        const n = (await configMaps(dest)).length;
        return n > 0 && n < 80;
      },
      { intervalMs: 20, timeoutMs: 60_000 },
    );
    await mgmt.admin.delete({
      apiVersion: API_VERSION,
      kind: 'Application',
      namespace: ns,
      name: 'deleted-mid-sync',
    });
    await waitFor('the Application gone (finalizer done)', async () => !(await getApp('deleted-mid-sync')), {
      timeoutMs: 90_000,
    });
    // The sync under way at deletion may finish its wave; whatever it applied went with the app,
    // and nothing is applied after.
    await new Promise((r) => setTimeout(r, 3000));
    expect(await configMaps(dest)).toEqual([]);
  }, 150_000);

  it('a hub killed mid-sync converges after restart, pruning nothing it should keep', async () => {
    const dest = await remoteNamespace('faults-kill');
    const repo = await repoWith({ 'app/keep.yaml': cm('keep', { v: '1' }) });
    const port = await freePort();
    const hubNs = await createNamespace(mgmt.admin, 'faults-hub');
    await mgmt.admin.create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'git-creds', namespace: hubNs },
      stringData: { username: fleet.git.info.admin.username, password: fleet.git.info.admin.password },
    });
    const group = uniqueName('faults-shard');
    const start = (): ManagedProcess =>
      startHubProcess({
        name: 'faults-hub',
        logDir,
        kubeconfig: mgmt.kubeconfig,
        namespace: hubNs,
        port,
        shardGroup: group,
        replicaId: 'hub',
      });
    let hub = start();
    try {
      await mgmt.admin.create<Application>({
        apiVersion: API_VERSION,
        kind: 'Application',
        metadata: { name: 'killed', namespace: hubNs },
        spec: {
          source: { repoURL: repo.url, path: 'app', secretRef: { name: 'git-creds' } },
          destination: { name: remoteName, namespace: dest },
          syncPolicy: { automated: { prune: true } },
        },
      });
      const get = (): Promise<Application | undefined> =>
        mgmt.admin.getOrUndefined<Application>({
          apiVersion: API_VERSION,
          kind: 'Application',
          namespace: hubNs,
          name: 'killed',
        });
      const alive = (): void => {
        if (!hub.running) throw new FatalWaitError(`hub exited:\n${hub.tail()}`);
      };
      await waitFor(
        'v1 Synced by the hub',
        async () => (alive(), synced(repo.sha)((await get()) ?? ({} as Application))),
        {
          timeoutMs: 60_000,
        },
      );
      const keep = (await configMaps(dest)).find((o) => o.metadata.name === 'keep');
      const files: Record<string, string> = {};
      for (let i = 0; i < 120; i++) files[`app/many-${i}.yaml`] = cm(`many-${i}`, { i: String(i) });
      const v2 = await fleet.git.commit(repo.name, files);
      await waitFor(
        'the v2 sync under way',
        async () => {
          alive();
          const n = (await configMaps(dest)).length;
          return n > 1 && n < 121;
        },
        { intervalMs: 20, timeoutMs: 60_000 },
      );
      await hub.kill();
      hub = start();
      await waitFor(
        'v2 Synced after the restart',
        async () => (alive(), synced(v2)((await get()) ?? ({} as Application))),
        {
          timeoutMs: 90_000,
        },
      );
      const live = await configMaps(dest);
      expect(live).toHaveLength(121);
      // The object both revisions want was never deleted and re-created.
      expect(live.find((o) => o.metadata.name === 'keep')?.metadata.uid).toBe(keep?.metadata.uid);
    } finally {
      await hub.stop();
    }
  }, 180_000);
});
