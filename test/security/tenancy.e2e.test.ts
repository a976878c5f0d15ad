// Tenant isolation (issue 13, item 3 and item 10): an Application may never make itself hub admin
// or touch the hub's state, the built-in `default` project is least-privilege, Projects say which
// namespaces may use them, and a Project that allows nothing costs no fetch. Real hub API, real
// clusters, real Git server.
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_VERSION, type Application } from '../../src/api/application.js';
import { FLEET_NAMESPACE } from '../../src/api/cluster.js';
import type { ApplicationSet } from '../../src/api/applicationset.js';
import { installCrds } from '../../src/cli/commands/install.js';
import { ApplicationController } from '../../src/controllers/application/controller.js';
import { registerCluster } from '../../src/controllers/cluster/register.js';
import { ClusterResolver } from '../../src/controllers/clusters.js';
import { issueUserToken } from '../../src/controllers/tokens.js';
import { GitSources } from '../../src/engine/source/index.js';
import { loadRbac, RBAC_CONFIGMAP } from '../../src/governance/rbac-loader.js';
import { startHubServer } from '../../src/hub/server.js';
import { KubeClient, loadConnection, type KubeObject } from '../../src/kube/index.js';
import {
  createNamespace,
  testFleet,
  uniqueName,
  type ClusterHandle,
  type TestFleet,
} from '../harness/context.js';
import { startControllers, type TestControllers } from '../harness/controllers.js';
import { freePort } from '../harness/ports.js';
import { toolPath } from '../harness/tools.js';
import { waitFor } from '../harness/wait.js';

const BOOTSTRAP = `tenancy-${randomBytes(8).toString('hex')}`;
const log = pino({ level: 'warn' });
let fleet: TestFleet;
let hub: ClusterHandle;
let remote: ClusterHandle;
let client: KubeClient;
let server: Awaited<ReturnType<typeof startHubServer>>;
let tenant: string;
let tenantControllers: TestControllers;
const stops: (() => void)[] = [];
const dir = mkdtempSync(join(tmpdir(), 'gitfleet-tenancy-'));

beforeAll(async () => {
  fleet = await testFleet();
  hub = fleet.clusters[0] as ClusterHandle;
  remote = fleet.clusters[1] as ClusterHandle;
  await installCrds(hub.admin);
  client = new KubeClient(await loadConnection({ file: hub.kubeconfig }));
  server = await startHubServer({
    port: 0,
    webhookSecrets: {},
    onPush: () => [],
    api: { client, tokens: [BOOTSTRAP] },
    log,
  });
  tenant = await createNamespace(hub.admin, 'tenant');
  await hub.admin.create({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'creds', namespace: tenant },
    stringData: { username: fleet.git.info.admin.username, password: fleet.git.info.admin.password },
  });
  tenantControllers = await startControllers({
    kubeconfig: hub.kubeconfig,
    namespace: tenant,
    cacheDir: join(dir, 'tenant-sources'),
    apps: true,
  });
});

afterAll(async () => {
  tenantControllers?.stop();
  for (const s of stops) s();
  await server?.close();
  client?.close();
  rmSync(dir, { recursive: true, force: true });
});

const whoami = (token: string): Promise<Response> =>
  fetch(`http://127.0.0.1:${server.port}/api/v1/whoami`, { headers: { Authorization: `Bearer ${token}` } });

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

/** A token Secret as an attacker writes it: right label, right fields, admin group, no hub signature. */
function lookAlikeToken(name: string, namespace: string, token: string): string {
  return [
    'apiVersion: v1',
    'kind: Secret',
    'metadata:',
    `  name: ${name}`,
    `  namespace: ${namespace}`,
    '  labels:',
    '    gitfleet.dev/secret-type: api-token',
    'stringData:',
    `  tokenHash: ${sha256(token)}`,
    '  user: mallory',
    '  groups: gitfleet:admins',
    '',
  ].join('\n');
}

async function repoWith(files: Record<string, string>): Promise<string> {
  const repo = uniqueName('tenancy');
  await fleet.git.createRepo(repo);
  await fleet.git.commit(repo, files);
  return fleet.git.repoUrl(repo);
}

