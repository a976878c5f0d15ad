// Progressive delivery on an agent-mode cluster: the hub (in this process, with its API) assigns
// the Application to the agent of a cluster of this file's own (one driver per cluster, so no
// other test pushes to it); the agent (in this process too) applies the Deployment and Canary
// and drives the Canary there, so the roll-out goes on with the hub holding no credentials for
// that cluster. The canary reaches 100% and becomes stable; the hub shows the app's health.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgent, type RunningAgent } from '../../src/agent/agent.js';
import { API_VERSION, type Application } from '../../src/api/application.js';
import type { Canary } from '../../src/api/delivery.js';
import { installCrds } from '../../src/cli/commands/install.js';
import { registerAgentCluster } from '../../src/controllers/cluster/register.js';
import { GitSources } from '../../src/engine/source/index.js';
import { startHub, type RunningHub } from '../../src/hub/start.js';
import { KubeClient, loadConnection, type KubeObject } from '../../src/kube/index.js';
import { startCluster, type TestCluster } from '../harness/cluster.js';
import {
  createNamespace,
  testFleet,
  uniqueName,
  type ClusterHandle,
  type TestFleet,
} from '../harness/context.js';
import { freePort } from '../harness/ports.js';
import { toolPath } from '../harness/tools.js';
import { waitFor } from '../harness/wait.js';

let fleet: TestFleet;
let mgmt: ClusterHandle;
let edge: TestCluster;
let hubClient: KubeClient;
let edgeClient: KubeClient;
let hub: RunningHub | undefined;
let agent: RunningAgent | undefined;
let ns: string;
let repo: string;
const clusterName = uniqueName('canary-edge');
const dir = mkdtempSync(join(tmpdir(), 'gitfleet-delivery-agent-'));
const log = pino({ level: 'warn' });

const deployment = (image: string): string => `apiVersion: apps/v1
kind: Deployment
metadata: { name: web }
spec:
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      containers: [{ name: web, image: "${image}" }]
`;
const canary = `apiVersion: gitfleet.dev/v1alpha1
kind: Canary
metadata: { name: web }
spec:
  targetRef: { name: web }
  replicas: 2
  strategy:
    canary:
      steps:
        - setWeight: 50
        - pause: { duration: 1s }
`;

beforeAll(async () => {
  fleet = await testFleet();
  mgmt = fleet.clusters[0] as ClusterHandle;
  await installCrds(mgmt.admin);
  ns = await createNamespace(mgmt.admin, 'delivery-agent');
  edge = await startCluster({
    name: clusterName,
    runDir: fleet.info.runDir,
    runId: fleet.info.runId,
    etcdUrl: fleet.info.etcdUrl,
    pki: fleet.info.pki,
    nodes: 1,
  });
  await installCrds(edge.admin);
  repo = uniqueName('delivery-agent-repo');
  await fleet.git.createRepo(repo);
  await fleet.git.commit(repo, { 'app/deploy.yaml': deployment('web:v1'), 'app/canary.yaml': canary });
  // Git credentials stay in each cluster: the agent fetches with its own cluster's Secret.
  const creds = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'git-creds', namespace: ns },
    stringData: { username: fleet.git.info.admin.username, password: fleet.git.info.admin.password },
  };
  await mgmt.admin.create(creds);
  await edge.admin.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  await edge.admin.create(creds);
  await edge.admin.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team' } });
  const { token } = await registerAgentCluster(mgmt.admin, { name: clusterName });

  hubClient = new KubeClient(await loadConnection({ file: mgmt.kubeconfig }));
  const port = await freePort();
  hub = await startHub({
    client: hubClient,
    log,
    namespace: ns,
    sources: { cacheDir: join(dir, 'hub-sources'), fetchIntervalMs: 1000 },
    pollIntervalMs: 1000,
    controllers: { applications: true, applicationSets: false },
    renderOptions: { kustomizeBinary: toolPath('kustomize'), helmBinary: toolPath('helm') },
    clusterCheckIntervalMs: 1000,
    membership: { identity: `hub-${process.pid}`, group: uniqueName('canary-agent'), leaseSeconds: 15 },
    server: { port, host: '127.0.0.1', webhookSecrets: {}, api: { tokens: [uniqueName('admin-token')] } },
  });
  edgeClient = new KubeClient(await loadConnection({ file: edge.kubeconfig }));
  agent = await startAgent({
    hubUrl: `http://127.0.0.1:${port}`,
    token,
    cluster: clusterName,
    client: edgeClient,
    sources: new GitSources({ cacheDir: join(dir, 'agent-sources'), fetchIntervalMs: 1000 }),
    renderOptions: { kustomizeBinary: toolPath('kustomize'), helmBinary: toolPath('helm') },
    pollIntervalMs: 1000,
    log,
  });
  await mgmt.admin.create<Application>({
    apiVersion: API_VERSION,
    kind: 'Application',
    metadata: { name: 'edge-canary', namespace: ns },
    spec: {
      source: { repoURL: fleet.git.repoUrl(repo), path: 'app', secretRef: { name: 'git-creds' } },
      destination: { name: clusterName, namespace: 'team' },
      syncPolicy: { automated: { prune: true } },
    },
  });
}, 180_000);

afterAll(async () => {
  await agent?.stop();
  await hub?.stop();
  hubClient?.close();
  edgeClient?.close();
  await edge?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('canary on an agent-mode cluster', () => {
  it('is driven by the agent to 100% and becomes stable, the hub holding no credentials for the cluster', async () => {
    let last: Canary | undefined;
    const phase = (what: string, ok: (c: Canary) => boolean): Promise<Canary> =>
      waitFor(
        what,
        async () => {
          last = await edge.admin.getOrUndefined<Canary>({
            apiVersion: API_VERSION,
            kind: 'Canary',
            namespace: 'team',
            name: 'web',
          });
          return last && ok(last) ? last : undefined;
        },
        { timeoutMs: 120_000, intervalMs: 250 },
      ).catch((e: unknown) => {
        throw new Error(`${(e as Error).message}\nlast canary status: ${JSON.stringify(last?.status)}`);
      });
    const init = await phase('canary initialized by the agent', (c) => c.status?.phase === 'Initialized');
    expect(init.status?.stableSlot).toBe('blue');
    await fleet.git.commit(repo, { 'app/deploy.yaml': deployment('web:v2') });
    const seen = new Set<number>();
    const done = await phase('v2 promoted by the agent', (c) => {
      if (c.status?.canaryWeight) seen.add(c.status.canaryWeight);
      return c.status?.phase === 'Succeeded';
    });
    expect(done.status?.stableSlot).toBe('green');
    expect(done.status?.promotions).toHaveLength(1);
    expect(seen.has(50)).toBe(true);
    const green = await edge.admin.get<
      KubeObject & { spec: { template: { spec: { containers: { image: string }[] } } } }
    >({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      namespace: 'team',
      name: 'web-green',
    });
    expect(green.spec.template.spec.containers[0]?.image).toBe('web:v2');
    // The hub drove none of it: it holds no client for the agent's cluster.
    expect(hub?.delivery?.cluster(clusterName)).toBeUndefined();
    // The agent reports the app; the hub shows it Synced and Healthy at v2's commit.
    await waitFor(
      'the hub shows the app Healthy',
      async () => {
        const a = await mgmt.admin.get<Application>({
          apiVersion: API_VERSION,
          kind: 'Application',
          namespace: ns,
          name: 'edge-canary',
        });
        return a.status?.sync?.status === 'Synced' && a.status.health?.status === 'Healthy';
      },
      { timeoutMs: 120_000 },
    );
  });
});
