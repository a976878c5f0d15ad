// Git over SSH and credential templates (issue 21), as an Argo CD user would set them up: a real
// OpenSSH server (test/harness/ssh-server.ts) serving the harness's repositories, keys in Secrets,
// the hub's known hosts in ConfigMap gitfleet-ssh-known-hosts, and a repo-creds template in the
// hub's namespace; a real Application controller syncing into the harness cluster.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_VERSION, type Application } from '../../src/api/application.js';
import { FLEET_NAMESPACE } from '../../src/api/cluster.js';
import { installCrds } from '../../src/cli/commands/install.js';
import { ApplicationController } from '../../src/controllers/application/controller.js';
import { ClusterResolver } from '../../src/controllers/clusters.js';
import {
  KNOWN_HOSTS_CONFIGMAP,
  KNOWN_HOSTS_KEY,
  REPOSITORY_SECRET_LABEL,
} from '../../src/controllers/credentials.js';
import { GitSources } from '../../src/engine/source/index.js';
import { KubeClient, loadConnection, type KubeObject } from '../../src/kube/index.js';
import {
  createNamespace,
  testFleet,
  uniqueName,
  type ClusterHandle,
  type TestFleet,
} from '../harness/context.js';
import { generateKeyPair, startSshServer, type SshKeyPair, type SshServer } from '../harness/ssh-server.js';
import { toolPath } from '../harness/tools.js';
import { waitFor } from '../harness/wait.js';

let fleet: TestFleet;
let hub: ClusterHandle;
/** The controller's namespace: Project, known hosts and the credential template live here. */
let hubNs: string;
let appNs: string;
let destNs: string;
let project: string;
let one: SshServer;
let two: SshServer;
let good: SshKeyPair;
let bad: SshKeyPair;
let team: string;
let controller: ApplicationController | undefined;
let client: KubeClient | undefined;
const runDir = mkdtempSync(join(tmpdir(), 'gitfleet-argo-ssh-'));

