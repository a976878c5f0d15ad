import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_API } from '../../src/api/agent.js';
import { API_VERSION, type Application } from '../../src/api/application.js';
import { FLEET_NAMESPACE, type Cluster } from '../../src/api/cluster.js';
import { installCrds } from '../../src/cli/commands/install.js';
import { registerAgentCluster, registerCluster } from '../../src/controllers/cluster/register.js';
import { issueAgentToken } from '../../src/controllers/tokens.js';
import { HubClient, HubError } from '../../src/core/hub-client.js';
import { loadConnection, type KubeClient, type KubeObject } from '../../src/kube/index.js';
import { startCluster, type TestCluster } from '../harness/cluster.js';
import {
  createNamespace,
  testFleet,
  uniqueName,
  type ClusterHandle,
  type TestFleet,
} from '../harness/context.js';
import { startGitfleet, startHubProcess } from '../harness/gitfleet-process.js';
import { freePort } from '../harness/ports.js';
import type { ManagedProcess } from '../harness/process.js';
import { FatalWaitError, waitFor } from '../harness/wait.js';

/**
 * Hub and agent as real processes, killed by PID: the hub on the fleet's first cluster, one agent
 * in a cluster of this file's own (so no other test pushes to it), both talking over HTTP.
 */
const ADMIN = 'agent-test-admin-token';
let fleet: TestFleet;
let mgmt: ClusterHandle;
let edge: TestCluster;
let ns: string;
let clusterName: string;
let tokenFile: string;
let logDir: string;
let hubPort: number;
let hub: ManagedProcess | undefined;
let agent: ManagedProcess | undefined;
let api: HubClient;
let repo: string;
const group = uniqueName('shard');

/** Runs the real CLI with its own login file; resolves with exit code and output. */
function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts'), ...args],
      { env: { ...process.env, GITFLEET_CONFIG: join(logDir, 'cli-config.json'), ...env }, timeout: 120_000 },
      (err, stdout, stderr) =>
        resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr }),
    );
  });
}

const cm = (name: string, data: Record<string, string>): string =>
  JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data });

function startHub(): ManagedProcess {
  return startHubProcess({
    name: 'hub',
    logDir,
    kubeconfig: mgmt.kubeconfig,
    namespace: ns,
    port: hubPort,
    shardGroup: group,
    replicaId: 'hub',
    env: { GITFLEET_API_TOKENS: ADMIN },
  });
}

function startAgentProcess(): ManagedProcess {
  return startGitfleet({
    name: `agent-${Date.now()}`,
    logDir,
    args: [
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
      join(logDir, 'agent-sources'),
    ],
  });
}

const alive = (p: ManagedProcess | undefined): void => {
  if (p && !p.running) throw new FatalWaitError(`${p.name} exited:\n${p.tail()}`);
};

async function hubApp(name: string, namespace = ns): Promise<Application | undefined> {
  try {
    return await api.request<Application>('GET', `/api/v1/applications/${namespace}/${name}`);
  } catch (e) {
    if (e instanceof HubError && e.status === 404) return undefined;
    throw e;
  }
}

async function getCm(
  client: KubeClient,
  namespace: string,
  name: string,
): Promise<(KubeObject & { data?: Record<string, string> }) | undefined> {
  return client.getOrUndefined({ apiVersion: 'v1', kind: 'ConfigMap', namespace, name });
}

