import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_VERSION, type Application } from '../../src/api/application.js';
import { FLEET_NAMESPACE } from '../../src/api/cluster.js';
import { installCrds } from '../../src/cli/commands/install.js';
import { openAuditStore, type AuditStore } from '../../src/governance/audit/index.js';
import { startHub, type RunningHub } from '../../src/hub/start.js';
import { KubeClient, loadConnection, type KubeObject } from '../../src/kube/index.js';
import { createNamespace, testFleet, uniqueName, type ClusterHandle } from '../harness/context.js';
import { toolPath } from '../harness/tools.js';
import { waitFor } from '../harness/wait.js';

// Issue 17's leak check over the whole hub, as `gitfleet controller` runs it: the Application
// controller, the HTTP API and the audit store (SQLite, the default). A SOPS Secret is synced,
// changed by a second commit, and edited by hand in the cluster (so a diff exists); then the
// plaintext (raw and base64) is looked for in every API answer about the app, the audit DB
// files, the log, events, status, metrics and every file the hub wrote.

const PLAINTEXT = 'c0rrect-h0rse-leak-e2e-41';
const PLAINTEXT2 = 'battery-stap1e-leak-e2e-42';
const HAND = 'hand-edited-leak-e2e-43';
const TOKEN = 'secrets-leak-token';

let hub: RunningHub;
let client: KubeClient;
let store: AuditStore;
let cluster: ClusterHandle;
let dir: string;
const logLines: string[] = [];
let appNs: string;
let destNs: string;
let repo: string;
let recipient: string;
let commit: (files: Record<string, string>) => Promise<string>;

const forms = (s: string): string[] => [s, Buffer.from(s).toString('base64')];
const secretYaml = (v: string): string =>
  `apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ntype: Opaque\nstringData:\n  password: ${v}\n`;

function ageKey(): { identity: string; recipient: string } {
  const out = execFileSync('age-keygen', [], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return {
    identity: out.split('\n').find((l) => l.startsWith('AGE-SECRET-KEY-1')) ?? '',
    recipient: /public key: (age1\w+)/.exec(out)?.[1] ?? '',
  };
}

function encrypt(yaml: string, recipient: string): string {
  return execFileSync(
    toolPath('sops'),
    [
      'encrypt',
      '--age',
      recipient,
      '--encrypted-regex',
      '^(data|stringData)$',
      '--input-type',
      'yaml',
      '--output-type',
      'yaml',
      '--filename-override',
      'secret.yaml',
    ],
    {
      input: yaml,
      encoding: 'utf8',
      cwd: tmpdir(),
      env: { PATH: process.env.PATH ?? '', HOME: '/nonexistent' },
    },
  );
}

function* walk(d: string): Generator<string> {
  let entries: string[];
  try {
    entries = readdirSync(d);
  } catch {
    return;
  }
  for (const e of entries) {
    const p = join(d, e);
    let st;
    try {
      st = statSync(p);
    } catch {
      continue;
    }
    if (st.isDirectory()) yield* walk(p);
    else if (st.isFile() && st.size < 16 * 1024 * 1024) yield p;
  }
}

beforeAll(async () => {
  process.env.GITFLEET_SOPS = toolPath('sops');
  const fleet = await testFleet();
  cluster = fleet.clusters[0] as ClusterHandle;
  dir = mkdtempSync(join(tmpdir(), 'gitfleet-secrets-leak-'));
  await installCrds(cluster.admin);
  await cluster.admin.apply(
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: FLEET_NAMESPACE } },
    { fieldManager: 'test' },
  );
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logLines.push(chunk.toString('utf8'));
      done();
    },
  });
  client = new KubeClient(await loadConnection({ file: cluster.kubeconfig }));
  store = await openAuditStore(join(dir, 'audit'));
  const ns = await createNamespace(cluster.admin, 'secrets-leak');
  hub = await startHub({
    client,
    log: pino({ level: 'debug' }, sink),
    namespace: ns,
    sources: { cacheDir: join(dir, 'sources'), fetchIntervalMs: 1000 },
    pollIntervalMs: 1000,
    controllers: { applications: true },
    healthTimeoutMs: 30_000,
    renderOptions: { kustomizeBinary: toolPath('kustomize'), helmBinary: toolPath('helm') },
    clusterCheckIntervalMs: 1000,
    membership: {
      identity: `secrets-leak-${process.pid}`,
      group: `test-${createHash('sha256').update(ns).digest('hex').slice(0, 16)}`,
      leaseSeconds: 15,
    },
    audit: store,
    server: { port: 0, webhookSecrets: {}, api: { tokens: [TOKEN] } },
  });
  appNs = ns;
  await cluster.admin.create({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'creds', namespace: ns },
    stringData: { username: fleet.git.info.admin.username, password: fleet.git.info.admin.password },
  });
  const key = ageKey();
  await cluster.admin.create({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'sops-age', namespace: ns },
    stringData: { 'identity.agekey': `${key.identity}\n` },
  } as KubeObject);
  recipient = key.recipient;
  const project = uniqueName('leak-proj');
  await cluster.admin.create({
    apiVersion: API_VERSION,
    kind: 'Project',
    metadata: { name: project, namespace: FLEET_NAMESPACE },
    spec: {
      sourceNamespaces: [ns],
      sourceRepos: [`${fleet.git.info.url}/*`],
      destinations: [{ namespace: '*' }],
    },
  } as KubeObject);
  repo = uniqueName('leak');
  await fleet.git.createRepo(repo);
  await fleet.git.commit(repo, { 'app/secret.enc.yaml': encrypt(secretYaml(PLAINTEXT), recipient) });
  destNs = await createNamespace(cluster.admin, 'secrets-leak-dest');
  await cluster.admin.create({
    apiVersion: API_VERSION,
    kind: 'Application',
    metadata: { name: 'vault', namespace: ns },
    spec: {
      project,
      source: { repoURL: fleet.git.repoUrl(repo), secretRef: { name: 'creds' }, path: 'app' },
      destination: { namespace: destNs },
      decryption: { provider: 'sops', secretRef: { name: 'sops-age' } },
      // Automated without selfHeal: the hand edit below stays, as a diff in status.
      syncPolicy: { automated: { prune: true } },
    },
  } as KubeObject);
  commit = (files) => fleet.git.commit(repo, files);
}, 240_000);

