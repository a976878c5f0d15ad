import { cpSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FLEET_NAMESPACE, type Cluster } from '../../src/api/cluster.js';
import { installCrds } from '../../src/cli/commands/install.js';
import { registerAgentCluster } from '../../src/controllers/cluster/register.js';
import type { KubeList, KubeObject } from '../../src/kube/index.js';
import { startCluster, type TestCluster } from '../harness/cluster.js';
import {
  createNamespace,
  testFleet,
  uniqueName,
  type ClusterHandle,
  type TestFleet,
} from '../harness/context.js';
import { startHubProcess } from '../harness/gitfleet-process.js';
import { freePort } from '../harness/ports.js';
import { startProcess, type ManagedProcess } from '../harness/process.js';
import { toolPath } from '../harness/tools.js';
import { FatalWaitError, waitFor } from '../harness/wait.js';

/**
 * Issue 16: an agent the hub refuses for its version is recorded where operators look. An agent
 * two minors ahead of the hub (a build of this tree whose package.json says so, as an image tag
 * would) gets AgentCompatible=False/VersionSkew on its Cluster and one Warning Event, and the
 * Cluster keeps the version of the last agent served; the tree's own agent then clears it. While
 * both run side by side (a roll-out), the condition stays True and names the refused one.
 */
const repoRoot = join(import.meta.dirname, '..', '..');
const treeVersion = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string })
  .version;
const [major = 0, minor = 0] = treeVersion.split('.').map(Number);
const tooNew = `${major}.${minor + 2}.0`;

let fleet: TestFleet;
let mgmt: ClusterHandle;
let edge: TestCluster;
let hub: ManagedProcess | undefined;
let agent: ManagedProcess | undefined;
/** An agent kept running beside `agent` (the old pod of a roll-out). */
let old: ManagedProcess | undefined;
let logDir: string;
let tokenFile: string;
let hubPort: number;
const clusterName = uniqueName('skew');

/** This tree at `version`: sources copied so that the copy's own package.json is the one read. */
function buildAt(version: string): string {
  const dir = join(logDir, `release-${version}`);
  mkdirSync(dir, { recursive: true });
  cpSync(join(repoRoot, 'src'), join(dir, 'src'), { recursive: true });
  cpSync(join(repoRoot, 'deploy'), join(dir, 'deploy'), { recursive: true });
  cpSync(join(repoRoot, 'tsconfig.json'), join(dir, 'tsconfig.json'));
  symlinkSync(join(repoRoot, 'node_modules'), join(dir, 'node_modules'));
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as Record<string, unknown>;
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ ...pkg, version }, null, 2));
  return dir;
}

/** Starts an agent of `dir`; the previous one is stopped, or kept running `alongside`. */
async function runAgent(dir: string, tag: string, alongside = false): Promise<void> {
  if (alongside) old = agent;
  else await agent?.stop();
  agent = startProcess({
    name: `agent-${tag}-${Date.now()}`,
    command: process.execPath,
    args: [
      '--import',
      'tsx',
      join(dir, 'src', 'cli', 'main.ts'),
      'agent',
      '--hub',
      `http://127.0.0.1:${hubPort}`,
      '--cluster',
      clusterName,
      '--token-file',
      tokenFile,
      '--kubeconfig',
      edge.kubeconfig,
      '--poll-interval',
      '2s',
      '--metrics-port',
      '0',
      '--cache-dir',
      join(logDir, `agent-sources-${tag}`),
    ],
    cwd: dir,
    logDir,
    env: {
      GITFLEET_KUSTOMIZE: toolPath('kustomize'),
      GITFLEET_HELM: toolPath('helm'),
      GITFLEET_LOG_LEVEL: 'info',
    },
  });
}

const alive = (): void => {
  if (!hub?.running) throw new FatalWaitError(`the hub exited:\n${hub?.tail() ?? ''}`);
  if (agent && !agent.running) throw new FatalWaitError(`the agent exited:\n${agent.tail()}`);
  if (old && !old.running) throw new FatalWaitError(`the old agent exited:\n${old.tail()}`);
};

/** How many refusals the current agent has logged so far (its whole log). */
const refusals = (): number =>
  (agent?.tail(Number.MAX_SAFE_INTEGER).match(/outside the supported skew with hub/g) ?? []).length;

const getCluster = (): Promise<Cluster> =>
  mgmt.admin.get<Cluster>({
    apiVersion: 'gitfleet.dev/v1alpha1',
    kind: 'Cluster',
    namespace: FLEET_NAMESPACE,
    name: clusterName,
  });

const compat = (c: Cluster) => c.status?.conditions?.find((x) => x.type === 'AgentCompatible');

/** The Events on this test's Cluster with `reason`. */
async function events(reason: string): Promise<(KubeObject & { message?: string; type?: string })[]> {
  const list = await mgmt.admin.request<
    KubeList<KubeObject & { message?: string; type?: string; reason?: string }>
  >({
    method: 'GET',
    path: `/api/v1/namespaces/${FLEET_NAMESPACE}/events`,
    query: { fieldSelector: `involvedObject.kind=Cluster,involvedObject.name=${clusterName}` },
  });
  return list.items.filter((e) => e.reason === reason);
}