beforeAll(async () => {
  fleet = await testFleet();
  mgmt = fleet.clusters[0] as ClusterHandle;
  await installCrds(mgmt.admin);
  ns = await createNamespace(mgmt.admin, 'agents');
  logDir = join(fleet.info.runDir, 'logs', ns);
  mkdirSync(logDir, { recursive: true });
  clusterName = uniqueName('edge');
  edge = await startCluster({
    name: clusterName,
    runDir: fleet.info.runDir,
    runId: fleet.info.runId,
    etcdUrl: fleet.info.etcdUrl,
    pki: fleet.info.pki,
    nodes: 1,
  });
  await installCrds(edge.admin);
  repo = uniqueName('agent-repo');
  await fleet.git.createRepo(repo);
  await fleet.git.commit(repo, { 'app/cm.yaml': cm('settings', { version: 'v1' }) });
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

  const { token } = await registerAgentCluster(mgmt.admin, { name: clusterName, labels: { tier: 'edge' } });
  tokenFile = join(logDir, 'agent.token');
  writeFileSync(tokenFile, token, { mode: 0o600 });
  hubPort = await freePort();
  hub = startHub();
  api = new HubClient({ url: `http://127.0.0.1:${hubPort}`, token: ADMIN });
  await waitFor('the hub API', () => (alive(hub), api.request('GET', '/api/v1/clusters')), {
    timeoutMs: 30_000,
  });
  agent = startAgentProcess();
  await mgmt.admin.create<Application>({
    apiVersion: API_VERSION,
    kind: 'Application',
    metadata: { name: 'edge-app', namespace: ns },
    spec: {
      source: { repoURL: fleet.git.repoUrl(repo), path: 'app', secretRef: { name: 'git-creds' } },
      destination: { name: clusterName, namespace: 'team' },
      syncPolicy: { automated: { prune: true, selfHeal: true } },
    },
  });
}, 120_000);

afterAll(async () => {
  api?.close();
  await agent?.stop();
  await hub?.stop();
  await edge?.stop();
});

