// Security regressions of the Git source stage, against the real fleet: a real Git server with
// Basic-auth users, real Application controllers (one per tenant namespace) sharing one set of
// mirrors, as on the hub.
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_VERSION, type Application } from '../../src/api/application.js';
import { FLEET_NAMESPACE } from '../../src/api/cluster.js';
import { installCrds } from '../../src/cli/commands/install.js';
import { ApplicationController } from '../../src/controllers/application/controller.js';
import { SourceError } from '../../src/engine/errors.js';
import { GitSources } from '../../src/engine/source/index.js';
import { KubeClient, loadConnection, type KubeObject } from '../../src/kube/index.js';
import {
  createNamespace,
  testFleet,
  uniqueName,
  type ClusterHandle,
  type TestFleet,
} from '../harness/context.js';
import { toolPath } from '../harness/tools.js';
import { waitFor } from '../harness/wait.js';

let fleet: TestFleet;
let hub: ClusterHandle;
let nsA: string;
let nsB: string;
let destA: string;
let destB: string;
let project: string;
let sources: GitSources;
const controllers: ApplicationController[] = [];
const logged: Record<string, unknown>[] = [];
const cacheDir = mkdtempSync(join(tmpdir(), 'gitfleet-security-source-'));
const tcpServers: Server[] = [];
const sockets: Socket[] = [];

/** How long the server's acceptance of a credential is trusted here (the production default is the poll interval). */
const ACCESS_TTL_MS = 2_000;

beforeAll(async () => {
  fleet = await testFleet();
  hub = fleet.clusters[0] as ClusterHandle;
  await installCrds(hub.admin);
  await hub.admin.apply(
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: FLEET_NAMESPACE } },
    { fieldManager: 'test' },
  );
  nsA = await createNamespace(hub.admin, 'tenant-a');
  nsB = await createNamespace(hub.admin, 'tenant-b');
  destA = await createNamespace(hub.admin, 'dest-a');
  destB = await createNamespace(hub.admin, 'dest-b');
  // A Project both tenants may use, allowing any repository: what keeps B out must be the Git
  // server's answer, not governance.
  project = uniqueName('src-sec');
  await hub.admin.create({
    apiVersion: API_VERSION,
    kind: 'Project',
    metadata: { name: project, namespace: FLEET_NAMESPACE },
    spec: {
      sourceNamespaces: [nsA, nsB],
      sourceRepos: ['*'],
      destinations: [
        { cluster: 'in-cluster', namespace: destA },
        { cluster: 'in-cluster', namespace: destB },
      ],
    },
  } as KubeObject);
  // One GitSources for both tenants, as in the hub. A long fetch interval: without the access
  // check, B would be served A's fresh mirror for a whole minute.
  sources = new GitSources({
    cacheDir,
    fetchIntervalMs: 60_000,
    accessTtlMs: ACCESS_TTL_MS,
    log: { warn: (o) => void logged.push(o) },
  });
  const client = new KubeClient(await loadConnection({ file: hub.kubeconfig }));
  for (const namespace of [nsA, nsB]) {
    const c = new ApplicationController({
      client,
      namespace,
      sources,
      pollIntervalMs: 1_500,
      healthTimeoutMs: 20_000,
      renderOptions: { kustomizeBinary: toolPath('kustomize'), helmBinary: toolPath('helm') },
      log: pino({ level: 'silent' }),
    });
    c.start();
    controllers.push(c);
  }
});

afterAll(async () => {
  for (const c of controllers) c.stop();
  for (const s of sockets) s.destroy();
  await Promise.all(tcpServers.map((s) => new Promise((r) => s.close(r))));
  rmSync(cacheDir, { recursive: true, force: true, maxRetries: 3 });
});

const getApp = (namespace: string, name: string): Promise<Application> =>
  hub.admin.get<Application>({ apiVersion: API_VERSION, kind: 'Application', namespace, name });

