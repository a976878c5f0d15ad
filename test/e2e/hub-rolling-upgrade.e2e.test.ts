import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_VERSION, type Application } from '../../src/api/application.js';
import { installCrds } from '../../src/cli/commands/install.js';
import { registerCluster } from '../../src/controllers/cluster/register.js';
import { loadConnection, type KubeObject } from '../../src/kube/index.js';
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
 * A rolling upgrade of the hub (issue 16): two replicas, and the one driving an operation is
 * stopped (SIGTERM, as a Deployment rollout does) while the operation waits on the health of its
 * first wave. The other replica takes the cluster's Lease and finishes that same operation from
 * the step saved in status: the awaited wave is not applied again, the next wave is, and every
 * object has the one field manager `gitfleet`.
 *
 * The wave waits on a LoadBalancer Service, which stays Progressing until an address is written
 * into its status (no cloud provider here): the test writes it only after the takeover, so the
 * wait provably spans the stop.
 */
let fleet: TestFleet;
let mgmt: ClusterHandle;
let target: ClusterHandle;
let ns: string;
let dest: string;
let logDir: string;
const group = uniqueName('roll');
const clusterName = uniqueName('roll-c');
const appName = `app-${clusterName}`;
const replicas = new Map<string, { proc: ManagedProcess; port: number }>();

const files = {
  'svc.yaml': [
    'apiVersion: v1',
    'kind: Service',
    'metadata:',
    '  name: front',
    '  annotations:',
    '    gitfleet.dev/sync-wave: "0"',
    'spec:',
    '  type: LoadBalancer',
    '  selector: { app: front }',
    '  ports: [{ port: 80, targetPort: 8080 }]',
    '',
  ].join('\n'),
  'cm.yaml': [
    'apiVersion: v1',
    'kind: ConfigMap',
    'metadata:',
    '  name: after-front',
    '  annotations:',
    '    gitfleet.dev/sync-wave: "1"',
    'data:',
    '  v: "1"',
    '',
  ].join('\n'),
};

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

/** Whether this replica reconciles the app, from its own metrics (undefined once it stopped). */
async function drives(id: string): Promise<boolean | undefined> {
  const r = replicas.get(id);
  if (!r?.proc.running) return undefined;
  const text = await (await fetch(`http://127.0.0.1:${r.port}/metrics`)).text();
  return [...text.matchAll(/^gitfleet_app_info\{([^}]*)\} 1$/gm)].some(
    (m) => (m[1] ?? '').includes(`namespace="${ns}"`) && (m[1] ?? '').includes(`name="${appName}"`),
  );
}

const getApp = (): Promise<Application> =>
  mgmt.admin.get<Application>({ apiVersion: API_VERSION, kind: 'Application', namespace: ns, name: appName });

/** Managers that wrote the object with server-side apply (status writers excluded). */
function applyManagers(obj: KubeObject): string[] {
  const mf = (
    obj.metadata as { managedFields?: { manager?: string; operation?: string; subresource?: string }[] }
  ).managedFields;
  return (mf ?? []).filter((f) => f.operation === 'Apply' && !f.subresource).map((f) => f.manager ?? '');
}

beforeAll(async () => {
  fleet = await testFleet();
  mgmt = fleet.clusters[0] as ClusterHandle;
  target = fleet.clusters[1] as ClusterHandle;
  await installCrds(mgmt.admin);
  ns = await createNamespace(mgmt.admin, 'roll');
  dest = await createNamespace(target.admin, 'roll-dest');
  logDir = join(fleet.info.runDir, 'logs', ns);
  mkdirSync(logDir, { recursive: true });
  const repo = uniqueName('roll-repo');
  await fleet.git.createRepo(repo);
  await fleet.git.commit(repo, files);
  await mgmt.admin.create({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'creds', namespace: ns },
    stringData: { username: fleet.git.info.admin.username, password: fleet.git.info.admin.password },
  });
  await registerCluster(mgmt.admin, {
    name: clusterName,
    connection: await loadConnection({ file: target.kubeconfig }),
  });
  await startReplica('hub-a');
  await startReplica('hub-b');
  // The Application comes once both replicas count each other, so the test starts from the
  // two-replica split it then upsets. (A replica joining no longer claims anything before its
  // peers have seen it: hub-membership-join.e2e proves two replicas never both drive a cluster.)
  await waitFor(
    'both replicas counting two members',
    async () => {
      for (const [id, r] of replicas) {
        if (!r.proc.running) throw new FatalWaitError(`${id} exited:\n${r.proc.tail()}`);
        const text = await (await fetch(`http://127.0.0.1:${r.port}/metrics`)).text().catch(() => '');
        if (!/^gitfleet_hub_members(\{[^}]*\})? 2$/m.test(text)) return false;
      }
      return true;
    },
    { timeoutMs: 120_000, intervalMs: 500 },
  );
  await mgmt.admin.create<Application>({
    apiVersion: API_VERSION,
    kind: 'Application',
    metadata: { name: appName, namespace: ns },
    spec: {
      source: { repoURL: fleet.git.repoUrl(repo), secretRef: { name: 'creds' } },
      destination: { name: clusterName, namespace: dest },
      syncPolicy: { automated: { prune: true } },
    },
  });
}, 240_000);

