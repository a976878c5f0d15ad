import { execFile } from 'node:child_process';
import { generateKeyPairSync, sign } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_VERSION, SYNC_REQUESTED_BY_ANNOTATION, type Application } from '../../src/api/application.js';
import { FLEET_NAMESPACE } from '../../src/api/cluster.js';
import type { Project } from '../../src/api/project.js';
import { installCrds } from '../../src/cli/commands/install.js';
import { issueUserToken } from '../../src/controllers/tokens.js';
import { openAuditStore, type AuditRecord, type AuditStore } from '../../src/governance/audit/index.js';
import { OidcVerifier } from '../../src/governance/oidc.js';
import { loadRbac, RBAC_CONFIGMAP, type LoadedRbac } from '../../src/governance/rbac-loader.js';
import { startHubServer } from '../../src/hub/server.js';
import { KubeApiError } from '../../src/kube/errors.js';
import { KubeClient, loadConnection, type KubeObject } from '../../src/kube/index.js';
import { createNamespace, testFleet, uniqueName, type ClusterHandle } from '../harness/context.js';
import { repoRoot } from '../harness/tools.js';
import { waitFor } from '../harness/wait.js';

const run = promisify(execFile);
const log = pino({ level: 'warn' });
let hub: ClusterHandle;
let client: KubeClient;
let rbacNs: string;
let ns: string;
let project: string;
let rbac: LoadedRbac;
let store: AuditStore;
let server: Awaited<ReturnType<typeof startHubServer>>;
const tokens: Record<'viewer' | 'syncer' | 'teamp', string> = { viewer: '', syncer: '', teamp: '' };
const tokenSecrets: string[] = [];
const dir = mkdtempSync(join(tmpdir(), 'gitfleet-rbac-'));