async function createApp(
  namespace: string,
  name: string,
  repoURL: string,
  dest: string,
  secret?: string,
): Promise<void> {
  await hub.admin.create({
    apiVersion: API_VERSION,
    kind: 'Application',
    metadata: { name, namespace },
    spec: {
      project,
      source: { repoURL, path: 'app', ...(secret ? { secretRef: { name: secret } } : {}) },
      destination: { namespace: dest },
      syncPolicy: { automated: {} },
    },
  } as KubeObject);
}

async function createSecret(
  namespace: string,
  name: string,
  username: string,
  password: string,
): Promise<void> {
  await hub.admin.create({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace },
    stringData: { username, password },
  } as KubeObject);
}

function sourceFailure(namespace: string, name: string): Promise<string> {
  return waitFor(
    `${namespace}/${name}: SourceFailed`,
    async () =>
      (await getApp(namespace, name)).status?.conditions?.find(
        (c) => c.type === 'SourceFailed' && c.status === 'True',
      )?.message,
    { timeoutMs: 30_000 },
  );
}

const configMap = (name: string, value: string): string =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  v: "${value}"\n`;

async function listen(onConnection?: (s: Socket) => void): Promise<number> {
  const srv = createServer((s) => {
    sockets.push(s);
    onConnection?.(s);
  });
  tcpServers.push(srv);
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const a = srv.address();
  return typeof a === 'object' && a ? a.port : 0;
}

describe('a shared mirror of a private repository', () => {
  it('is served to the tenant whose credentials the server accepts, never to another tenant without them', async () => {
    const repo = uniqueName('private');
    const url = await fleet.git.createRepo(repo);
    const sha = await fleet.git.commit(repo, { 'app/cm.yaml': configMap('private-data', 'a') });
    const user = uniqueName('reader');
    const password = `pw-${uniqueName('s')}-Q7`;
    fleet.git.setUser(user, password, 'read');
    const denied = uniqueName('denied');
    fleet.git.setUser(denied, 'denied-pw-123', 'none');
    await createSecret(nsA, 'creds', user, password);
    await createApp(nsA, 'owner', url, destA, 'creds');
    await waitFor(
      'tenant A synced',
      async () => (await getApp(nsA, 'owner')).status?.sync?.status === 'Synced',
      { timeoutMs: 60_000 },
    );
    expect((await getApp(nsA, 'owner')).status?.sync?.revision).toBe(sha);

    // Right after A's fetch (the mirror is fresh for a minute), tenant B asks for the same
    // repository: without credentials, with a wrong password, and as a user the server refuses.
    await createSecret(nsB, 'wrong', user, 'not-the-password');
    await createSecret(nsB, 'refused', denied, 'denied-pw-123');
    await createApp(nsB, 'anonymous', url, destB);
    await createApp(nsB, 'wrong', `${url.replace(/\.git$/, '')}/`, destB, 'wrong');
    await createApp(nsB, 'refused', url, destB, 'refused');
    for (const name of ['anonymous', 'wrong', 'refused']) {
      const message = await sourceFailure(nsB, name);
      expect(message, name).toMatch(/authentication failed for/);
      const app = await getApp(nsB, name);
      expect(app.status?.sync?.revision, name).toBeUndefined();
      expect(app.status?.resources ?? [], name).toEqual([]);
    }
    expect(
      await hub.admin.getOrUndefined({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        namespace: destB,
        name: 'private-data',
      }),
    ).toBeUndefined();
    // The engine API says the same to a direct caller, with the mirror right there on disk.
    for (const creds of [undefined, { username: user, password: 'nope' }]) {
      const err = await sources.resolve(url, sha, creds).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SourceError);
      expect((err as SourceError).code).toBe('source.AuthFailed');
    }
    // Tenant A was never disturbed by B's attempts.
    expect(
      (await getApp(nsA, 'owner')).status?.conditions?.find((c) => c.type === 'SourceFailed'),
    ).toBeUndefined();
  });

  it('stops serving a credential once the server revokes it', async () => {
    const repo = uniqueName('revoked');
    const url = await fleet.git.createRepo(repo);
    await fleet.git.commit(repo, { 'app/cm.yaml': configMap('revoked-data', '1') });
    const user = uniqueName('leaver');
    const password = `pw-${uniqueName('s')}-R8`;
    fleet.git.setUser(user, password, 'read');
    await createSecret(nsA, 'leaver-creds', user, password);
    await createApp(nsA, 'leaver', url, destA, 'leaver-creds');
    await waitFor('synced', async () => (await getApp(nsA, 'leaver')).status?.sync?.status === 'Synced', {
      timeoutMs: 60_000,
    });
    fleet.git.setUser(user, password, 'none');
    // Within the access TTL plus a poll the app is refused, although the mirror is fresh.
    const message = await sourceFailure(nsA, 'leaver');
    expect(message).toMatch(/authentication failed for .*HTTP 403/);
    const err = await sources.resolve(url, 'main', { username: user, password }).catch((e: unknown) => e);
    expect((err as SourceError).code).toBe('source.AuthFailed');
  });
});

describe('repository URLs cannot be used to scan the hub’s network', () => {
  it('reports a closed port, a non-HTTP service and a web page alike; details only in the log', async () => {
    const closed = await listen();
    await new Promise((r) => tcpServers.pop()?.close(r));
    const ssh = await listen((s) => s.end('SSH-2.0-OpenSSH_9.6\r\n'));
    const web = await listen((s) =>
      s.end(
        'HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello',
      ),
    );
    const targets = { closed, ssh, web };
    for (const [name, port] of Object.entries(targets))
      await createApp(nsB, `scan-${name}`, `http://127.0.0.1:${port}/repo.git`, destB);
    const messages: string[] = [];
    for (const [name, port] of Object.entries(targets)) {
      const message = await sourceFailure(nsB, `scan-${name}`);
      messages.push(message.replaceAll(String(port), 'PORT'));
    }
    expect(new Set(messages).size).toBe(1);
    expect(messages[0]).toMatch(/could not be reached, is not a Git repository, or has no branches/);
    expect(messages[0]).not.toMatch(/refused|SSH|HTTP\/0\.9|html|timed out/i);
    // The operator still sees what happened.
    expect(JSON.stringify(logged)).toMatch(/Connection refused|Failed to connect/i);
  });

  it('refuses the cloud metadata address outright', async () => {
    await createApp(nsB, 'metadata', 'http://169.254.169.254/latest/meta-data.git', destB);
    expect(await sourceFailure(nsB, 'metadata')).toMatch(
      /169\.254\.0\.0\/16, which gitfleet is configured not to contact/,
    );
  });
});