afterAll(async () => {
  await hub?.stop();
  await store?.close();
  client?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const getApp = (): Promise<Application> =>
  cluster.admin.get<Application>({
    apiVersion: API_VERSION,
    kind: 'Application',
    namespace: appNs,
    name: 'vault',
  });
const liveSecret = (): Promise<(KubeObject & { data?: Record<string, string> }) | undefined> =>
  cluster.admin.getOrUndefined({ apiVersion: 'v1', kind: 'Secret', namespace: destNs, name: 'db' });
const password = async (): Promise<string> =>
  Buffer.from((await liveSecret())?.data?.password ?? '', 'base64').toString('utf8');
const api = async (path: string): Promise<string> => {
  const res = await fetch(`http://127.0.0.1:${hub.port}${path}`, {
    headers: { Authorization: `Bearer ${TOKEN}` },
  });
  const text = await res.text();
  expect(res.status, `GET ${path}: ${text.slice(0, 200)}`).toBe(200);
  return text;
};

describe('decrypted SOPS values leak nowhere in a whole hub (API, audit DB, logs, events, status, metrics, files)', () => {
  it('syncs, re-syncs a new value, shows a redacted drift diff, and the plaintexts appear only in the cluster', async () => {
    await waitFor('first value applied', async () => (await password()) === PLAINTEXT || undefined, {
      timeoutMs: 90_000,
      intervalMs: 300,
    });
    const sha2 = await commit({ 'app/secret.enc.yaml': encrypt(secretYaml(PLAINTEXT2), recipient) });
    await waitFor(
      'second commit synced',
      async () => {
        const a = await getApp();
        return (
          a.status?.operationState?.revision === sha2 &&
          a.status.operationState.phase === 'Succeeded' &&
          (await password()) === PLAINTEXT2
        );
      },
      { timeoutMs: 90_000, intervalMs: 300 },
    );
    // A hand edit makes the app OutOfSync with a diff of the Secret (automated, no selfHeal).
    await cluster.admin.request({
      method: 'PATCH',
      path: `/api/v1/namespaces/${destNs}/secrets/db`,
      body: { data: { password: Buffer.from(HAND).toString('base64') } },
      contentType: 'application/merge-patch+json',
    });
    const app = await waitFor(
      'OutOfSync with a diff of Secret/db',
      async () => {
        const a = await getApp();
        const r = a.status?.resources?.find((x) => x.kind === 'Secret' && x.name === 'db');
        return a.status?.sync?.status === 'OutOfSync' && r?.diff ? a : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 300 },
    );
    await waitFor(
      'the audit trail holds the syncs',
      async () => JSON.parse(await api(`/api/v1/audit?app=${appNs}/vault`)).items?.length >= 2 || undefined,
      { timeoutMs: 30_000, intervalMs: 300 },
    );

    const secrets = [...forms(PLAINTEXT), ...forms(PLAINTEXT2), ...forms(HAND)];
    const found: string[] = [];
    const noLeak = (where: string, text: string): void => {
      for (const s of secrets) if (text.includes(s)) found.push(`${where} holds ${s}`);
    };
    noLeak('status', JSON.stringify(app.status));
    const base = `/api/v1/applications/${appNs}/vault`;
    for (const path of [
      '/api/v1/applications',
      base,
      `${base}/tree`,
      `${base}/events`,
      '/api/v1/fleet',
      `/api/v1/audit?app=${appNs}/vault`,
      `/api/v1/audit?commit=${sha2}`,
    ]) {
      noLeak(`GET ${path}`, await api(path));
    }
    // The API served a tree with the Secret in it (so the check above read a real answer).
    expect(await api(`${base}/tree`)).toContain('"db"');
    noLeak('GET /metrics', await api('/metrics'));
    for (const ns of [appNs, destNs]) {
      noLeak(`events of ${ns}`, JSON.stringify(await cluster.admin.list('v1', 'Event', { namespace: ns })));
    }
    noLeak('hub log', logLines.join(''));
    // The SQLite audit DB (and its WAL), the mirrors and checkouts: every file the hub wrote.
    const files = [...walk(dir)];
    expect(files.some((f) => f.includes('audit'))).toBe(true);
    for (const f of files) noLeak(f, readFileSync(f).toString('latin1'));
    expect(found).toEqual([]);
    // The cluster does hold the hand-edited value: the check is not blind.
    expect(await password()).toBe(HAND);
  });
});