describe('hub and agent', () => {
  it('the agent applies its assignment and the hub shows its status, with the agent’s heartbeat', async () => {
    await waitFor('the ConfigMap in the agent’s cluster', async () => {
      alive(agent);
      return (await getCm(edge.admin, 'team', 'settings'))?.data;
    });
    const app = await waitFor('Synced and Healthy in the hub API', async () => {
      const a = await hubApp('edge-app');
      return a?.status?.sync?.status === 'Synced' && a.status.health?.status === 'Healthy' && a;
    });
    expect(app.status?.sync?.revision).toMatch(/^[0-9a-f]{40}$/);
    // The hub never touched the agent's cluster itself: it holds no credentials for it.
    const cluster = await mgmt.admin.get<Cluster>({
      apiVersion: API_VERSION,
      kind: 'Cluster',
      namespace: FLEET_NAMESPACE,
      name: clusterName,
    });
    expect(cluster.spec.secretRef).toBeUndefined();
    expect(cluster.status?.reachable).toBe(true);
    expect(cluster.status?.agentVersion).toBe('0.1.0');
    expect(Date.now() - Date.parse(cluster.status?.lastHeartbeat ?? '')).toBeLessThan(60_000);
    // The stored assignment is labelled as the hub's.
    const local = await edge.admin.get<Application>({
      apiVersion: API_VERSION,
      kind: 'Application',
      namespace: ns,
      name: 'edge-app',
    });
    expect(local.metadata.labels?.['gitfleet.dev/assigned']).toBe('true');
    // The agent's own metrics: the same per-app series as the hub's, plus its link to the hub.
    const port = /"metricsPort":(\d+)/.exec(agent?.tail(200) ?? '')?.[1];
    expect(port).toBeDefined();
    const metrics = await waitFor('agent metrics', async () => {
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      return text.includes('gitfleet_app_info{') && text;
    });
    expect(metrics).toMatch(/^gitfleet_agent_hub_connected 1$/m);
    expect(metrics).toMatch(/^gitfleet_agent_assignments 1$/m);
    expect(metrics).toMatch(
      new RegExp(
        `gitfleet_app_info\\{namespace="${ns}",name="edge-app",project="default",dest_cluster="${clusterName}",repo="[^"]+",sync_status="Synced",health_status="Healthy"\\} 1`,
      ),
    );
    // The hub's destination name is kept (Projects match on it); the agent resolves it to itself.
    expect(local.spec.destination.name).toBe(clusterName);
  });

  it('an agent token reaches only its own cluster; rotating it cuts the old one off', async () => {
    const other = uniqueName('other');
    const { token } = await registerAgentCluster(mgmt.admin, { name: other });
    const asOther = new HubClient({ url: `http://127.0.0.1:${hubPort}`, token });
    try {
      await waitFor('the new token to be known', () =>
        asOther.request('GET', `${AGENT_API}/assignments?cluster=${other}`).then(() => true),
      );
      const err = await asOther
        .request('GET', `${AGENT_API}/assignments?cluster=${clusterName}`)
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(HubError);
      expect((err as HubError).status).toBe(403);
      expect((err as HubError).message).toContain(`belongs to cluster "${other}"`);
      // User tokens may not pose as agents, nor agents read the user API.
      expect(
        (
          (await api
            .request('GET', `${AGENT_API}/assignments?cluster=${other}`)
            .catch((e: unknown) => e)) as HubError
        ).status,
      ).toBe(403);
      expect(
        ((await asOther.request('GET', '/api/v1/applications').catch((e: unknown) => e)) as HubError).status,
      ).toBe(403);
      await issueAgentToken(mgmt.admin, other);
      await waitFor('the old token to be refused', async () => {
        const e = await asOther
          .request('GET', `${AGENT_API}/assignments?cluster=${other}`)
          .catch((x: unknown) => x);
        return e instanceof HubError && e.status === 401;
      });
    } finally {
      asOther.close();
    }
  });

  it('one owner per cluster: an agent for a push-mode cluster, and a hub pushing to an agent’s cluster, are refused', async () => {
    const pushed = uniqueName('pushed');
    await registerCluster(mgmt.admin, {
      name: pushed,
      connection: await loadConnection({ file: fleet.clusters[1]?.kubeconfig ?? '' }),
    });
    const t = await issueAgentToken(mgmt.admin, pushed);
    const asAgent = new HubClient({ url: `http://127.0.0.1:${hubPort}`, token: t });
    try {
      const e = await waitFor('409 for a push-mode cluster', async () => {
        const x = await asAgent
          .request('GET', `${AGENT_API}/assignments?cluster=${pushed}`)
          .catch((y: unknown) => y);
        return x instanceof HubError && x.status !== 401 && x;
      });
      expect(e.status).toBe(409);
      expect(e.message).toContain('one owner per cluster');
    } finally {
      asAgent.close();
    }
    // The same API server registered again, in push mode: the hub must not drive it behind the agent.
    const twin = uniqueName('twin');
    await registerCluster(mgmt.admin, {
      name: twin,
      connection: await loadConnection({ file: edge.kubeconfig }),
    });
    await mgmt.admin.create<Application>({
      apiVersion: API_VERSION,
      kind: 'Application',
      metadata: { name: 'twin-app', namespace: ns },
      spec: {
        source: { repoURL: fleet.git.repoUrl(repo), path: 'app', secretRef: { name: 'git-creds' } },
        destination: { name: twin, namespace: 'team' },
        syncPolicy: { automated: {} },
      },
    });
    const failed = await waitFor('DestinationFailed naming the agent', async () => {
      const a = await hubApp('twin-app');
      return a?.status?.conditions?.find((c) => c.type === 'DestinationFailed');
    });
    expect(failed.message).toContain(`already driven by agent/${clusterName}`);
  });

  it('with the hub killed, the agent keeps applying commits and healing drift; a restarted hub converges with the history made meanwhile', async () => {
    const before = await hubApp('edge-app');
    const historyBefore = before?.status?.history?.length ?? 0;
    await hub?.kill();
    const v2 = await fleet.git.commit(repo, { 'app/cm.yaml': cm('settings', { version: 'v2' }) });
    await waitFor('v2 applied without the hub', async () => {
      alive(agent);
      return (await getCm(edge.admin, 'team', 'settings'))?.data?.version === 'v2';
    });
    await edge.admin.request({
      method: 'PATCH',
      path: '/api/v1/namespaces/team/configmaps/settings',
      body: { data: { version: 'hand-edit' } },
      contentType: 'application/merge-patch+json',
    });
    await waitFor('drift healed without the hub', async () => {
      return (await getCm(edge.admin, 'team', 'settings'))?.data?.version === 'v2';
    });
    const v3 = await fleet.git.commit(repo, { 'app/cm.yaml': cm('settings', { version: 'v3' }) });
    await waitFor('v3 applied without the hub', async () => {
      return (await getCm(edge.admin, 'team', 'settings'))?.data?.version === 'v3';
    });

    const t0 = Date.now();
    hub = startHub();
    const converged = await waitFor(
      'the hub’s view to reach v3',
      async () => {
        alive(hub);
        const a = await hubApp('edge-app');
        return a?.status?.sync?.revision === v3 && a.status.sync.status === 'Synced' && a;
      },
      { timeoutMs: 60_000 },
    );
    const seconds = (Date.now() - t0) / 1000;
    console.log(`hub restart → view converged in ${seconds.toFixed(1)} s (process start included)`);
    // The syncs done while the hub was away are in the history, in order.
    const revisions = (converged.status?.history ?? []).slice(historyBefore).map((h) => h.revision);
    expect(revisions.indexOf(v2)).toBeGreaterThanOrEqual(0);
    expect(revisions.indexOf(v3)).toBeGreaterThan(revisions.indexOf(v2));
    // Each entry names the commit's author and subject, read from the agent's mirror.
    const last = converged.status?.history?.at(-1);
    expect(last?.author).toBe('gitfleet test <test@gitfleet.dev>');
    expect(last?.message).toBeTruthy();
    // The syncs the agent did meanwhile are in the hub's audit trail, by commit and cluster.
    const audit = await waitFor('audit entries for v2 and v3', async () => {
      const r = await api.request<{ items: { revision: string; message: string; cluster: string }[] }>(
        'GET',
        `/api/v1/audit?app=${ns}/edge-app&cluster=${clusterName}`,
      );
      const revs = r.items.map((e) => e.revision);
      return revs.includes(v2) && revs.includes(v3) && r.items;
    });
    expect(audit.find((e) => e.revision === v3)?.message).toContain(`agent of ${clusterName}`);
  });

  it('an agent killed mid-sync is finished by the next run, with nothing lost or written twice', async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 120; i++) files[`app/many-${i}.yaml`] = cm(`many-${i}`, { i: String(i) });
    const count = async (): Promise<number> =>
      (await edge.admin.list('v1', 'ConfigMap', { namespace: 'team' })).items.filter((o) =>
        o.metadata.name.startsWith('many-'),
      ).length;
    const sha = await fleet.git.commit(repo, files);
    const partial = await waitFor(
      'a sync under way',
      async () => {
        const n = await count();
        return n > 0 && n < 120 && n;
      },
      { intervalMs: 20 },
    );
    await agent?.kill();
    const written = new Map(
      (await edge.admin.list('v1', 'ConfigMap', { namespace: 'team' })).items.map((o) => [
        o.metadata.name,
        o.metadata.resourceVersion,
      ]),
    );
    expect(partial).toBeLessThan(120);
    agent = startAgentProcess();
    await waitFor('all 120 applied by the next run', async () => {
      alive(agent);
      return (await count()) === 120;
    });
    const local = await waitFor('the agent’s app Synced at the commit', async () => {
      const a = await edge.admin.get<Application>({
        apiVersion: API_VERSION,
        kind: 'Application',
        namespace: ns,
        name: 'edge-app',
      });
      return a.status?.sync?.status === 'Synced' && a.status.sync.revision === sha && a;
    });
    // Objects the killed run had written were not written again: same resourceVersion.
    const after = await edge.admin.list('v1', 'ConfigMap', { namespace: 'team' });
    for (const o of after.items) {
      const rv = written.get(o.metadata.name);
      if (rv && o.metadata.name.startsWith('many-')) expect(o.metadata.resourceVersion).toBe(rv);
    }
    // One history entry for the commit, not one per attempt.
    expect((local.status?.history ?? []).filter((h) => h.revision === sha)).toHaveLength(1);
    await waitFor(
      'the hub to see it',
      async () => (await hubApp('edge-app'))?.status?.sync?.revision === sha,
    );
  });

  it('the CLI logs in to the hub, shows the fleet, and syncs an agent’s app through the hub', async () => {
    const hubUrl = `http://127.0.0.1:${hubPort}`;
    const bad = await cli(['login', '--hub', hubUrl, '--token', 'wrong']);
    expect(bad.code).not.toBe(0);
    expect(bad.out).toContain('401');
    const login = await cli(['login', '--hub', hubUrl, '--token', ADMIN]);
    expect(login.out).toContain('as admin');
    expect(login.code).toBe(0);
    expect(statSync(join(logDir, 'cli-config.json')).mode & 0o777).toBe(0o600);
    const fleetView = await cli(['fleet', 'status']);
    expect(fleetView.code).toBe(0);
    expect(fleetView.out).toContain(clusterName);
    expect(fleetView.out).toMatch(new RegExp(`${ns}/edge-app\\s+.*Synced/Healthy`));
    const list = await cli(['app', 'list', '-n', ns]);
    expect(list.out).toMatch(/edge-app\s+default\s+edge-\S+\s+Synced\s+Healthy/);
    // A manual sync asked on the hub travels to the agent (as an annotation) and back (as status).
    const synced = await cli(['app', 'sync', 'edge-app', '-n', ns, '--wait', '--timeout', '60']);
    expect(synced.out).toContain('Succeeded');
    expect(synced.code).toBe(0);
  });

  it('the hub’s Project governs an agent’s app: a forbidden destination is refused there, an allowed one applied', async () => {
    await fleet.git.commit(repo, { 'gov/cm.yaml': cm('gov-cm', { a: '1' }) });
    const project = {
      apiVersion: API_VERSION,
      kind: 'Project',
      metadata: { name: `edge-team-${ns}`, namespace: FLEET_NAMESPACE },
      spec: {
        sourceNamespaces: [ns],
        sourceRepos: ['*'],
        // By label, as the hub knows this cluster: the agent enforces with the hub's labels.
        destinations: [{ clusterSelector: { matchLabels: { tier: 'edge' } }, namespace: 'allowed-*' }],
      },
    };
    await mgmt.admin.create(project);
    await mgmt.admin.create<Application>({
      apiVersion: API_VERSION,
      kind: 'Application',
      metadata: { name: 'governed', namespace: ns },
      spec: {
        project: project.metadata.name,
        source: { repoURL: fleet.git.repoUrl(repo), path: 'gov', secretRef: { name: 'git-creds' } },
        destination: { name: clusterName, namespace: 'team' },
        syncPolicy: { automated: {} },
      },
    });
    const refused = await waitFor('ProjectViolation reported to the hub', async () => {
      const a = await hubApp('governed');
      return a?.status?.conditions?.find((c) => c.type === 'ProjectViolation');
    });
    expect(refused.message).toContain('team');
    expect(await getCm(edge.admin, 'team', 'gov-cm')).toBeUndefined();
    await mgmt.admin.request({
      method: 'PATCH',
      path: `/apis/${API_VERSION}/namespaces/${FLEET_NAMESPACE}/projects/${project.metadata.name}`,
      body: {
        spec: { destinations: [{ clusterSelector: { matchLabels: { tier: 'edge' } }, namespace: 'team' }] },
      },
      contentType: 'application/merge-patch+json',
    });
    await waitFor(
      'applied once the hub’s Project allows it',
      async () => !!(await getCm(edge.admin, 'team', 'gov-cm')),
    );
  });

  it('the agent manifests in deploy/agent are accepted by a real API server (server-side dry-run)', async () => {
    const docs = parseAllDocuments(
      readFileSync(join(import.meta.dirname, '../../deploy/agent/agent.yaml'), 'utf8'),
    )
      .map((d) => d.toJS() as KubeObject)
      .filter(Boolean);
    expect(docs.map((d) => d.kind)).toEqual([
      'Namespace',
      'ServiceAccount',
      'ClusterRole',
      'ClusterRoleBinding',
      'Deployment',
    ]);
    for (const d of docs)
      await edge.admin.apply(d, { fieldManager: 'dry-run-test', dryRun: true, force: true });
  });

  it('postBuild.substituteFrom is read in the agent’s cluster: values from a ConfigMap and a Secret there; a missing one is an error naming it, unless optional', async () => {
    await fleet.git.commit(repo, {
      'subst/cm.yaml': cm('subst-cm', { region: '${region}', user: '${db_user}' }),
      'subst-missing/cm.yaml': cm('subst-missing-cm', { region: '${region:=nowhere}' }),
    });
    // The variables exist only in the agent's cluster, in the Application's namespace there.
    await edge.admin.create({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'edge-vars', namespace: ns },
      data: { region: 'eu-west-3' },
    });
    await edge.admin.create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'edge-secret-vars', namespace: ns },
      stringData: { db_user: 'edge-user' },
    });
    const substApp = (
      name: string,
      path: string,
      substituteFrom: NonNullable<Application['spec']['postBuild']>['substituteFrom'],
    ): Application => ({
      apiVersion: API_VERSION,
      kind: 'Application',
      metadata: { name, namespace: ns },
      spec: {
        source: { repoURL: fleet.git.repoUrl(repo), path, secretRef: { name: 'git-creds' } },
        destination: { name: clusterName, namespace: 'team' },
        postBuild: { substituteFrom },
        syncPolicy: { automated: {} },
      },
    });
    await mgmt.admin.create<Application>(
      substApp('subst', 'subst', [
        { kind: 'ConfigMap', name: 'edge-vars' },
        { kind: 'Secret', name: 'edge-secret-vars' },
      ]),
    );
    await mgmt.admin.create<Application>(
      substApp('subst-missing', 'subst-missing', [{ kind: 'ConfigMap', name: 'absent-vars' }]),
    );

    const applied = await waitFor(
      'the substituted ConfigMap in the agent’s cluster',
      async () => {
        alive(agent);
        const c = await getCm(edge.admin, 'team', 'subst-cm');
        return c?.data?.region === 'eu-west-3' && c.data;
      },
      { timeoutMs: 120_000 },
    );
    expect(applied).toEqual({ region: 'eu-west-3', user: 'edge-user' });
    // The hub never held the variables: it could not have rendered them.
    expect(await getCm(mgmt.admin, ns, 'edge-vars')).toBeUndefined();
    expect(
      await mgmt.admin.getOrUndefined({
        apiVersion: 'v1',
        kind: 'Secret',
        namespace: ns,
        name: 'edge-secret-vars',
      }),
    ).toBeUndefined();

    // A missing ConfigMap in the agent's cluster: an error naming it, reported to the hub, nothing applied.
    const failed = await waitFor(
      'the missing ConfigMap reported to the hub',
      async () => {
        const a = await hubApp('subst-missing');
        return a?.status?.conditions?.find((c) => c.message.includes('absent-vars'));
      },
      { timeoutMs: 120_000 },
    );
    expect(failed.type).toBe('RenderFailed');
    expect(failed.message).toContain(
      `spec.postBuild.substituteFrom[0]: ConfigMap ${ns}/absent-vars not found`,
    );
    // The agent's own copy carries it too (read again: the agent may be rewriting its status).
    await waitFor('the condition on the agent’s copy', async () => {
      const local = await edge.admin.getOrUndefined<Application>({
        apiVersion: API_VERSION,
        kind: 'Application',
        namespace: ns,
        name: 'subst-missing',
      });
      return local?.status?.conditions?.some((c) => c.message.includes('absent-vars'));
    });
    expect(await getCm(edge.admin, 'team', 'subst-missing-cm')).toBeUndefined();
    // optional: true lets it render with the manifest's default.
    await mgmt.admin.request({
      method: 'PATCH',
      path: `/apis/${API_VERSION}/namespaces/${ns}/applications/subst-missing`,
      body: {
        spec: { postBuild: { substituteFrom: [{ kind: 'ConfigMap', name: 'absent-vars', optional: true }] } },
      },
      contentType: 'application/merge-patch+json',
    });
    const optional = await waitFor(
      'applied with the default once optional',
      async () => (await getCm(edge.admin, 'team', 'subst-missing-cm'))?.data,
      { timeoutMs: 120_000 },
    );
    expect(optional).toEqual({ region: 'nowhere' });
  }, 400_000);

  it('Applications defined in the agent’s cluster are reconciled there and reported to the hub', async () => {
    await edge.admin.create<Application>({
      apiVersion: API_VERSION,
      kind: 'Application',
      metadata: { name: 'local-app', namespace: ns },
      spec: {
        source: { repoURL: fleet.git.repoUrl(repo), path: 'app', secretRef: { name: 'git-creds' } },
        destination: { namespace: ns },
        syncPolicy: { automated: {} },
      },
    });
    const mirror = await waitFor('the autonomous app in the hub', async () => {
      const a = await hubApp(`${clusterName}.${ns}.local-app`, FLEET_NAMESPACE);
      return a?.status?.sync?.status === 'Synced' && a;
    });
    expect(mirror.metadata.labels?.['gitfleet.dev/origin']).toBe('autonomous');
    expect(mirror.spec.destination.name).toBe(clusterName);
    expect(await getCm(edge.admin, ns, 'settings')).toBeDefined();
    // The hub's copy is a report: the hub does not assign it back.
    const local = await edge.admin.list<Application>(API_VERSION, 'Application', {
      namespace: FLEET_NAMESPACE,
    });
    expect(local.items.map((a) => a.metadata.name)).not.toContain(mirror.metadata.name);
  });
});