const configMap = (name: string): string =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  from: ssh\n`;

beforeAll(async () => {
  fleet = await testFleet();
  hub = fleet.clusters[0] as ClusterHandle;
  await installCrds(hub.admin);
  hubNs = await createNamespace(hub.admin, 'ssh-hub');
  appNs = await createNamespace(hub.admin, 'ssh-apps');
  destNs = await createNamespace(hub.admin, 'ssh-dest');
  project = uniqueName('ssh');
  await hub.admin.create({
    apiVersion: API_VERSION,
    kind: 'Project',
    metadata: { name: project, namespace: hubNs },
    spec: {
      sourceNamespaces: [appNs],
      sourceRepos: ['*'],
      destinations: [{ cluster: 'in-cluster', namespace: destNs }],
    },
  } as KubeObject);
  // Two repositories under one prefix, served over HTTP by the harness (to push) and over SSH.
  team = uniqueName('team');
  for (const repo of ['a', 'b', 'c']) await fleet.git.createRepo(`${team}/${repo}`);
  await fleet.git.commit(`${team}/a`, {
    'good/cm.yaml': configMap('ssh-good'),
    'wrong/cm.yaml': configMap('ssh-wrong'),
    'hostkey/cm.yaml': configMap('ssh-hostkey'),
    'template/cm.yaml': configMap('ssh-template-a'),
  });
  await fleet.git.commit(`${team}/b`, {
    'template/cm.yaml': configMap('ssh-template-b'),
    'own/cm.yaml': configMap('ssh-template-own'),
  });
  await fleet.git.commit(`${team}/c`, { 'template/cm.yaml': configMap('ssh-template-c') });
  [one, two] = await Promise.all([
    startSshServer({ root: fleet.git.info.root, runDir, name: 'sshd-one' }),
    startSshServer({ root: fleet.git.info.root, runDir, name: 'sshd-two' }),
  ]);
  [good, bad] = await Promise.all([generateKeyPair(runDir, 'good'), generateKeyPair(runDir, 'bad')]);
  one.authorize(good.publicKey);
  two.authorize(good.publicKey);
  await setKnownHosts(`${one.knownHostsLine}\n`);

  client = new KubeClient(await loadConnection({ file: hub.kubeconfig }));
  controller = new ApplicationController({
    client,
    namespace: appNs,
    controllerNamespace: hubNs,
    clusters: new ClusterResolver(client, FLEET_NAMESPACE),
    sources: new GitSources({ cacheDir: join(runDir, 'cache'), fetchIntervalMs: 1_000, timeoutMs: 30_000 }),
    pollIntervalMs: 1_500,
    healthTimeoutMs: 20_000,
    renderOptions: { kustomizeBinary: toolPath('kustomize'), helmBinary: toolPath('helm') },
    log: pino({ level: 'silent' }),
  });
  controller.start();
});

afterAll(async () => {
  controller?.stop();
  client?.close();
  await Promise.all([one?.stop(), two?.stop()]);
  rmSync(runDir, { recursive: true, force: true, maxRetries: 3 });
});

async function setKnownHosts(text: string): Promise<void> {
  await hub.admin.apply(
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: KNOWN_HOSTS_CONFIGMAP, namespace: hubNs },
      data: { [KNOWN_HOSTS_KEY]: text },
    } as KubeObject,
    { fieldManager: 'test', force: true },
  );
}

async function keySecret(
  namespace: string,
  name: string,
  key: SshKeyPair,
  opts: { labels?: Record<string, string>; url?: string } = {},
): Promise<void> {
  await hub.admin.create({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace, ...(opts.labels ? { labels: opts.labels } : {}) },
    stringData: { sshPrivateKey: key.privateKey, ...(opts.url ? { url: opts.url } : {}) },
  } as KubeObject);
}

async function createApp(name: string, repoURL: string, path: string, secret?: string): Promise<void> {
  await hub.admin.create({
    apiVersion: API_VERSION,
    kind: 'Application',
    metadata: { name, namespace: appNs },
    spec: {
      project,
      source: { repoURL, path, ...(secret ? { secretRef: { name: secret } } : {}) },
      destination: { namespace: destNs },
      syncPolicy: { automated: {} },
    },
  } as KubeObject);
}

const getApp = (name: string): Promise<Application> =>
  hub.admin.get<Application>({ apiVersion: API_VERSION, kind: 'Application', namespace: appNs, name });

const liveConfigMap = (name: string): Promise<KubeObject | undefined> =>
  hub.admin.getOrUndefined({ apiVersion: 'v1', kind: 'ConfigMap', namespace: destNs, name });

function sourceFailure(name: string, matching: RegExp): Promise<string> {
  return waitFor(
    `${name}: SourceFailed ${matching}`,
    async () => {
      const message = (await getApp(name)).status?.conditions?.find(
        (c) => c.type === 'SourceFailed' && c.status === 'True',
      )?.message;
      return message && matching.test(message) ? message : undefined;
    },
    { timeoutMs: 60_000 },
  );
}

async function synced(name: string, object: string): Promise<void> {
  await waitFor(`${name} Synced`, async () => (await getApp(name)).status?.sync?.status === 'Synced', {
    timeoutMs: 90_000,
  });
  expect(await liveConfigMap(object), object).toBeDefined();
}

describe('Git over SSH', () => {
  it('syncs an Application from ssh:// with the right key and a known host key', async () => {
    await keySecret(appNs, 'ssh-good', good);
    await createApp('ssh-good', one.repoUrl(`${team}/a`), 'good', 'ssh-good');
    await synced('ssh-good', 'ssh-good');
    expect((await getApp('ssh-good')).status?.sync?.revision).toMatch(/^[0-9a-f]{40}$/);
  });

  it('refuses a key the server does not accept: a clear auth error, nothing applied', async () => {
    await keySecret(appNs, 'ssh-wrong', bad);
    await createApp('ssh-wrong', one.repoUrl(`${team}/a`), 'wrong', 'ssh-wrong');
    const message = await sourceFailure('ssh-wrong', /authentication failed/);
    expect(message).not.toContain('PRIVATE KEY');
    const app = await getApp('ssh-wrong');
    expect(app.status?.sync?.revision).toBeUndefined();
    expect(await liveConfigMap('ssh-wrong')).toBeUndefined();
  });

  it('refuses a host whose key is unknown, then one whose key changed, naming the known hosts', async () => {
    await createApp('ssh-hostkey', two.repoUrl(`${team}/a`), 'hostkey', 'ssh-good');
    const unknown = await sourceFailure('ssh-hostkey', /no host key for/);
    expect(unknown).toContain(`[127.0.0.1]:${two.port}`);
    expect(unknown).toContain(`ConfigMap ${hubNs}/${KNOWN_HOSTS_CONFIGMAP}`);
    expect(unknown).toContain('never trusted on first use');
    // The known hosts now list server one's key under server two's address: to ssh, the key changed.
    await setKnownHosts(`${one.knownHostsLine}\n[127.0.0.1]:${two.port} ${one.hostPublicKey}\n`);
    await sourceFailure('ssh-hostkey', /does not match/);
    expect((await getApp('ssh-hostkey')).status?.sync?.revision).toBeUndefined();
    expect(await liveConfigMap('ssh-hostkey')).toBeUndefined();
    // With the right key listed, the same Application syncs: the refusals were the host key's.
    await setKnownHosts(`${one.knownHostsLine}\n${two.knownHostsLine}\n`);
    await synced('ssh-hostkey', 'ssh-hostkey');
  });
});

describe('credential templates (repo-creds)', () => {
  it('serve every repository under their URL prefix to Applications without a secretRef', async () => {
    await keySecret(hubNs, uniqueName('repo-creds'), good, {
      labels: { [REPOSITORY_SECRET_LABEL]: 'repo-creds' },
      url: `ssh://${one.user}@127.0.0.1:${one.port}/${team}`,
    });
    await createApp('tmpl-a', one.repoUrl(`${team}/a`), 'template');
    await createApp('tmpl-b', one.repoUrl(`${team}/b`), 'template');
    await synced('tmpl-a', 'ssh-template-a');
    await synced('tmpl-b', 'ssh-template-b');
  });

  it("rank below the Application's own secretRef, and the longest prefix wins", async () => {
    // Under the good template, but naming the refused key itself: its own Secret is what is used.
    await createApp('tmpl-own', one.repoUrl(`${team}/b`), 'own', 'ssh-wrong');
    await sourceFailure('tmpl-own', /authentication failed/);
    expect(await liveConfigMap('ssh-template-own')).toBeUndefined();
    // A longer prefix for repository c holds the refused key: it wins over the shorter, good one.
    await keySecret(hubNs, uniqueName('repo-creds-c'), bad, {
      labels: { [REPOSITORY_SECRET_LABEL]: 'repo-creds' },
      url: `ssh://${one.user}@127.0.0.1:${one.port}/${team}/c`,
    });
    await createApp('tmpl-c', one.repoUrl(`${team}/c`), 'template');
    await sourceFailure('tmpl-c', /authentication failed/);
    expect(await liveConfigMap('ssh-template-c')).toBeUndefined();
  });
});