beforeAll(async () => {
  fleet = await testFleet();
  mgmt = fleet.clusters[0] as ClusterHandle;
  await installCrds(mgmt.admin);
  const ns = await createNamespace(mgmt.admin, 'skew');
  logDir = join(fleet.info.runDir, 'logs', ns);
  mkdirSync(logDir, { recursive: true });
  // The agent claims its own cluster's driver Lease: it gets a cluster no other file drives.
  edge = await startCluster({
    name: clusterName,
    runDir: fleet.info.runDir,
    runId: fleet.info.runId,
    etcdUrl: fleet.info.etcdUrl,
    pki: fleet.info.pki,
    nodes: 1,
  });
  await installCrds(edge.admin);
  const { token } = await registerAgentCluster(mgmt.admin, { name: clusterName });
  tokenFile = join(logDir, 'agent.token');
  writeFileSync(tokenFile, token, { mode: 0o600 });
  hubPort = await freePort();
  hub = startHubProcess({
    name: 'hub',
    logDir,
    kubeconfig: mgmt.kubeconfig,
    namespace: ns,
    port: hubPort,
    shardGroup: uniqueName('skew'),
    replicaId: 'hub',
  });
}, 180_000);

afterAll(async () => {
  await old?.stop();
  await agent?.stop();
  await hub?.stop();
  await edge?.stop();
});

describe('agent version skew on the Cluster', () => {
  it('a refused agent sets AgentCompatible=False/VersionSkew with one Warning Event; a served agent clears it', async () => {
    // 1. The tree's own agent is served: the Cluster records its version, AgentCompatible=True.
    await runAgent(repoRoot, treeVersion);
    await waitFor(
      `the hub serving agent ${treeVersion}`,
      async () => {
        alive();
        const c = await getCluster();
        return c.status?.agentVersion === treeVersion && compat(c)?.status === 'True';
      },
      { timeoutMs: 120_000 },
    );

    const servedSince = compat(await getCluster())?.lastTransitionTime;

    // 2. A roll-out: an agent two minors ahead starts while the served one keeps running. The hub
    // refuses it, but a served agent is still connected: the condition stays True and names it.
    await runAgent(buildAt(tooNew), tooNew, true);
    const noted = await waitFor(
      'the refused agent named in AgentCompatible=True',
      async () => {
        alive();
        const c = compat(await getCluster());
        if (c?.message.includes('also connected and refused')) return c;
        throw new Error(JSON.stringify(c));
      },
      { timeoutMs: 120_000 },
    );
    expect(noted).toMatchObject({ status: 'True', reason: 'WithinSkew', lastTransitionTime: servedSince });
    expect(noted.message).toContain(`agent version ${tooNew} is outside the supported skew`);
    // Its retries, each judged against both agents, change nothing: still True, no Warning.
    const seenRefusals = refusals();
    await waitFor(
      'the refused agent retrying beside the served one',
      () => (alive(), refusals() >= seenRefusals + 3),
      {
        timeoutMs: 120_000,
      },
    );
    expect(compat(await getCluster())).toMatchObject({ status: 'True', lastTransitionTime: servedSince });
    expect(await events('VersionSkew')).toEqual([]);

    // 3. The roll-out ends with the new agent alone: refused by name, and the refusal is on the
    // Cluster (once the old agent's connection is gone).
    await old?.stop();
    old = undefined;
    const refused = await waitFor(
      'AgentCompatible=False on the Cluster',
      async () => {
        alive();
        const c = await getCluster();
        return compat(c)?.status === 'False' && c;
      },
      { timeoutMs: 120_000 },
    );
    const cond = compat(refused);
    expect(cond?.reason).toBe('VersionSkew');
    expect(cond?.message).toContain(`agent version ${tooNew}`);
    expect(cond?.message).toContain(`hub ${treeVersion}`);
    expect(cond?.message).toContain('minors at most one apart');
    // The Cluster keeps the version of the last agent the hub served.
    expect(refused.status?.agentVersion).toBe(treeVersion);
    const warnings = await waitFor('the VersionSkew Event', async () => {
      const e = await events('VersionSkew');
      return e.length > 0 && e;
    });
    expect(warnings[0]?.type).toBe('Warning');
    expect(warnings[0]?.message).toBe(cond?.message);
    // The refused agent retries every poll; the Event is not repeated. Wait for the agent's log to
    // show several refusals (after the condition was written) before counting.
    const before = refusals();
    await waitFor('the refused agent retrying', () => (alive(), refusals() >= before + 3), {
      timeoutMs: 120_000,
    });
    const again = await events('VersionSkew');
    expect(again.reduce((n, e) => n + ((e as { count?: number }).count ?? 1), 0)).toBe(1);

    // 4. The tree's agent again: served, the condition turns True and a Normal Event says so.
    await runAgent(repoRoot, treeVersion);
    const cleared = await waitFor(
      'AgentCompatible=True again',
      async () => {
        alive();
        const c = await getCluster();
        return compat(c)?.status === 'True' && c;
      },
      { timeoutMs: 120_000 },
    );
    expect(compat(cleared)?.reason).toBe('WithinSkew');
    expect(compat(cleared)?.message).toContain(`agent version ${treeVersion}`);
    await waitFor('the AgentCompatible Event', async () => (await events('AgentCompatible')).length === 1);
  }, 400_000);
});