afterAll(async () => {
  await Promise.all([...replicas.values()].map((r) => r.proc.stop()));
});

describe('hub rolling upgrade', () => {
  it('a replica stopped mid-sync: the other takes the Lease and finishes the same operation', async () => {
    // 1. The operation applied wave 0 and waits on its health; one replica drives it.
    const waiting = await waitFor(
      'the operation waiting on wave 0, driven by one replica',
      async () => {
        for (const [id, r] of replicas) {
          if (!r.proc.running) throw new FatalWaitError(`${id} exited:\n${r.proc.tail()}`);
        }
        const op = (await getApp()).status?.operationState;
        if (op?.phase !== 'Running' || op.step?.index !== 0 || !op.step.waitingSince) return false;
        const a = await drives('hub-a');
        const b = await drives('hub-b');
        if (a === b) return false; // neither yet, or (briefly, during a hand-over) both
        return { op, owner: a ? 'hub-a' : 'hub-b', survivor: a ? 'hub-b' : 'hub-a' };
      },
      { timeoutMs: 120_000 },
    );
    const { op, owner, survivor } = waiting;
    const svcRef = { apiVersion: 'v1', kind: 'Service', namespace: dest, name: 'front' };
    const cmRef = { apiVersion: 'v1', kind: 'ConfigMap', namespace: dest, name: 'after-front' };
    const svcBefore = await target.admin.get(svcRef);
    expect(await target.admin.getOrUndefined(cmRef)).toBeUndefined();

    // 2. The rollout stops the owner gracefully; the survivor must take its cluster.
    await replicas.get(owner)?.proc.stop();
    await waitFor(
      `${survivor} driving the app after ${owner} stopped`,
      async () => {
        const r = replicas.get(survivor);
        if (!r?.proc.running) throw new FatalWaitError(`${survivor} exited:\n${r?.proc.tail() ?? ''}`);
        return (await drives(survivor)) === true;
      },
      { timeoutMs: 120_000 },
    );
    // The survivor resumed the saved step rather than starting over: same operation, same step,
    // same wait start, and wave 1 still untouched (the Service has no address yet).
    const resumed = await waitFor(
      'the survivor reporting the same waiting operation',
      async () => {
        const now = (await getApp()).status?.operationState;
        return now?.phase === 'Running' && now;
      },
      { timeoutMs: 60_000 },
    );
    expect(resumed.startedAt).toBe(op.startedAt);
    expect(resumed.step?.index).toBe(0);
    expect(resumed.step?.waitingSince).toBe(op.step?.waitingSince);
    expect(await target.admin.getOrUndefined(cmRef)).toBeUndefined();

    // 3. The awaited object turns Healthy: the survivor runs the next wave and ends the operation.
    await target.admin.patch(
      svcRef,
      { status: { loadBalancer: { ingress: [{ ip: '192.0.2.10' }] } } },
      { subresource: 'status' },
    );
    const done = await waitFor(
      'the Application Synced and Healthy with the operation Succeeded',
      async () => {
        const app = await getApp();
        const s = app.status;
        return (
          s?.operationState?.phase === 'Succeeded' &&
          s.sync?.status === 'Synced' &&
          s.health?.status === 'Healthy' &&
          app
        );
      },
      { timeoutMs: 120_000 },
    );
    const final = done.status?.operationState;
    expect(final?.startedAt).toBe(op.startedAt);
    // Each object appears once in the operation's result, the ConfigMap as created by the
    // survivor. The Service is "created" as the stopped replica recorded it, or "unchanged" when
    // the hand-over overlapped that record and the survivor compared wave 0 again: either way it
    // was not written again (same UID and generation, below).
    const results = (final?.resources ?? []).map((r) => `${r.kind}/${r.name}:${r.action}`).sort();
    expect(results).toHaveLength(2);
    expect(results[0]).toBe('ConfigMap/after-front:created');
    expect(['Service/front:created', 'Service/front:unchanged']).toContain(results[1]);

    // One field manager per object, no conflicting writer; the Service is the object wave 0 made.
    const svcAfter = await target.admin.get(svcRef);
    const cm = await target.admin.get(cmRef);
    expect(svcAfter.metadata.uid).toBe(svcBefore.metadata.uid);
    expect(svcAfter.metadata.generation).toBe(svcBefore.metadata.generation);
    expect(applyManagers(svcAfter)).toEqual(['gitfleet']);
    expect(applyManagers(cm)).toEqual(['gitfleet']);
  }, 300_000);
});
