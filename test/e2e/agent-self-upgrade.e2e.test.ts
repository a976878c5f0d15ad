import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_VERSION, type Application } from '../../src/api/application.js';
import { FLEET_NAMESPACE, type Cluster } from '../../src/api/cluster.js';
import { installCrds } from '../../src/cli/commands/install.js';
import { registerAgentCluster } from '../../src/controllers/cluster/register.js';
import { OWNER_ANNOTATION } from '../../src/engine/plan/ownership.js';
import type { KubeObject } from '../../src/kube/index.js';
import { startCluster, type TestCluster } from '../harness/cluster.js';
import { testFleet, uniqueName, type TestFleet } from '../harness/context.js';
import { startHubProcess } from '../harness/gitfleet-process.js';
import { freePort } from '../harness/ports.js';
import { startProcess, type ManagedProcess } from '../harness/process.js';
import { repoRoot, toolPath } from '../harness/tools.js';
import { FatalWaitError, waitFor } from '../harness/wait.js';

/**
 * An agent upgrading itself from Git (issue 16). The hub's ApplicationSet (the shape the chart's
 * self-management template renders) makes one Application per labelled agent Cluster installing
 * the chart in agent mode; that Application is assigned to the agent, which applies its own
 * Deployment. A new image tag committed to the agents' values file rolls that Deployment, and the
 * new agent reports its version to the hub.
 *
 * No container runtime exists here: kwok marks the agent Deployment's Pods Ready, and the test
 * plays the kubelet. It runs the agent build the Deployment's image tag names: tag 0.1.0 is this
 * tree; a later tag is a release build of this tree (its sources copied, package.json at that
 * version, which is where an agent's version comes from), started with the Deployment's arguments.
 * Skew (src/core/version-skew.ts: same major, minors at most one apart): 0.1.0 → 0.2.0 is served;
 * a 0.3.0 agent is refused by the hub yet keeps reconciling from Git, so reverting the tag in Git
 * rolls it back to a version the hub serves.
 */
let fleet: TestFleet;
let mgmt: TestCluster;
let edge: TestCluster;
const ns = FLEET_NAMESPACE;
let logDir: string;
let repo: string;
let first: string;
let hubPort = 0;
let hub: ManagedProcess | undefined;
let agent: ManagedProcess | undefined;
let tokenFile: string;
const edgeName = uniqueName('self-edge');
const selector = uniqueName('agents');
const appName = `gitfleet-agent-${edgeName}`;
const treeVersion = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string })
  .version;

/** The chart's files as they would be committed under `gitfleet/` of the fleet repository. */
function chartFiles(): Record<string, string> {
  const root = join(repoRoot, 'deploy', 'chart', 'gitfleet');
  const out: Record<string, string> = {};
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir)) {
      const p = join(dir, e);
      if (statSync(p).isDirectory()) walk(p);
      else out[`gitfleet/${relative(root, p)}`] = readFileSync(p, 'utf8');
    }
  };
  walk(root);
  return out;
}

const agentValues = (tag: string): Record<string, string> => ({
  'gitfleet/agent-values.yaml': `image:\n  tag: "${tag}"\nagent:\n  pollInterval: 2s\n`,
});

/**
 * The directory of the agent build `version`: this tree for its own version, else a release build
 * of it at that version (sources copied so that the build's own package.json is the one read).
 */
function buildFor(version: string): string {
  if (version === treeVersion) return repoRoot;
  const dir = join(logDir, `release-${version}`);
  try {
    statSync(join(dir, 'package.json'));
    return dir;
  } catch {
    // not built yet
  }
  mkdirSync(dir, { recursive: true });
  cpSync(join(repoRoot, 'src'), join(dir, 'src'), { recursive: true });
  // The image's /app also carries deploy/ (the CRDs the agent installs, the chart).
  cpSync(join(repoRoot, 'deploy'), join(dir, 'deploy'), { recursive: true });
  cpSync(join(repoRoot, 'tsconfig.json'), join(dir, 'tsconfig.json'));
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as Record<string, unknown>;
  symlinkSync(join(repoRoot, 'node_modules'), join(dir, 'node_modules'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ ...pkg, version }, null, 2));
  return dir;
}