async function createApp(namespace: string, name: string, spec: Record<string, unknown>): Promise<void> {
  await hub.admin.create({
    apiVersion: API_VERSION,
    kind: 'Application',
    metadata: { name, namespace },
    spec: { syncPolicy: { automated: { prune: true } }, ...spec },
  } as KubeObject);
}

const condition = (namespace: string, name: string, type: string): Promise<string> =>
  waitFor(
    `${namespace}/${name}: ${type}`,
    async () =>
      (
        await hub.admin.get<Application>({ apiVersion: API_VERSION, kind: 'Application', namespace, name })
      ).status?.conditions?.find((c) => c.type === type)?.message,
    { timeoutMs: 60_000 },
  );

const getSecret = (namespace: string, name: string): Promise<KubeObject | undefined> =>
  hub.admin.getOrUndefined({ apiVersion: 'v1', kind: 'Secret', namespace, name });

describe('tenant to hub admin', () => {
  it("refuses an Application's token Secret in the hub namespace, whatever the project allows, and no admin token results", async () => {
    // The harness's `default` project allows every destination and kind: only the protected rules stand.
    const token = `gfu_${randomBytes(32).toString('base64url')}`;
    const name = uniqueName('stolen-admin');
    const repoURL = await repoWith({ 'token.yaml': lookAlikeToken(name, FLEET_NAMESPACE, token) });
    await createApp(tenant, 'attack', {
      source: { repoURL, secretRef: { name: 'creds' } },
      destination: { namespace: tenant },
    });
    const refused = await condition(tenant, 'attack', 'ProjectViolation');
    expect(refused).toContain(
      `Secret/${FLEET_NAMESPACE}/${name}: core/Secret is protected (hub-namespace): objects in the hub's namespace ${FLEET_NAMESPACE} are never managed by an Application`,
    );
    expect(await getSecret(FLEET_NAMESPACE, name)).toBeUndefined();
    expect((await whoami(token)).status).toBe(401);

    // The same Secret aimed at the tenant's own namespace: refused as a token look-alike.
    const elsewhere = await repoWith({ 'token.yaml': lookAlikeToken(name, tenant, token) });
    await createApp(tenant, 'attack-elsewhere', {
      source: { repoURL: elsewhere, secretRef: { name: 'creds' } },
      destination: { namespace: tenant },
    });
    expect(await condition(tenant, 'attack-elsewhere', 'ProjectViolation')).toContain(
      `Secret/${tenant}/${name}: core/Secret is protected (gitfleet-secret)`,
    );
    expect(await getSecret(tenant, name)).toBeUndefined();

    // A destination in the hub's namespace is refused before anything is fetched.
    await createApp(tenant, 'attack-dest', {
      source: { repoURL: elsewhere, secretRef: { name: 'creds' } },
      destination: { namespace: FLEET_NAMESPACE },
    });
    expect(await condition(tenant, 'attack-dest', 'ProjectViolation')).toContain(
      `destination namespace ${FLEET_NAMESPACE} is protected (hub-namespace)`,
    );
  });

  it('refuses ClusterRoleBindings that grant or target gitfleet identities even where cluster-scoped kinds are allowed', async () => {
    const crb = (name: string, roleRef: string, subject: string): string =>
      [
        'apiVersion: rbac.authorization.k8s.io/v1',
        'kind: ClusterRoleBinding',
        `metadata: {name: ${name}}`,
        `roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: ${roleRef}}`,
        `subjects: [${subject}]`,
        '',
      ].join('\n');
    const a = uniqueName('crb');
    const repoURL = await repoWith({
      'grant.yaml': crb(
        a,
        'cluster-admin',
        `{kind: ServiceAccount, name: gitfleet, namespace: ${FLEET_NAMESPACE}}`,
      ),
      'group.yaml': crb(
        `${a}-g`,
        'view',
        '{kind: Group, name: "gitfleet:admins", apiGroup: rbac.authorization.k8s.io}',
      ),
    });
    await createApp(tenant, 'rbac-attack', {
      source: { repoURL, secretRef: { name: 'creds' } },
      destination: { namespace: tenant },
    });
    const refused = await condition(tenant, 'rbac-attack', 'ProjectViolation');
    expect(refused).toContain(
      `ClusterRoleBinding/${a}: rbac.authorization.k8s.io/ClusterRoleBinding is protected (gitfleet-rbac)`,
    );
    expect(refused).toContain(
      `ClusterRoleBinding/${a}-g: rbac.authorization.k8s.io/ClusterRoleBinding is protected (gitfleet-rbac)`,
    );
    expect(
      await hub.admin.getOrUndefined({
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        name: a,
      }),
    ).toBeUndefined();
  });

  it('accepts only tokens the hub signed: look-alikes and tampered copies are not identities', async () => {
    // However a look-alike got into gitfleet-system (an admin's mistake, an old release), it is no token.
    const token = `gfu_${randomBytes(32).toString('base64url')}`;
    const fake = uniqueName('fake-admin');
    await hub.admin.create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: fake,
        namespace: FLEET_NAMESPACE,
        labels: { 'gitfleet.dev/secret-type': 'api-token' },
      },
      stringData: { tokenHash: sha256(token), user: 'mallory', groups: 'gitfleet:admins' },
    });
    // A minted token works (the control: the watch is live) ...
    const minted = await issueUserToken(hub.admin, uniqueName('carol'), ['team-a']);
    await waitFor('minted token accepted', async () => (await whoami(minted.token)).status === 200, {
      timeoutMs: 30_000,
    });
    expect((await whoami(token)).status).toBe(401);
    // ... and its signature does not carry over to other groups.
    const stored = await hub.admin.get<KubeObject & { data: Record<string, string> }>({
      apiVersion: 'v1',
      kind: 'Secret',
      namespace: FLEET_NAMESPACE,
      name: minted.secret,
    });
    const escalated = uniqueName('escalated');
    await hub.admin.create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: escalated,
        namespace: FLEET_NAMESPACE,
        labels: { 'gitfleet.dev/secret-type': 'api-token' },
      },
      data: { ...stored.data, groups: Buffer.from('gitfleet:admins').toString('base64') },
    });
    await hub.admin.delete({
      apiVersion: 'v1',
      kind: 'Secret',
      namespace: FLEET_NAMESPACE,
      name: minted.secret,
    });
    await waitFor('deleted token refused', async () => (await whoami(minted.token)).status === 401, {
      timeoutMs: 30_000,
    });
    expect((await whoami(minted.token)).status).toBe(401);
    for (const n of [fake, escalated])
      await hub.admin.delete({ apiVersion: 'v1', kind: 'Secret', namespace: FLEET_NAMESPACE, name: n });
  });
});