// A local OIDC issuer: discovery and JWKS over node:http, ID tokens signed with node:crypto.
const idp = generateKeyPairSync('ec', { namedCurve: 'P-256' });
let issuerServer: Server;
let issuer = '';
const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');
function idToken(claims: Record<string, unknown>): string {
  const body = `${b64({ alg: 'ES256', kid: 'k1' })}.${b64({
    iss: issuer,
    aud: 'gitfleet',
    exp: Math.floor(Date.now() / 1000) + 300,
    ...claims,
  })}`;
  return `${body}.${sign('sha256', Buffer.from(body), { key: idp.privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
}

const policyCsv = (extra = ''): string => `
p, role:viewer, applications, get, *, allow
p, role:syncer, applications, sync, default/*, allow
p, role:syncer, applications, sync, default/*/protected, deny
p, role:syncer, audit, get, default/*, allow
g, group:viewers-GROUP, role:viewer
g, group:syncers-GROUP, role:syncer
g, group:syncers-GROUP, role:viewer
${extra}`;

const call = (who: keyof typeof tokens, method: 'GET' | 'POST', path: string): Promise<Response> =>
  fetch(`http://127.0.0.1:${server.port}${path}`, {
    method,
    headers: {
      Authorization: `Bearer ${tokens[who]}`,
      ...(method === 'POST' ? { 'Content-Type': 'application/json' } : {}),
    },
    ...(method === 'POST' ? { body: '{}' } : {}),
  });

async function writePolicy(csv: string): Promise<void> {
  await client.apply(
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: RBAC_CONFIGMAP, namespace: rbacNs },
      data: { 'policy.csv': csv.replaceAll('GROUP', rbacNs), 'policy.default': '' },
    },
    { fieldManager: 'rbac-test', force: true },
  );
  await rbac.reload();
}

beforeAll(async () => {
  const fleet = await testFleet();
  hub = fleet.clusters[0] as ClusterHandle;
  await installCrds(hub.admin);
  await hub.admin
    .create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: FLEET_NAMESPACE } })
    .catch((e: unknown) => {
      if (!(e instanceof KubeApiError && e.status === 409)) throw e;
    });
  client = new KubeClient(await loadConnection({ file: hub.kubeconfig }));
  // The policy and Projects live in a namespace of this test's own, so no other test sees them.
  rbacNs = await createNamespace(hub.admin, 'rbac-system');
  ns = await createNamespace(hub.admin, 'rbac-apps');
  project = uniqueName('team-p');
  await hub.admin.create({
    apiVersion: API_VERSION,
    kind: 'Project',
    metadata: { name: project, namespace: rbacNs },
    spec: {
      sourceNamespaces: [ns],
      sourceRepos: ['*'],
      destinations: [{ namespace: '*' }],
      roles: [
        {
          name: 'deployer',
          groups: [`${rbacNs}-ci`],
          policies: [
            `p, proj:${project}:deployer, applications, sync, ${project}/*, allow`,
            // Refused: a project role cannot reach outside its project.
            `p, proj:${project}:deployer, applications, sync, default/*, allow`,
          ],
        },
      ],
    },
  } as KubeObject);
  for (const [name, projectName] of [
    ['web', undefined],
    ['protected', undefined],
    ['team-app', project],
  ] as const) {
    await hub.admin.create({
      apiVersion: API_VERSION,
      kind: 'Application',
      metadata: { name, namespace: ns },
      spec: {
        ...(projectName ? { project: projectName } : {}),
        source: { repoURL: 'https://example.invalid/none.git' },
        destination: { namespace: ns },
      },
    } as KubeObject);
  }
  rbac = await loadRbac(client, { namespace: rbacNs, intervalMs: 60_000, log });
  await writePolicy(policyCsv());
  store = await openAuditStore(join(dir, 'audit'));
  const entry: Omit<AuditRecord, 'app' | 'project'> = {
    operation: 'auto-sync',
    trigger: 'automated',
    appNamespace: ns,
    cluster: 'in-cluster',
    namespace: ns,
    revision: 'a'.repeat(40),
    repoURL: 'r',
    result: 'Succeeded',
    message: 'ok',
    startedAt: new Date(),
    durationMs: 5,
    objects: [],
    unchanged: 0,
  };
  await store.record({ ...entry, app: 'web', project: 'default' });
  await store.record({ ...entry, app: 'team-app', project });
  issuerServer = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    if (req.url === '/.well-known/openid-configuration')
      res.end(JSON.stringify({ issuer, jwks_uri: `${issuer}/jwks` }));
    else
      res.end(
        JSON.stringify({ keys: [{ ...idp.publicKey.export({ format: 'jwk' }), kid: 'k1', use: 'sig' }] }),
      );
  });
  await new Promise<void>((r) => issuerServer.listen(0, '127.0.0.1', r));
  issuer = `http://127.0.0.1:${(issuerServer.address() as AddressInfo).port}`;
  server = await startHubServer({
    port: 0,
    webhookSecrets: {},
    onPush: () => [],
    api: {
      client,
      tokens: [],
      authorizer: rbac.authorizer,
      audit: store,
      externalTokens: new OidcVerifier({ issuer, clientId: 'gitfleet' }),
    },
    log,
  });
  const issue = async (user: string, group: string): Promise<string> => {
    const t = await issueUserToken(hub.admin, `${user}-${rbacNs}`, [group]);
    tokenSecrets.push(t.secret);
    return t.token;
  };
  tokens.viewer = await issue('viewer', `viewers-${rbacNs}`);
  tokens.syncer = await issue('syncer', `syncers-${rbacNs}`);
  tokens.teamp = await issue('teamp', `${rbacNs}-ci`);
  for (const who of Object.keys(tokens) as (keyof typeof tokens)[])
    await waitFor(
      `${who}'s token known to the hub`,
      async () => (await call(who, 'GET', '/api/v1/audit')).status !== 401,
      { timeoutMs: 20_000, intervalMs: 200 },
    );
});

afterAll(async () => {
  await server?.close();
  issuerServer?.close();
  rbac?.stop();
  await store?.close();
  client?.close();
  for (const name of tokenSecrets)
    await hub.admin
      .delete({ apiVersion: 'v1', kind: 'Secret', namespace: FLEET_NAMESPACE, name })
      .catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

const requestedBy = async (name: string): Promise<string | undefined> =>
  (await hub.admin.get<Application>({ apiVersion: API_VERSION, kind: 'Application', namespace: ns, name }))
    .metadata.annotations?.[SYNC_REQUESTED_BY_ANNOTATION];

describe('RBAC on the hub API', () => {
  it('lets a viewer read but answers 403 with the reason when it tries to sync', async () => {
    expect((await call('viewer', 'GET', `/api/v1/applications/${ns}/web`)).status).toBe(200);
    const res = await call('viewer', 'POST', `/api/v1/applications/${ns}/web/sync`);
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: string }).error).toBe(
      `user "viewer-${rbacNs}" may not sync applications ${ns}/web: no policy of role:viewer allows it`,
    );
    expect(await requestedBy('web')).toBeUndefined();
  });

  it('lets a syncer sync, except where a deny rule says no', async () => {
    expect((await call('syncer', 'POST', `/api/v1/applications/${ns}/web/sync`)).status).toBe(202);
    expect(await requestedBy('web')).toBe(`syncer-${rbacNs}`);
    const res = await call('syncer', 'POST', `/api/v1/applications/${ns}/protected/sync`);
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: string }).error).toContain(
      'denied by "p, role:syncer, applications, sync, default/*/protected, deny"',
    );
  });

  it('gives a project role its own project and nothing else', async () => {
    // The CRD schema must keep spec.roles, or the API server drops them silently.
    const stored = await hub.admin.get<Project>({
      apiVersion: API_VERSION,
      kind: 'Project',
      namespace: rbacNs,
      name: project,
    });
    expect(stored.spec.roles?.map((r) => r.name)).toEqual(['deployer']);
    expect((await call('teamp', 'POST', `/api/v1/applications/${ns}/team-app/sync`)).status).toBe(202);
    expect((await call('teamp', 'POST', `/api/v1/applications/${ns}/web/sync`)).status).toBe(403);
  });

  it('follows changes of the policy ConfigMap', async () => {
    await writePolicy(policyCsv(`g, group:viewers-GROUP, role:syncer`));
    expect((await call('viewer', 'POST', `/api/v1/applications/${ns}/web/sync`)).status).toBe(202);
    // A broken policy is not applied: the last good one stays in force.
    await writePolicy('p, role:viewer, applications');
    expect((await call('viewer', 'POST', `/api/v1/applications/${ns}/web/sync`)).status).toBe(202);
    await writePolicy(policyCsv());
    expect((await call('viewer', 'POST', `/api/v1/applications/${ns}/web/sync`)).status).toBe(403);
  });

  it('follows an edit of the ConfigMap by its watch, with no reload asked and no poll due', async () => {
    await client.apply(
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: RBAC_CONFIGMAP, namespace: rbacNs },
        data: {
          'policy.csv': policyCsv(`g, group:viewers-GROUP, role:syncer`).replaceAll('GROUP', rbacNs),
          'policy.default': '',
        },
      },
      { fieldManager: 'rbac-test', force: true },
    );
    // The loader polls every 60 s here: only the watch can apply this within the wait.
    await waitFor(
      'the edited policy in force',
      async () => (await call('viewer', 'POST', `/api/v1/applications/${ns}/web/sync`)).status === 202,
      { timeoutMs: 15_000, intervalMs: 200 },
    );
    await writePolicy(policyCsv());
    expect((await call('viewer', 'POST', `/api/v1/applications/${ns}/web/sync`)).status).toBe(403);
  });

  it('shows each user only the audit entries of projects it may read', async () => {
    const seen = async (who: keyof typeof tokens): Promise<number | string[]> => {
      const res = await call(who, 'GET', '/api/v1/audit?limit=100');
      if (res.status !== 200) return res.status;
      return ((await res.json()) as { items: { app: string; appNamespace: string }[] }).items
        .filter((e) => e.appNamespace === ns)
        .map((e) => e.app);
    };
    expect(await seen('syncer')).toEqual(['web']);
    expect(await seen('viewer')).toBe(403);
  });

  it('has gitfleet audit say why it was refused', async () => {
    const out = await run(
      'npx',
      ['tsx', 'src/cli/main.ts', 'audit', '--hub', `http://127.0.0.1:${server.port}`],
      {
        cwd: repoRoot,
        env: { ...process.env, GITFLEET_TOKEN: tokens.viewer },
      },
    ).then(
      () => ({ code: 0, stderr: '' }),
      (e: { code: number; stderr: string }) => ({ code: e.code, stderr: e.stderr }),
    );
    expect(out.code).toBe(1);
    expect(out.stderr).toContain(
      `forbidden: user "viewer-${rbacNs}" may not get audit: no policy of role:viewer allows it`,
    );
  });

  it('logs in an OIDC user by ID token, with the groups the issuer gave', async () => {
    const post = (token: string): Promise<Response> =>
      fetch(`http://127.0.0.1:${server.port}/api/v1/applications/${ns}/web/sync`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        body: '{}',
      });
    const email = `dana-${rbacNs}@example.com`;
    const dana = { sub: 'dana', email, email_verified: true, groups: [`syncers-${rbacNs}`] };
    expect((await post(idToken(dana))).status).toBe(202);
    expect(await requestedBy('web')).toBe(email);
    // An email the issuer did not verify is no identity: the user is its sub.
    expect((await post(idToken({ ...dana, email_verified: false }))).status).toBe(202);
    expect(await requestedBy('web')).toBe('dana');
    // A user or a group named like a role or like the syncers' group gets nothing of theirs.
    for (const claims of [
      { sub: 'role:admin', groups: [] },
      { sub: 'mallory', groups: ['role:admin', 'role:syncer'] },
      { sub: 'mallory', preferred_username: `syncers-${rbacNs}`, groups: [] },
      { sub: `syncers-${rbacNs}`, groups: [] },
    ])
      expect((await post(idToken(claims))).status, JSON.stringify(claims)).toBe(403);
    const viewer = await post(idToken({ sub: 'erin', groups: [`viewers-${rbacNs}`] }));
    expect(viewer.status).toBe(403);
    expect(((await viewer.json()) as { error: string }).error).toContain('user "erin" may not sync');
    // Signed by the issuer but for another client: not a login.
    expect(
      (await post(idToken({ sub: 'dana', email, aud: 'other-app', groups: [`syncers-${rbacNs}`] }))).status,
    ).toBe(401);
  });
});