/** The agent Deployment in the edge cluster, as the agent applied it. */
const agentDeployment = (): Promise<KubeObject | undefined> =>
  edge.admin.getOrUndefined({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    namespace: FLEET_NAMESPACE,
    name: 'gitfleet-agent',
  });

interface Container {
  image: string;
  args: string[];
}
const containerOf = (d: KubeObject): Container | undefined =>
  (d.spec as { template: { spec: { containers: Container[] } } }).template.spec.containers[0];

/** The Deployment rolled out at `tag`: its template names it and the controller observed it, one Pod Ready. */
async function rolledTo(tag: string): Promise<KubeObject | false> {
  const d = await agentDeployment();
  if (!d) return false;
  const s = d.status as
    | { observedGeneration?: number; updatedReplicas?: number; readyReplicas?: number; replicas?: number }
    | undefined;
  return (
    containerOf(d)?.image.endsWith(`:${tag}`) === true &&
    s?.observedGeneration === d.metadata.generation &&
    s?.updatedReplicas === 1 &&
    s.readyReplicas === 1 &&
    s.replicas === 1 &&
    d
  );
}

/**
 * The kubelet's part: (re)starts the agent container of the rolled Deployment — the build its image
 * tag names, with the Deployment's own arguments (paths of the Pod's volumes mapped to this host).
 */
