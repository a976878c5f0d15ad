import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_VERSION, REFRESH_ANNOTATION, type Application } from '../../src/api/application.js';
import { FLEET_NAMESPACE } from '../../src/api/cluster.js';
import type { PolicyResult, ProjectSpec } from '../../src/api/project.js';
import { installCrds } from '../../src/cli/commands/install.js';
import type { KubeObject } from '../../src/kube/index.js';
import {
  createNamespace,
  testFleet,
  uniqueName,
  type ClusterHandle,
  type TestFleet,
} from '../harness/context.js';
import { startControllers, type TestControllers } from '../harness/controllers.js';
import { repoRoot } from '../harness/tools.js';
import { waitFor } from '../harness/wait.js';

// Impersonation, sync windows and policy checks, each against a real API server with RBAC.

let fleet: TestFleet;
let hub: ClusterHandle;
let ns: string;
let controllers: TestControllers;
const dir = mkdtempSync(join(tmpdir(), 'gitfleet-governance-'));

beforeAll(async () => {
  fleet = await testFleet();
  hub = fleet.clusters[0] as ClusterHandle;
  await installCrds(hub.admin);
  await hub.admin.apply(
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: FLEET_NAMESPACE } },
    { fieldManager: 'test' },
  );
  ns = await createNamespace(hub.admin, 'governance');
  await hub.admin.create({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'creds', namespace: ns },
    stringData: { username: fleet.git.info.admin.username, password: fleet.git.info.admin.password },
  });
  controllers = await startControllers({
    kubeconfig: hub.kubeconfig,
    namespace: ns,
    cacheDir: join(dir, 'sources'),
    apps: true,
  });
});

afterAll(() => {
  controllers?.stop();
  rmSync(dir, { recursive: true, force: true });
});

type AppStatus = NonNullable<Application['status']> & {
  policy?: PolicyResult[];
  handledSyncRequest?: string;
};
const getApp = async (name: string): Promise<Application & { status?: AppStatus }> =>
  hub.admin.get<Application & { status?: AppStatus }>({
    apiVersion: API_VERSION,
    kind: 'Application',
    namespace: ns,
    name,
  });
const condition = (app: { status?: AppStatus }, type: string): string | undefined =>
  app.status?.conditions?.find((c) => c.type === type)?.message;
const configMap = (namespace: string, name: string): Promise<KubeObject | undefined> =>
  hub.admin.getOrUndefined({ apiVersion: 'v1', kind: 'ConfigMap', namespace, name });

/** A Project allowing this test's Git server everywhere, plus `extra`. */
async function project(extra: ProjectSpec): Promise<string> {
  const name = uniqueName('proj');
  await hub.admin.create({
    apiVersion: API_VERSION,
    kind: 'Project',
    metadata: { name, namespace: FLEET_NAMESPACE },
    spec: {
      sourceNamespaces: [ns],
      sourceRepos: [`${fleet.git.info.url}/*`],
      destinations: [{ namespace: '*' }],
      ...extra,
    },
  } as KubeObject);
  return name;
}

async function patchProject(name: string, spec: Partial<ProjectSpec>): Promise<void> {
  await hub.admin.request({
    method: 'PATCH',
    path: `/apis/${API_VERSION}/namespaces/${FLEET_NAMESPACE}/projects/${name}`,
    body: { spec },
    contentType: 'application/merge-patch+json',
  });
}

/** A repository with these files, and an automated Application of it in project `proj`. */
async function app(proj: string, destNs: string, files: Record<string, string>): Promise<string> {
  const repo = uniqueName('gov-repo');
  await fleet.git.createRepo(repo);
  await fleet.git.commit(repo, files);
  const name = uniqueName('app');
  await hub.admin.create({
    apiVersion: API_VERSION,
    kind: 'Application',
    metadata: { name, namespace: ns },
    spec: {
      project: proj,
      source: { repoURL: fleet.git.repoUrl(repo), secretRef: { name: 'creds' } },
      destination: { namespace: destNs },
      syncPolicy: { automated: {} },
    },
  } as KubeObject);
  return name;
}

