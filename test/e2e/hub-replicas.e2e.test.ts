import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_VERSION, type Application } from '../../src/api/application.js';
import { installCrds } from '../../src/cli/commands/install.js';
import { ownerOf } from '../../src/controllers/lease/shards.js';
import { registerCluster } from '../../src/controllers/cluster/register.js';
import { loadConnection } from '../../src/kube/index.js';
import {
  createNamespace,
  testFleet,
  uniqueName,
  type ClusterHandle,
  type TestFleet,
} from '../harness/context.js';
import { startHubProcess } from '../harness/gitfleet-process.js';
import { freePort } from '../harness/ports.js';
import type { ManagedProcess } from '../harness/process.js';
import { FatalWaitError, waitFor } from '../harness/wait.js';

/**
 * Two hub replicas (real processes) on one management cluster: clusters are split between them by
 * Lease, and killing one hands its clusters to the other.
 */
let fleet: TestFleet;
let mgmt: ClusterHandle;
let ns: string;
let logDir: string;
const group = uniqueName('ha');
const replicas = new Map<string, { proc: ManagedProcess; port: number }>();
// Six cluster names that rendezvous hashing splits between the two replicas: random names put all
// six on one replica in 1 of 32 runs, and the test would then wait for a split that cannot come.
const clusterNames = ((): string[] => {
  for (;;) {
    const names = Array.from({ length: 6 }, (_, i) => uniqueName(`shard${i}`));
    const owners = new Set(names.map((n) => ownerOf(n, ['hub-a', 'hub-b'])));
    if (owners.size === 2) return names;
  }
})();
let repo: string;

async function startReplica(id: string): Promise<void> {
  const port = await freePort();
  const proc = startHubProcess({
    name: id,
    logDir,
    kubeconfig: mgmt.kubeconfig,
    namespace: ns,
    port,
    shardGroup: group,
    replicaId: id,
    leaseDuration: '5s',
  });
  replicas.set(id, { proc, port });
}

/** Applications this replica reconciled, from its own metrics. */
async function reconciledBy(id: string): Promise<Set<string>> {
  const r = replicas.get(id);
  if (!r) return new Set();
  if (!r.proc.running) throw new FatalWaitError(`${id} exited:\n${r.proc.tail()}`);
  const text = await (await fetch(`http://127.0.0.1:${r.port}/metrics`)).text();
  const out = new Set<string>();
  for (const m of text.matchAll(/^gitfleet_app_info\{([^}]*)\} 1$/gm)) {
    const labels = m[1] ?? '';
    if (labels.includes(`namespace="${ns}"`)) out.add(/name="([^"]+)"/.exec(labels)?.[1] ?? '');
  }
  return out;
}

async function metric(id: string, name: string): Promise<number | undefined> {
  const r = replicas.get(id);
  if (!r?.proc.running) return undefined;
  const text = await (await fetch(`http://127.0.0.1:${r.port}/metrics`)).text();
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
}

beforeAll(async () => {
  fleet = await testFleet();
  mgmt = fleet.clusters[0] as ClusterHandle;
  const target = fleet.clusters[1] as ClusterHandle;
  await installCrds(mgmt.admin);
  ns = await createNamespace(mgmt.admin, 'ha');
  logDir = join(fleet.info.runDir, 'logs', ns);
  mkdirSync(logDir, { recursive: true });
  repo = uniqueName('ha-repo');
  await fleet.git.createRepo(repo);
  await fleet.git.commit(repo, {
    'cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: shared\ndata:\n  v: "1"\n',
  });
  await mgmt.admin.create({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'creds', namespace: ns },
    stringData: { username: fleet.git.info.admin.username, password: fleet.git.info.admin.password },
  });
  // Six cluster names for the same API server: enough keys for both replicas to own some.
  const conn = await loadConnection({ file: target.kubeconfig });
  for (const name of clusterNames) {
    await registerCluster(mgmt.admin, { name, connection: conn });
    const dest = await createNamespace(target.admin, 'ha-dest');
    await mgmt.admin.create<Application>({
      apiVersion: API_VERSION,
      kind: 'Application',
      metadata: { name: `app-${name}`, namespace: ns },
      spec: {
        source: { repoURL: fleet.git.repoUrl(repo), secretRef: { name: 'creds' } },
        destination: { name, namespace: dest },
        syncPolicy: { automated: { prune: true } },
      },
    });
  }
  await startReplica('hub-a');
  await startReplica('hub-b');
}, 120_000);

afterAll(async () => {
  await Promise.all([...replicas.values()].map((r) => r.proc.stop()));
});

describe('hub replicas', () => {
  it('split the clusters between them, each app driven by exactly one replica, one leader', async () => {
    const all = new Set(clusterNames.map((c) => `app-${c}`));
    const [a, b] = await waitFor(
      'every app reconciled, by one replica each',
      async () => {
        if ((await metric('hub-a', 'gitfleet_hub_members')) !== 2) return false;
        if ((await metric('hub-b', 'gitfleet_hub_members')) !== 2) return false;
        const a = await reconciledBy('hub-a');
        const b = await reconciledBy('hub-b');
        // The first replica to start finds no peer and takes every cluster; the second takes its
        // share only after seeing the first renew twice (the join rule). Until then the first
        // alone covers every app: wait for the split itself, not just for coverage.
        const split = a.size > 0 && b.size > 0 && ![...a].some((x) => b.has(x));
        return split && a.size + b.size === all.size && [...all].every((x) => a.has(x) || b.has(x)) && [a, b];
      },
      { timeoutMs: 90_000 },
    );
    expect(a.size).toBeGreaterThan(0);
    expect(b.size).toBeGreaterThan(0);
    expect([...a].filter((x) => b.has(x))).toEqual([]);
    const leaders = [
      await metric('hub-a', 'gitfleet_hub_leader'),
      await metric('hub-b', 'gitfleet_hub_leader'),
    ];
    expect(leaders.sort()).toEqual([0, 1]);
  });

  it('killing one replica moves its clusters to the other, which then syncs them', async () => {
    const a = await reconciledBy('hub-a');
    await replicas.get('hub-a')?.proc.kill();
    const sha = await fleet.git.commit(repo, {
      'cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: shared\ndata:\n  v: "2"\n',
    });
    const t0 = Date.now();
    await waitFor(
      'every app at the new commit',
      async () => {
        const list = await mgmt.admin.list<Application>(API_VERSION, 'Application', { namespace: ns });
        return (
          list.items.length === clusterNames.length &&
          list.items.every((x) => x.status?.sync?.revision === sha && x.status.sync.status === 'Synced')
        );
      },
      { timeoutMs: 90_000 },
    );
    console.log(
      `replica killed → its ${a.size} apps synced by the survivor in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
    );
    const b = await reconciledBy('hub-b');
    for (const x of a) expect(b.has(x)).toBe(true);
    expect(await metric('hub-b', 'gitfleet_hub_members')).toBe(1);
    expect(await metric('hub-b', 'gitfleet_hub_leader')).toBe(1);
  });
});
