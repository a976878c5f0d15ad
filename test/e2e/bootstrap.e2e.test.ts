import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_VERSION, type Application } from '../../src/api/application.js';
import { FLEET_NAMESPACE } from '../../src/api/cluster.js';
import { registerAgentCluster } from '../../src/controllers/cluster/register.js';
import { OWNER_ANNOTATION } from '../../src/engine/plan/ownership.js';
import type { KubeObject } from '../../src/kube/index.js';
import { startCluster, type TestCluster } from '../harness/cluster.js';
import { testFleet, uniqueName, type TestFleet } from '../harness/context.js';
import { startHubProcess } from '../harness/gitfleet-process.js';
import { freePort } from '../harness/ports.js';
import type { ManagedProcess } from '../harness/process.js';
import { repoRoot, toolPath } from '../harness/tools.js';
import { FatalWaitError, waitFor } from '../harness/wait.js';

/**
 * `gitfleet bootstrap` into an empty cluster of its own (a fresh kube-apiserver on the harness etcd):
 * the chart and values land in the harness Git server, the hub's objects in the cluster, and the
 * Application gitfleet-system/gitfleet takes them over. There is no container runtime (kwok marks
 * the hub Deployment's Pods Ready), so the hub process that then manages the installation is this
 * source tree's `gitfleet controller` (through tsx) run against the cluster with --namespace
 * gitfleet-system, as the Deployment's container would run it.
 */
let fleet: TestFleet;
let cluster: TestCluster;
let repo: string;
let logDir: string;
let hub: ManagedProcess | undefined;
let hubPort = 0;
const PATH = 'clusters/hub';

function bootstrap(valuesFile: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      join(repoRoot, 'src/cli/main.ts'),
      'bootstrap',
      '--repo',
      fleet.git.repoUrl(repo),
      '--path',
      PATH,
      '--values',
      valuesFile,
      '--agents-hub-url',
      'https://hub.example:8443',
      '--kubeconfig',
      cluster.kubeconfig,
    ],
    {
      encoding: 'utf8',
      cwd: repoRoot,
      timeout: 120_000,
      env: {
        ...process.env,
        GITFLEET_HELM: toolPath('helm'),
        GITFLEET_GIT_USERNAME: fleet.git.info.admin.username,
        GITFLEET_GIT_PASSWORD: fleet.git.info.admin.password,
      },
    },
  );
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A file on the branch, read from the Git server's bare repository. */
function gitShow(file: string): string {
  return execFileSync(
    'git',
    ['--git-dir', join(fleet.git.info.root, `${repo}.git`), 'show', `main:${file}`],
    {
      encoding: 'utf8',
    },
  );
}
const head = (): string =>
  execFileSync('git', ['--git-dir', join(fleet.git.info.root, `${repo}.git`), 'rev-parse', 'main'], {
    encoding: 'utf8',
  }).trim();

const hubDeployment = (): Promise<KubeObject> =>
  cluster.admin.get({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    namespace: FLEET_NAMESPACE,
    name: 'gitfleet-hub',
  });
const logLevelOf = (d: KubeObject): string | undefined =>
  (
    d.spec as { template: { spec: { containers: { env?: { name: string; value?: string }[] }[] } } }
  ).template.spec.containers[0]?.env?.find((e) => e.name === 'GITFLEET_LOG_LEVEL')?.value;

beforeAll(async () => {
  fleet = await testFleet();
  const name = uniqueName('boot');
  cluster = await startCluster({
    name,
    runDir: fleet.info.runDir,
    runId: fleet.info.runId,
    etcdUrl: fleet.info.etcdUrl,
    pki: fleet.info.pki,
    nodes: 1,
  });
  logDir = join(fleet.info.runDir, 'logs', name);
  mkdirSync(logDir, { recursive: true });
  repo = uniqueName('fleet-infra');
  await fleet.git.createRepo(repo);
}, 120_000);

afterAll(async () => {
  await hub?.stop();
  await cluster?.stop();
});