async function requestSync(name: string): Promise<string> {
  const stamp = new Date().toISOString();
  await hub.admin.request({
    method: 'PATCH',
    path: `/apis/${API_VERSION}/namespaces/${ns}/applications/${name}`,
    body: { metadata: { annotations: { [REFRESH_ANNOTATION]: stamp } } },
    contentType: 'application/merge-patch+json',
  });
  return stamp;
}

const cmFile = (name: string): Record<string, string> => ({
  'cm.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata: {a: b}\n`,
});

describe('impersonation', () => {
  it("applies as the project's ServiceAccount: refused by RBAC, then allowed once a Role is bound", async () => {
    const destNs = await createNamespace(hub.admin, 'imp-dest');
    await hub.admin.create({
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'deployer', namespace: destNs },
    });
    const proj = await project({
      destinationServiceAccounts: [{ namespace: destNs, serviceAccount: 'deployer' }],
    });
    const name = await app(proj, destNs, cmFile('settings'));

    const failed = await waitFor(
      'sync refused by RBAC',
      async () => {
        const op = (await getApp(name)).status?.operationState;
        return op?.phase === 'Failed' ? op.message : undefined;
      },
      { timeoutMs: 30_000 },
    );
    expect(failed).toContain(`ConfigMap/${destNs}/settings:`);
    expect(failed).toContain('forbidden');
    expect(failed).toContain(`system:serviceaccount:${destNs}:deployer`);
    expect(await configMap(destNs, 'settings')).toBeUndefined();

    await hub.admin.create({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'deployer', namespace: destNs },
      rules: [
        {
          apiGroups: [''],
          resources: ['configmaps'],
          verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'],
        },
      ],
    });
    await hub.admin.create({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'deployer', namespace: destNs },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'deployer' },
      subjects: [{ kind: 'ServiceAccount', name: 'deployer', namespace: destNs }],
    });
    controllers.apps?.refresh(`${ns}/${name}`);
    await waitFor(
      'app Synced as the ServiceAccount',
      async () => (await getApp(name)).status?.sync?.status === 'Synced',
      {
        timeoutMs: 30_000,
      },
    );
    expect(await configMap(destNs, 'settings')).toBeDefined();
  });
});