describe('the built-in default project and sourceNamespaces', () => {
  // A controller namespace of this test's own: no `default` Project there, so the built-in applies.
  let hubNs: string;
  let team: string;
  let remoteNs: string;
  let requests = 0;
  let counter: Server;
  let counterUrl: string;

  beforeAll(async () => {
    hubNs = await createNamespace(hub.admin, 'tenancy-hub');
    team = await createNamespace(hub.admin, 'tenancy-team');
    remoteNs = uniqueName('tenancy-remote');
    await remote.admin.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: remoteNs } });
    await registerCluster(hub.admin, {
      name: 'remote',
      namespace: hubNs,
      connection: await loadConnection({ file: remote.kubeconfig }),
    });
    for (const ns of [hubNs, team])
      await hub.admin.create({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'creds', namespace: ns },
        stringData: { username: fleet.git.info.admin.username, password: fleet.git.info.admin.password },
      });
    const sources = new GitSources({ cacheDir: join(dir, 'builtin-sources'), fetchIntervalMs: 1000 });
    const clusters = new ClusterResolver(client, hubNs);
    for (const namespace of [hubNs, team]) {
      const c = new ApplicationController({
        client,
        clusters,
        namespace,
        controllerNamespace: hubNs,
        sources,
        pollIntervalMs: 2000,
        healthTimeoutMs: 30_000,
        renderOptions: { kustomizeBinary: toolPath('kustomize'), helmBinary: toolPath('helm') },
        log,
      });
      c.start();
      stops.push(() => c.stop());
    }
    // A Git URL that answers nothing but counts who asked: the proof of "no fetch".
    counter = createServer((req, res) => {
      requests++;
      res.writeHead(404).end();
      req.resume();
    });
    const port = await freePort();
    await new Promise<void>((r) => counter.listen(port, '127.0.0.1', r));
    counterUrl = `http://127.0.0.1:${port}/counted.git`;
    stops.push(() => counter.close());
  });

  it('refuses the hub cluster and cluster-scoped kinds, and admits a plain app on a registered cluster', async () => {
    const crb = uniqueName('plain-crb');
    const repoURL = await repoWith({
      'cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: plain}\ndata: {a: b}\n',
    });
    const clusterScoped = await repoWith({
      'crb.yaml': `apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: ${crb}}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}\nsubjects: [{kind: Group, name: someone, apiGroup: rbac.authorization.k8s.io}]\n`,
    });
    await createApp(hubNs, 'on-hub', {
      source: { repoURL, secretRef: { name: 'creds' } },
      destination: { namespace: team },
    });
    await createApp(hubNs, 'cluster-scoped', {
      source: { repoURL: clusterScoped, secretRef: { name: 'creds' } },
      destination: { name: 'remote', namespace: remoteNs },
    });
    await createApp(hubNs, 'plain', {
      source: { repoURL, secretRef: { name: 'creds' } },
      destination: { name: 'remote', namespace: remoteNs },
    });
    expect(await condition(hubNs, 'on-hub', 'ProjectViolation')).toBe(
      `destination in-cluster/${team} is not in project default's destinations`,
    );
    expect(await condition(hubNs, 'cluster-scoped', 'ProjectViolation')).toContain(
      `ClusterRoleBinding/${crb}: cluster-scoped rbac.authorization.k8s.io/ClusterRoleBinding is not in project default's clusterResourceWhitelist`,
    );
    await waitFor(
      'plain app applied on the registered cluster',
      () =>
        remote.admin.getOrUndefined({
          apiVersion: 'v1',
          kind: 'ConfigMap',
          namespace: remoteNs,
          name: 'plain',
        }),
      { timeoutMs: 60_000 },
    );
    expect(
      await remote.admin.getOrUndefined({
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        name: crb,
      }),
    ).toBeUndefined();
  });

  it('lets a namespace use a project only when the project lists it', async () => {
    const repoURL = await repoWith({
      'cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: borrowed}\ndata: {a: b}\n',
    });
    const project = uniqueName('team-x');
    await hub.admin.create({
      apiVersion: API_VERSION,
      kind: 'Project',
      metadata: { name: project, namespace: hubNs },
      spec: {
        sourceNamespaces: ['someone-else-*'],
        sourceRepos: ['*'],
        destinations: [{ cluster: 'remote', namespace: remoteNs }],
      },
    } as KubeObject);
    await createApp(team, 'borrows', {
      project,
      source: { repoURL, secretRef: { name: 'creds' } },
      destination: { name: 'remote', namespace: remoteNs },
    });
    await createApp(team, 'uses-default', {
      source: { repoURL, secretRef: { name: 'creds' } },
      destination: { name: 'remote', namespace: remoteNs },
    });
    expect(await condition(team, 'borrows', 'ProjectViolation')).toContain(
      `Applications in namespace ${team} may not use project ${project}: its sourceNamespaces do not include ${team}`,
    );
    expect(await condition(team, 'uses-default', 'ProjectViolation')).toContain(
      `Applications in namespace ${team} may not use project default`,
    );
    // Listed: the same Application goes through.
    await hub.admin.request({
      method: 'PATCH',
      path: `/apis/${API_VERSION}/namespaces/${hubNs}/projects/${project}`,
      body: { spec: { sourceNamespaces: [team] } },
      contentType: 'application/merge-patch+json',
    });
    await waitFor(
      'borrows applied once its namespace is listed',
      () =>
        remote.admin.getOrUndefined({
          apiVersion: 'v1',
          kind: 'ConfigMap',
          namespace: remoteNs,
          name: 'borrowed',
        }),
      { timeoutMs: 60_000 },
    );
  });

  it('checks the project before fetching: a project allowing no repository costs no request to Git', async () => {
    const none = uniqueName('nothing');
    const some = uniqueName('something');
    for (const [name, sourceRepos] of [
      [none, []],
      [some, ['*']],
    ] as const)
      await hub.admin.create({
        apiVersion: API_VERSION,
        kind: 'Project',
        metadata: { name, namespace: hubNs },
        spec: { sourceNamespaces: [team], sourceRepos, destinations: [{ cluster: '*', namespace: '*' }] },
      } as KubeObject);
    await createApp(team, 'fetches-nothing', {
      project: none,
      source: { repoURL: counterUrl, secretRef: { name: 'creds' } },
      destination: { name: 'remote', namespace: remoteNs },
    });
    expect(await condition(team, 'fetches-nothing', 'ProjectViolation')).toBe(
      `source ${counterUrl} is not in project ${none}'s sourceRepos`,
    );
    // Two more poll rounds: still nothing asked of the Git server.
    await new Promise((r) => setTimeout(r, 5000));
    expect(requests).toBe(0);
    // The control: a project that allows the URL does reach it (and fails there, it is no repo).
    await createApp(team, 'fetches', {
      project: some,
      source: { repoURL: counterUrl, secretRef: { name: 'creds' } },
      destination: { name: 'remote', namespace: remoteNs },
    });
    await condition(team, 'fetches', 'SourceFailed');
    expect(requests).toBeGreaterThan(0);
  });
});

