import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_VERSION, type Application } from '../../src/api/application.js';
import { FLEET_NAMESPACE } from '../../src/api/cluster.js';
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
import { waitFor } from '../harness/wait.js';

let fleet: TestFleet;
let hub: ClusterHandle;
let ns: string;
let controllers: TestControllers;
const dir = mkdtempSync(join(tmpdir(), 'gitfleet-projects-'));

beforeAll(async () => {
  fleet = await testFleet();
  hub = fleet.clusters[0] as ClusterHandle;
  await installCrds(hub.admin);
  await hub.admin.apply(
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: FLEET_NAMESPACE } },
    { fieldManager: 'test' },
  );
  ns = await createNamespace(hub.admin, 'projects');
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

const getApp = (name: string): Promise<Application> =>
  hub.admin.get<Application>({ apiVersion: API_VERSION, kind: 'Application', namespace: ns, name });
const violation = async (name: string): Promise<string> =>
  waitFor(
    `${name}: ProjectViolation`,
    async () => (await getApp(name)).status?.conditions?.find((c) => c.type === 'ProjectViolation')?.message,
    { timeoutMs: 30_000 },
  );

describe('projects', () => {
  it('refuse kinds, destinations and projects they do not allow, and apply nothing', async () => {
    const project = uniqueName('team');
    const destNs = await createNamespace(hub.admin, 'team-dest');
    await hub.admin.create({
      apiVersion: API_VERSION,
      kind: 'Project',
      metadata: { name: project, namespace: FLEET_NAMESPACE },
      spec: {
        sourceNamespaces: [ns],
        sourceRepos: [`${fleet.git.info.url}/*`],
        destinations: [{ cluster: 'in-cluster', namespace: destNs }],
        namespaceResourceBlacklist: [{ group: '', kind: 'Secret' }],
      },
    } as KubeObject);
    const repo = uniqueName('team-repo');
    await fleet.git.createRepo(repo);
    await fleet.git.commit(repo, {
      'cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: allowed\ndata: {a: b}\n',
      'secret.yaml': 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: denied\nstringData: {k: v}\n',
    });
    await hub.admin.create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'creds', namespace: ns },
      stringData: { username: fleet.git.info.admin.username, password: fleet.git.info.admin.password },
    });
    const app = async (name: string, spec: Record<string, unknown>): Promise<void> => {
      await hub.admin.create({
        apiVersion: API_VERSION,
        kind: 'Application',
        metadata: { name, namespace: ns },
        spec,
      } as KubeObject);
    };
    const source = { repoURL: fleet.git.repoUrl(repo), secretRef: { name: 'creds' } };
    await app('secrets', {
      project,
      source,
      destination: { namespace: destNs },
      syncPolicy: { automated: {} },
    });
    expect(await violation('secrets')).toContain(
      `Secret/${destNs}/denied: core/Secret is in project ${project}'s namespaceResourceBlacklist`,
    );
    expect(
      await hub.admin.getOrUndefined({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        namespace: destNs,
        name: 'allowed',
      }),
    ).toBeUndefined();

    await app('elsewhere', {
      project,
      source,
      destination: { namespace: 'kube-system' },
      syncPolicy: { automated: {} },
    });
    expect(await violation('elsewhere')).toContain(
      `destination in-cluster/kube-system is not in project ${project}'s destinations`,
    );
    await app('orphan', {
      project: 'no-such-project',
      source,
      destination: { namespace: destNs },
      syncPolicy: { automated: {} },
    });
    expect(await violation('orphan')).toContain('project no-such-project does not exist');

    // Once Git complies, the same Application syncs.
    await fleet.git.commit(repo, { 'secret.yaml': null });
    controllers.apps?.refresh(`${ns}/secrets`);
    await waitFor(
      'secrets app Synced',
      async () => (await getApp('secrets')).status?.sync?.status === 'Synced',
      { timeoutMs: 30_000 },
    );
    expect(
      await hub.admin.getOrUndefined({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        namespace: destNs,
        name: 'allowed',
      }),
    ).toBeDefined();
    expect((await getApp('secrets')).status?.conditions?.some((c) => c.type === 'ProjectViolation')).toBe(
      false,
    );
  });

  it("refuse another team's namespace, a forbidden kind and an unlisted repository, applying nothing", async () => {
    const project = uniqueName('team-a');
    const mine = await createNamespace(hub.admin, 'team-a');
    const theirs = await createNamespace(hub.admin, 'team-b');
    const allowedRepo = uniqueName('team-a-repo');
    const otherRepo = uniqueName('team-b-repo');
    await hub.admin.create({
      apiVersion: API_VERSION,
      kind: 'Project',
      metadata: { name: project, namespace: FLEET_NAMESPACE },
      spec: {
        sourceNamespaces: [ns],
        sourceRepos: [`${fleet.git.info.url}/${allowedRepo}*`],
        destinations: [{ cluster: 'in-cluster', namespace: mine }],
        clusterResourceWhitelist: [{ group: '*', kind: '*' }],
        clusterResourceBlacklist: [{ group: 'rbac.authorization.k8s.io', kind: 'ClusterRole*' }],
        namespaceResourceWhitelist: [{ group: '', kind: 'ConfigMap' }],
      },
    } as KubeObject);
    await hub.admin.create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'creds-a', namespace: ns },
      stringData: { username: fleet.git.info.admin.username, password: fleet.git.info.admin.password },
    });
    const cm = (name: string, namespace?: string): string =>
      `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n${namespace ? `  namespace: ${namespace}\n` : ''}data: {a: b}\n`;
    for (const repo of [allowedRepo, otherRepo]) await fleet.git.createRepo(repo);
    await fleet.git.commit(allowedRepo, {
      'cm.yaml': cm('mine'),
      'theirs.yaml': cm('intruder', theirs),
      'role.yaml':
        'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: escalate\nrules: []\n',
      'sa.yaml': 'apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: robot\n',
    });
    await fleet.git.commit(otherRepo, { 'cm.yaml': cm('borrowed') });
    const create = async (name: string, repo: string): Promise<void> => {
      await hub.admin.create({
        apiVersion: API_VERSION,
        kind: 'Application',
        metadata: { name, namespace: ns },
        spec: {
          project,
          source: { repoURL: fleet.git.repoUrl(repo), secretRef: { name: 'creds-a' } },
          destination: { namespace: mine },
          syncPolicy: { automated: {} },
        },
      } as KubeObject);
    };
    await create('team-a-app', allowedRepo);
    await create('team-a-borrows', otherRepo);

    const app = await violation('team-a-app');
    expect(app).toContain(
      `ConfigMap/${theirs}/intruder: namespace ${theirs} is not in project ${project}'s destinations`,
    );
    expect(app).toContain(
      `ClusterRole/escalate: cluster-scoped rbac.authorization.k8s.io/ClusterRole is in project ${project}'s clusterResourceBlacklist`,
    );
    expect(app).toContain(
      `ServiceAccount/${mine}/robot: core/ServiceAccount is not in project ${project}'s namespaceResourceWhitelist`,
    );
    expect(await violation('team-a-borrows')).toBe(
      `source ${fleet.git.repoUrl(otherRepo)} is not in project ${project}'s sourceRepos`,
    );
    // Nothing of either app reached the cluster, not even the objects that were allowed.
    for (const [namespace, name] of [
      [mine, 'mine'],
      [theirs, 'intruder'],
      [mine, 'borrowed'],
    ] as const)
      expect(
        await hub.admin.getOrUndefined({ apiVersion: 'v1', kind: 'ConfigMap', namespace, name }),
      ).toBeUndefined();
    expect(
      await hub.admin.getOrUndefined({
        apiVersion: 'v1',
        kind: 'ServiceAccount',
        namespace: mine,
        name: 'robot',
      }),
    ).toBeUndefined();
    expect(
      await hub.admin.getOrUndefined({
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        name: 'escalate',
      }),
    ).toBeUndefined();
  });
});