describe('sync windows', () => {
  // Starts every minute and lasts an hour: active whenever the test runs.
  const alwaysDeny = (namespace: string, manualSync = false): ProjectSpec['syncWindows'] => [
    { kind: 'deny', schedule: '* * * * *', duration: '1h', namespaces: [namespace], manualSync },
  ];

  it('a deny window blocks auto-sync and a manual sync without override; manualSync lets the manual one through', async () => {
    const destNs = await createNamespace(hub.admin, 'win-dest');
    const proj = await project({ syncWindows: alwaysDeny(destNs) });
    const name = await app(proj, destNs, cmFile('frozen'));
    const auto = await waitFor(
      'automated sync blocked',
      async () => condition(await getApp(name), 'SyncWindowBlocked'),
      {
        timeoutMs: 30_000,
      },
    );
    expect(auto).toMatch(
      /^automated sync blocked: deny window #0 "\* \* \* \* \*" for 1h \(UTC\) is active and does not close within a year$/,
    );
    expect((await getApp(name)).status?.sync?.status).toBe('OutOfSync');
    expect(await configMap(destNs, 'frozen')).toBeUndefined();

    const stamp = await requestSync(name);
    const manual = await waitFor('manual sync refused', async () => {
      const a = await getApp(name);
      return a.status?.handledSyncRequest === stamp ? condition(a, 'SyncWindowBlocked') : undefined;
    });
    expect(manual).toContain('manual sync blocked: deny window #0');
    expect(manual).toContain('does not allow manual sync');
    expect(await configMap(destNs, 'frozen')).toBeUndefined();

    // The CLI shows the window, that it is active, and why this app waits.
    const cli = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', 'project', 'windows', proj, '--app', name, '-n', ns],
      {
        cwd: repoRoot,
        encoding: 'utf8',
        timeout: 60_000,
        env: { ...process.env, KUBECONFIG: hub.kubeconfig },
      },
    );
    expect(cli.stderr).toBe('');
    expect(cli.stdout).toMatch(
      /^0 +deny +\* \* \* \* \* +1h +UTC +ns:\S+ +blocked +yes +does not close within a year$/m,
    );
    expect(cli.stdout).toContain(`automated sync of ${ns}/${name}: blocked: deny window #0`);
    expect(cli.stdout).toContain(`manual sync of ${ns}/${name}: blocked: deny window #0`);
    const listed = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'project', 'list'], {
      cwd: repoRoot,
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, KUBECONFIG: hub.kubeconfig },
    });
    expect(listed.stdout).toMatch(new RegExp(`^${proj} +\\S+ +\\*/\\* +1 +0 +no$`, 'm'));
    // The built-in default is listed unless some test defined a Project named default.
    expect(listed.stdout).toMatch(/^default( \(built-in\))? /m);

    await patchProject(proj, { syncWindows: alwaysDeny(destNs, true) });
    const again = await requestSync(name);
    await waitFor('manual sync through the window', async () => {
      const a = await getApp(name);
      return a.status?.handledSyncRequest === again && a.status.sync?.status === 'Synced';
    });
    expect(await configMap(destNs, 'frozen')).toBeDefined();
    expect(condition(await getApp(name), 'SyncWindowBlocked')).toBeUndefined();
  });

  it('a deny window opening on a running sync stops it (syncOverrun is unit-tested in governance/windows)', async () => {
    // A PreSync Job no node can run keeps the operation Running (waiting for the hook's health).
    const stuckHook = {
      'hook.yaml': [
        'apiVersion: batch/v1',
        'kind: Job',
        'metadata: {name: wait, annotations: {gitfleet.dev/hook: PreSync}}',
        'spec:',
        '  template:',
        '    spec:',
        '      restartPolicy: Never',
        '      nodeSelector: {no-such-node: x}',
        '      containers: [{name: run, image: busybox}]',
        '',
      ].join('\n'),
      ...cmFile('after-hook'),
    };
    const stopNs = await createNamespace(hub.admin, 'win-stop');
    const stopProj = await project({});
    const stopped = await app(stopProj, stopNs, stuckHook);
    await waitFor(
      'sync running',
      async () => (await getApp(stopped)).status?.operationState?.phase === 'Running',
    );
    await patchProject(stopProj, { syncWindows: alwaysDeny(stopNs) });
    const op = await waitFor('the sync stopped', async () => {
      const o = (await getApp(stopped)).status?.operationState;
      return o?.phase === 'Failed' && o;
    });
    expect(op.message).toMatch(/^sync stopped: .*deny window #0.*has no syncOverrun/);
    // Then (next reconcile) the automated retry is itself blocked by the same window.
    expect(condition(await getApp(stopped), 'SyncWindowBlocked')).toMatch(/deny window #0/);
    expect(await configMap(stopNs, 'after-hook')).toBeUndefined();
  });

  it('with an allow window, waits for it to open and then syncs without being asked', async () => {
    const destNs = await createNamespace(hub.admin, 'win-allow');
    const now = new Date();
    // Opens at the start of the next minute, or of the one after when fewer than 40 s are left: the
    // app's first reconcile must see it closed, even on a loaded machine.
    const opens = new Date(
      Math.ceil((now.getTime() + (now.getUTCSeconds() > 20 ? 60_000 : 1)) / 60_000) * 60_000,
    );
    const proj = await project({
      syncWindows: [
        {
          kind: 'allow',
          schedule: `${opens.getUTCMinutes()} ${opens.getUTCHours()} * * *`,
          duration: '1h',
          namespaces: [destNs],
        },
      ],
    });
    const name = await app(proj, destNs, cmFile('later'));
    const blocked = await waitFor('blocked until the window opens', async () =>
      condition(await getApp(name), 'SyncWindowBlocked'),
    );
    expect(blocked).toContain(`no allow window is active; the next (allow window #0`);
    expect(blocked).toContain(`opens ${opens.toISOString()}`);
    expect(await configMap(destNs, 'later')).toBeUndefined();
    await waitFor(
      'synced once the window opened',
      async () => (await getApp(name)).status?.sync?.status === 'Synced',
      {
        timeoutMs: 150_000,
      },
    );
    expect(Date.now()).toBeGreaterThanOrEqual(opens.getTime());
    expect(await configMap(destNs, 'later')).toBeDefined();
  }, 240_000);
});