describe('a checkout made read-only', () => {
  it("changes nothing a tenant's symlink points at outside it, however deep the tree", async () => {
    // What a symlink could make the hub chmod: a file and a directory of its own, outside.
    const outside = mkdtempSync(join(tmpdir(), 'gitfleet-security-outside-'));
    const file = join(outside, 'kubeconfig');
    writeFileSync(file, 'secret', { mode: 0o644 });
    const dir = join(outside, 'state');
    mkdirSync(dir, { mode: 0o755 });
    const repo = uniqueName('links');
    const url = await fleet.git.createRepo(repo);
    const deep = Array.from({ length: 40 }, (_, i) => `d${i}`).join('/');
    const sha = await fleet.git.commit(repo, {
      'app/cm.yaml': configMap('links', 'a'),
      'app/to-file': { symlink: file },
      'app/to-dir': { symlink: dir },
      [`${deep}/to-file`]: { symlink: file },
      [`${deep}/cm.yaml`]: configMap('deep', 'b'),
    });
    const admin = { username: fleet.git.info.admin.username, password: fleet.git.info.admin.password };
    await sources.fetch(url, admin);
    const checkout = await sources.checkout(url, sha);
    expect(statSync(join(checkout, 'app/cm.yaml')).mode & 0o777).toBe(0o444);
    expect(statSync(join(checkout, deep, 'cm.yaml')).mode & 0o777).toBe(0o444);
    expect(statSync(join(checkout, deep)).mode & 0o777).toBe(0o555);
    expect(statSync(file).mode & 0o777).toBe(0o644);
    expect(statSync(dir).mode & 0o777).toBe(0o755);
    rmSync(outside, { recursive: true, force: true });
  });
});