describe('gitfleet bootstrap', () => {
  it('commits the chart, installs the hub, and gitfleet then manages itself from Git', async () => {
    const values = join(logDir, 'values.yaml');
    writeFileSync(values, 'hub:\n  replicas: 1\n  logLevel: info\naudit:\n  store: "off"\n');

    // Bad input changes nothing: a path climbing out of the repository is refused by name.
    const bad = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        join(repoRoot, 'src/cli/main.ts'),
        'bootstrap',
        '--repo',
        fleet.git.repoUrl(repo),
        '--path',
        '../x',
      ],
      { encoding: 'utf8', cwd: repoRoot },
    );
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/--path "\.\.\/x"/);

    const first = bootstrap(values);
    expect(first.stderr).toBe('');
    expect(first.status).toBe(0);
    expect(first.stdout).toMatch(
      /^committed [0-9a-f]{12} to main: clusters\/hub\/gitfleet, clusters\/hub\/values.yaml$/m,
    );
    expect(first.stdout).toMatch(/^deployment gitfleet-system\/gitfleet-hub applied$/m);
    expect(first.stdout).not.toContain(fleet.git.info.admin.password);
    expect(gitShow(`${PATH}/gitfleet/Chart.yaml`)).toMatch(/^name: gitfleet$/m);
    expect(gitShow(`${PATH}/values.yaml`)).toMatch(/repoURL: .*fleet-infra/);
    const committed = head();

    // Idempotent: the same inputs again commit nothing and change nothing.
    const again = bootstrap(values);
    expect(again.status).toBe(0);
    expect(again.stdout).toContain('nothing committed');
    expect(head()).toBe(committed);

    const before = await hubDeployment();
    expect(before.metadata.annotations?.[OWNER_ANNOTATION]).toBe(`${FLEET_NAMESPACE}/gitfleet`);

    const port = (hubPort = await freePort());
    hub = startHubProcess({
      name: 'bootstrap-hub',
      logDir,
      kubeconfig: cluster.kubeconfig,
      namespace: FLEET_NAMESPACE,
      port,
      shardGroup: 'default',
      replicaId: 'bootstrap-hub',
    });
    const getApp = (name: string): Promise<Application | undefined> =>
      cluster.admin.getOrUndefined<Application>({
        apiVersion: API_VERSION,
        kind: 'Application',
        namespace: FLEET_NAMESPACE,
        name,
      });
    const alive = (): void => {
      if (!hub?.running) throw new FatalWaitError(`the hub exited:\n${hub?.tail()}`);
    };
    const synced = async (rev: string): Promise<Application | undefined> => {
      alive();
      const app = await getApp('gitfleet');
      if (
        app?.status?.sync?.status === 'Synced' &&
        app.status.sync.revision === rev &&
        app.status.health?.status === 'Healthy'
      )
        return app;
      // The status so far, for the timeout's message.
      throw new Error(
        JSON.stringify({
          sync: app?.status?.sync,
          health: app?.status?.health,
          conditions: app?.status?.conditions,
          phase: app?.status?.operationState?.phase,
          message: app?.status?.operationState?.message,
        }),
      );
    };
    const app = await waitFor(
      'the gitfleet Application Synced and Healthy at the bootstrap commit',
      () => synced(committed),
      {
        timeoutMs: 90_000,
      },
    );
    // Adopted where it stands: the hub's Deployment is the one bootstrap applied.
    const adopted = await hubDeployment();
    expect(adopted.metadata.uid).toBe(before.metadata.uid);
    expect(app.status?.resources?.some((r) => r.kind === 'Deployment' && r.name === 'gitfleet-hub')).toBe(
      true,
    );

    // A chart value changed in Git rolls the hub: a new pod template, observed by the Deployment.
    const changed = await fleet.git.commit(repo, {
      [`${PATH}/values.yaml`]: gitShow(`${PATH}/values.yaml`).replace('logLevel: info', 'logLevel: debug'),
    });
    await waitFor('the gitfleet Application Synced at the values commit', () => synced(changed), {
      timeoutMs: 90_000,
    });
    const rolled = await waitFor(
      'the hub Deployment rolled to the new pod template',
      async () => {
        const d = await hubDeployment();
        const s = d.status as { observedGeneration?: number; updatedReplicas?: number } | undefined;
        return logLevelOf(d) === 'debug' &&
          s?.observedGeneration === d.metadata.generation &&
          s?.updatedReplicas === 1
          ? d
          : undefined;
      },
      { timeoutMs: 60_000 },
    );
    expect(rolled.metadata.uid).toBe(before.metadata.uid);
    expect(rolled.metadata.generation).toBeGreaterThan(before.metadata.generation ?? 0);
  }, 300_000);

  it('installs agents from Git: the ApplicationSet makes one agent Application per labelled Cluster', async () => {
    const edge = uniqueName('edge');
    const { token } = await registerAgentCluster(cluster.admin, {
      name: edge,
      labels: { 'gitfleet.dev/agent-install': 'true' },
    });
    const app = await waitFor(
      `the Application gitfleet-agent-${edge}`,
      () =>
        cluster.admin.getOrUndefined<Application>({
          apiVersion: API_VERSION,
          kind: 'Application',
          namespace: FLEET_NAMESPACE,
          name: `gitfleet-agent-${edge}`,
        }),
      { timeoutMs: 60_000 },
    );
    expect(app.spec.destination).toEqual({ name: edge, namespace: FLEET_NAMESPACE });
    expect(app.spec.source.path).toBe(`${PATH}/gitfleet`);
    expect(app.spec.source.helm?.parameters).toEqual(
      expect.arrayContaining([
        { name: 'mode', value: 'agent' },
        { name: 'agent.cluster', value: edge },
        { name: 'agent.hubUrl', value: 'https://hub.example:8443' },
      ]),
    );
    expect(app.metadata.annotations?.['gitfleet.dev/self-management']).toBe('true');

    // The hub/agent version skew is bounded: an agent two minors away is refused by name, one
    // minor behind is served (the hub is 0.1.0).
    const poll = (version: string): Promise<Response> =>
      fetch(`http://127.0.0.1:${hubPort}/api/v1/agent/assignments?cluster=${edge}`, {
        headers: { authorization: `Bearer ${token}`, 'x-gitfleet-agent-version': version },
      });
    const far = await waitFor('the hub to answer the agent', async () => {
      const r = await poll('0.3.0');
      return r.status === 503 ? undefined : r;
    });
    expect(far.status).toBe(409);
    expect(await far.text()).toContain('agent version 0.3.0 is outside the supported skew with hub 0.1.0');
    expect((await poll('0.0.9')).status).toBe(200);
  }, 120_000);
});