async function runAgentOf(d: KubeObject): Promise<void> {
  await agent?.stop();
  const c = containerOf(d);
  if (!c) throw new Error('the agent Deployment has no container');
  const tag = c.image.slice(c.image.lastIndexOf(':') + 1);
  const dir = buildFor(tag);
  const args = c.args.map((a) =>
    a
      .replace('--token-file=/var/run/gitfleet/token/token', `--token-file=${tokenFile}`)
      .replace('--metrics-port=8081', '--metrics-port=0')
      .replace('--cache-dir=/var/cache/gitfleet/sources', `--cache-dir=${join(logDir, 'agent-sources')}`),
  );
  agent = startProcess({
    name: `agent-${tag}-${Date.now()}`,
    command: process.execPath,
    args: ['--import', 'tsx', join(dir, 'src', 'cli', 'main.ts'), ...args, '--kubeconfig', edge.kubeconfig],
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
};

const hubCluster = (): Promise<Cluster> =>
  mgmt.admin.get<Cluster>({
    apiVersion: API_VERSION,
    kind: 'Cluster',
    namespace: FLEET_NAMESPACE,
    name: edgeName,
  });

/** The hub's view of the agent's own Application, as the agent reported it. */
async function reportedAt(rev: string): Promise<Application | false | undefined> {
  alive();
  const app = await mgmt.admin.getOrUndefined<Application>({
    apiVersion: API_VERSION,
    kind: 'Application',
    namespace: ns,
    name: appName,
  });
  const s = app?.status;
  return s?.sync?.status === 'Synced' && s.sync.revision === rev && s.health?.status === 'Healthy' && app;
}

/**
 * What `helm install gitfleet deploy/chart/gitfleet -n gitfleet-system --set mode=agent …` creates
 * in the edge cluster (CRDs included, Helm's release marks on every object), with the agents'
 * values file from Git; returns the agent Deployment once kwok reports its Pod Ready.
 */
async function helmInstallAgent(): Promise<KubeObject> {
  const valuesFile = join(logDir, 'agent-values.yaml');
  writeFileSync(valuesFile, Object.values(agentValues(treeVersion))[0] ?? '');
  const out = execFileSync(
    toolPath('helm'),
    [
      'template',
      'gitfleet',
      join(repoRoot, 'deploy', 'chart', 'gitfleet'),
      '--namespace',
      FLEET_NAMESPACE,
      '--include-crds',
      '--values',
      valuesFile,
      '--set',
      'mode=agent',
      '--set',
      `agent.hubUrl=http://127.0.0.1:${hubPort}`,
      '--set',
      `agent.cluster=${edgeName}`,
    ],
    { encoding: 'utf8', timeout: 60_000 },
  );
  for (const doc of parseAllDocuments(out)) {
    const obj = doc.toJS() as KubeObject | null;
    if (!obj) continue;
    obj.metadata.annotations = {
      ...obj.metadata.annotations,
      'meta.helm.sh/release-name': 'gitfleet',
      'meta.helm.sh/release-namespace': FLEET_NAMESPACE,
    };
    await edge.admin.apply(obj, { fieldManager: 'helm', force: true });
  }
  return waitFor(`the day-0 agent Deployment at ${treeVersion}`, () => rolledTo(treeVersion), {
    timeoutMs: 120_000,
  });
}

beforeAll(async () => {
  fleet = await testFleet();
  const clusterOpts = {
    runDir: fleet.info.runDir,
    runId: fleet.info.runId,
    etcdUrl: fleet.info.etcdUrl,
    pki: fleet.info.pki,
  };
  // The hub gets an API server of its own: the agents' ApplicationSet lives in gitfleet-system, as
  // the chart renders it, and the shared fleet's gitfleet-system belongs to every test file.
  [mgmt, edge] = await Promise.all([
    startCluster({ name: uniqueName('selfup-hub'), nodes: 0, ...clusterOpts }),
    startCluster({ name: edgeName, nodes: 1, ...clusterOpts }),
  ]);
  logDir = join(fleet.info.runDir, 'logs', edgeName);
  mkdirSync(logDir, { recursive: true });
  await installCrds(mgmt.admin);
  for (const c of [mgmt, edge])
    await c.admin.apply(
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: FLEET_NAMESPACE } },
      { fieldManager: 'test' },
    );
  repo = uniqueName('selfup-repo');
  await fleet.git.createRepo(repo);
  first = await fleet.git.commit(repo, { ...chartFiles(), ...agentValues(treeVersion) });
  const creds = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'git-creds', namespace: ns },
    stringData: { username: fleet.git.info.admin.username, password: fleet.git.info.admin.password },
  };
  await mgmt.admin.create(creds);
  // Git credentials stay in each cluster: the agent fetches with its own cluster's Secret.
  await edge.admin.create(creds);
  const project = uniqueName('selfup-proj');
  await mgmt.admin.create({
    apiVersion: API_VERSION,
    kind: 'Project',
    metadata: { name: project, namespace: FLEET_NAMESPACE },
    spec: {
      sourceRepos: [fleet.git.repoUrl(repo)],
      destinations: [{ cluster: edgeName, namespace: FLEET_NAMESPACE }],
      clusterResourceWhitelist: [
        { group: 'apiextensions.k8s.io', kind: 'CustomResourceDefinition' },
        { group: 'rbac.authorization.k8s.io', kind: 'ClusterRole' },
        { group: 'rbac.authorization.k8s.io', kind: 'ClusterRoleBinding' },
      ],
    },
  } as KubeObject);

  const { token } = await registerAgentCluster(mgmt.admin, {
    name: edgeName,
    labels: { 'gitfleet.dev/agent-install': selector },
  });
  tokenFile = join(logDir, 'agent.token');
  writeFileSync(tokenFile, token, { mode: 0o600 });
  // The operator's one manual step on an agent cluster: its token, where the chart mounts it from.
  await edge.admin.create({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'gitfleet-agent-token', namespace: FLEET_NAMESPACE },
    stringData: { token },
  });

  hubPort = await freePort();
  hub = startHubProcess({
    name: 'selfup-hub',
    logDir,
    kubeconfig: mgmt.kubeconfig,
    namespace: ns,
    port: hubPort,
    shardGroup: uniqueName('selfup'),
    replicaId: 'selfup-hub',
  });
  // The ApplicationSet the chart's self-management template renders for agents (self-management.yaml).
  await mgmt.admin.create({
    apiVersion: API_VERSION,
    kind: 'ApplicationSet',
    metadata: { name: 'gitfleet-agents', namespace: ns },
    spec: {
      generators: [{ clusters: { selector: { matchLabels: { 'gitfleet.dev/agent-install': selector } } } }],
      template: {
        metadata: {
          name: 'gitfleet-agent-{{nameNormalized}}',
          annotations: { 'gitfleet.dev/self-management': 'true' },
        },
        spec: {
          project,
          source: {
            repoURL: fleet.git.repoUrl(repo),
            targetRevision: 'main',
            path: 'gitfleet',
            secretRef: { name: 'git-creds' },
            helm: {
              releaseName: 'gitfleet',
              skipCrds: true,
              valueFiles: ['agent-values.yaml'],
              parameters: [
                { name: 'mode', value: 'agent' },
                { name: 'agent.cluster', value: '{{name}}' },
                { name: 'agent.hubUrl', value: `http://127.0.0.1:${hubPort}` },
              ],
            },
          },
          destination: { name: '{{name}}', namespace: FLEET_NAMESPACE },
          syncPolicy: { automated: { prune: true, selfHeal: true } },
        },
      },
    },
  } as KubeObject);
}, 180_000);