describe('policy checks', () => {
  it('an enforced violation names object and field and applies nothing; warnings apply with a condition', async () => {
    const destNs = await createNamespace(hub.admin, 'policy-dest');
    const proj = await project({
      policies: [
        { name: 'pinned-images', rule: 'disallowLatestTag' },
        {
          name: 'team-label',
          rule: "has(object.metadata.labels) && 'team' in object.metadata.labels",
          field: 'metadata.labels.team',
          message: 'every object needs a team label',
          mode: 'warn',
        },
      ],
    });
    const deployment = (image: string): string =>
      [
        'apiVersion: apps/v1',
        'kind: Deployment',
        'metadata: {name: web, labels: {team: a}}',
        'spec:',
        '  replicas: 0',
        '  selector: {matchLabels: {app: web}}',
        '  template:',
        '    metadata: {labels: {app: web}}',
        `    spec: {containers: [{name: web, image: "${image}"}]}`,
        '',
      ].join('\n');
    const repo = uniqueName('gov-repo');
    await fleet.git.createRepo(repo);
    await fleet.git.commit(repo, { ...cmFile('unlabelled'), 'deploy.yaml': deployment('nginx') });
    const name = uniqueName('app');
    await hub.admin.create({
      apiVersion: API_VERSION,
      kind: 'Application',
      metadata: { name, namespace: ns },
      spec: {
        project: proj,
        source: { repoURL: fleet.git.repoUrl(repo), secretRef: { name: 'creds' } },
        destination: { namespace: destNs },
        syncPolicy: { automated: {} },
      },
    } as KubeObject);

    const message = await waitFor(
      'PolicyViolation',
      async () => condition(await getApp(name), 'PolicyViolation'),
      {
        timeoutMs: 30_000,
      },
    );
    expect(message).toBe(
      `Deployment/${destNs}/web spec.template.spec.containers[0].image: container "web" image "nginx" has no tag; pin a version or digest (policy pinned-images)`,
    );
    const results = (await getApp(name)).status?.policy ?? [];
    expect(results).toContainEqual({
      policy: 'pinned-images',
      object: `Deployment/${destNs}/web`,
      field: 'spec.template.spec.containers[0].image',
      message: 'container "web" image "nginx" has no tag; pin a version or digest',
      mode: 'enforce',
    });
    expect(results).toContainEqual(
      expect.objectContaining({
        policy: 'team-label',
        object: `ConfigMap/${destNs}/unlabelled`,
        mode: 'warn',
      }),
    );
    expect(await configMap(destNs, 'unlabelled')).toBeUndefined();
    expect(
      await hub.admin.getOrUndefined({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        namespace: destNs,
        name: 'web',
      }),
    ).toBeUndefined();

    await fleet.git.commit(repo, { 'deploy.yaml': deployment('nginx:1.27') });
    controllers.apps?.refresh(`${ns}/${name}`);
    await waitFor(
      'Synced with only warnings',
      async () => (await getApp(name)).status?.sync?.status === 'Synced',
      {
        timeoutMs: 30_000,
      },
    );
    const after = await getApp(name);
    expect(condition(after, 'PolicyViolation')).toBeUndefined();
    expect(condition(after, 'PolicyWarning')).toBe(
      `ConfigMap/${destNs}/unlabelled metadata.labels.team: every object needs a team label (policy team-label)`,
    );
    expect(await configMap(destNs, 'unlabelled')).toBeDefined();
  });
});