describe('ApplicationSets in the hub API', () => {
  it('are listed only to callers whose role reaches their project, as Applications are', async () => {
    // A hub with a real RBAC policy of this test's own: group `<ns>-a` may read project team-a only.
    const rbacNs = await createNamespace(hub.admin, 'tenancy-rbac');
    const group = `${rbacNs}-a`;
    await hub.admin.create({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: RBAC_CONFIGMAP, namespace: rbacNs },
      data: {
        'policy.csv': `p, role:team-a, applicationsets, get, team-a/*, allow\ng, group:${group}, role:team-a\n`,
        'policy.default': '',
      },
    });
    const rbac = await loadRbac(client, { namespace: rbacNs, intervalMs: 60_000, log });
    stops.push(() => rbac.stop());
    const scoped = await startHubServer({
      port: 0,
      webhookSecrets: {},
      onPush: () => [],
      api: { client, tokens: [BOOTSTRAP], authorizer: rbac.authorizer },
      log,
    });
    stops.push(() => void scoped.close());
    // Made here, not reconciled: the list reads them from the API server.
    const mk = (name: string, project: string): ApplicationSet => ({
      apiVersion: API_VERSION,
      kind: 'ApplicationSet',
      metadata: { name, namespace: tenant },
      spec: {
        generators: [{ list: { elements: [] } }],
        template: {
          metadata: { name: `${name}-{{x}}` },
          spec: {
            project,
            source: { repoURL: 'https://git.example/x.git' },
            destination: { namespace: tenant },
          },
        },
      },
    });
    await hub.admin.create(mk('set-a', 'team-a'));
    await hub.admin.create(mk('set-b', 'team-b'));
    const token = (await issueUserToken(hub.admin, uniqueName('lister'), [group])).token;
    const call = (t: string, path: string): Promise<Response> =>
      fetch(`http://127.0.0.1:${scoped.port}${path}`, { headers: { Authorization: `Bearer ${t}` } });
    await waitFor('lister known', async () => (await call(token, '/api/v1/whoami')).status === 200, {
      timeoutMs: 30_000,
    });
    const names = async (t: string): Promise<string[]> => {
      const res = await call(t, '/api/v1/applicationsets');
      expect(res.status).toBe(200);
      const body = (await res.json()) as { items: { namespace: string; name: string }[] };
      return body.items.filter((s) => s.namespace === tenant).map((s) => s.name);
    };
    expect((await names(BOOTSTRAP)).sort()).toEqual(['set-a', 'set-b']);
    expect(await names(token)).toEqual(['set-a']);
    expect((await call(token, `/api/v1/applicationsets/${tenant}/set-b`)).status).toBe(403);
  });
});