afterAll(async () => {
  await agent?.stop();
  await hub?.stop();
  await edge?.stop();
  await mgmt?.stop();
});

describe('agent self-upgrade from an ApplicationSet', () => {
  it('the agent installs and upgrades itself from Git; its new version reaches the hub within the skew', async () => {
    // Day 0, as docs/install.md says: the chart installed by hand in agent mode (what `helm
    // install` creates), then the kubelet's part: the agent its Deployment describes runs.
    const day0 = await helmInstallAgent();
    await runAgentOf(day0);
    // The agent receives the Application generated for it and adopts its own installation in
    // place: the same Deployment (same UID, nothing rolled), now owned by that Application.
    const adopted = await waitFor(
      'the agent Deployment adopted by the agents Application',
      async () => {
        alive();
        const d = await agentDeployment();
        return d?.metadata.annotations?.[OWNER_ANNOTATION] === `${FLEET_NAMESPACE}/${appName}` && d;
      },
      { timeoutMs: 120_000 },
    );
    expect(adopted.metadata.uid).toBe(day0.metadata.uid);
    expect(containerOf(adopted)).toEqual(containerOf(day0));
    await waitFor('the hub showing the agent app Synced/Healthy', () => reportedAt(first), {
      timeoutMs: 120_000,
    });
    await waitFor(
      `the hub recording agent ${treeVersion}`,
      async () => {
        alive();
        return (await hubCluster()).status?.agentVersion === treeVersion;
      },
      { timeoutMs: 60_000 },
    );
    const installed = await waitFor('the adopted Deployment rolled out', async () => {
      alive();
      return rolledTo(treeVersion);
    });

    // 1. A minor upgrade committed to the agents' values: the Deployment rolls, the new agent reports 0.2.0.
    const v2 = await fleet.git.commit(repo, agentValues('0.2.0'));
    const rolled = await waitFor(
      'the agent Deployment rolled to 0.2.0',
      async () => {
        alive();
        return rolledTo('0.2.0');
      },
      { timeoutMs: 120_000 },
    );
    expect(rolled.metadata.uid).toBe(installed.metadata.uid);
    expect(rolled.metadata.generation).toBeGreaterThan(installed.metadata.generation ?? 0);
    await runAgentOf(rolled);
    await waitFor(
      'the hub recording agent 0.2.0 and the app at the upgrade commit',
      async () => {
        const c = await hubCluster();
        return c.status?.agentVersion === '0.2.0' && reportedAt(v2);
      },
      { timeoutMs: 120_000 },
    );

    // 2. A tag two minors past the hub (0.1.0): the new agent is refused by name and the hub keeps
    // the last version it served; the refused agent goes on reconciling from Git, so reverting the
    // tag there rolls it back to a version the hub serves again.
    const v3 = await fleet.git.commit(repo, agentValues('0.3.0'));
    const tooNew = await waitFor(
      'the agent Deployment rolled to 0.3.0',
      async () => {
        alive();
        return rolledTo('0.3.0');
      },
      { timeoutMs: 120_000 },
    );
    await runAgentOf(tooNew);
    await waitFor(
      'the 0.3.0 agent refused by the hub',
      () => {
        alive();
        return /outside the supported skew with hub/.test(agent?.tail(200) ?? '');
      },
      { timeoutMs: 60_000 },
    );
    expect((await hubCluster()).status?.agentVersion).toBe('0.2.0');
    expect(v3).not.toBe(v2);
    const v4 = await fleet.git.commit(repo, agentValues('0.2.0'));
    const back = await waitFor(
      'the agent Deployment rolled back to 0.2.0',
      async () => {
        alive();
        return rolledTo('0.2.0');
      },
      { timeoutMs: 120_000 },
    );
    await runAgentOf(back);
    await waitFor(
      'the hub serving the 0.2.0 agent again, the app at the revert commit',
      async () => {
        const c = await hubCluster();
        return c.status?.agentVersion === '0.2.0' && reportedAt(v4);
      },
      { timeoutMs: 120_000 },
    );
  }, 600_000);
});
