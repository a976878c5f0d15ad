import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Database from 'libsql';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  API_VERSION,
  REFRESH_ANNOTATION,
  SYNC_REQUESTED_BY_ANNOTATION,
  type Application,
} from '../../src/api/application.js';
import { FLEET_NAMESPACE } from '../../src/api/cluster.js';
import { installCrds } from '../../src/cli/commands/install.js';
import { ApplicationController } from '../../src/controllers/application/controller.js';
import { ClusterResolver } from '../../src/controllers/clusters.js';
import { GitSources } from '../../src/engine/source/index.js';
import {
  openAuditStore,
  signSyncRequester,
  SQLITE_FILE,
  SYNC_REQUESTED_BY_SIGNATURE_ANNOTATION,
  type AuditEntry,
  type AuditStore,
} from '../../src/governance/audit/index.js';
import { HubKey } from '../../src/governance/hub-key.js';
import { startHubServer } from '../../src/hub/server.js';
import { KubeClient, loadConnection, type KubeObject } from '../../src/kube/index.js';
import {
  createNamespace,
  testFleet,
  uniqueName,
  type ClusterHandle,
  type TestFleet,
} from '../harness/context.js';
import { startPostgres, type PostgresHandle } from '../harness/postgres.js';
import { repoRoot, toolPath } from '../harness/tools.js';
import { waitFor } from '../harness/wait.js';

const TOKEN = 'audit-test-token';
const PLANTED = 'audit-planted-secret-7f3c9';
const log = pino({ level: 'warn' });
const run = promisify(execFile);
/** The hub's key, kept across the test's hub restarts as the Secret keeps it for a real hub. */
const hubKey = new HubKey(randomBytes(32));
/** The annotations the hub API writes for a sync `user` asks for: the requester and its signature. */
const requestedBy = (ns: string, name: string, user: string): Record<string, string> => {
  const stamp = new Date().toISOString();
  return {
    [REFRESH_ANNOTATION]: stamp,
    [SYNC_REQUESTED_BY_ANNOTATION]: user,
    [SYNC_REQUESTED_BY_SIGNATURE_ANNOTATION]: signSyncRequester(hubKey, ns, name, user, stamp),
  };
};

/** A hub as the test restarts it: the audit store, the Application controller and the HTTP API. */
interface Hub {
  store: AuditStore;
  controller: ApplicationController;
  server: Awaited<ReturnType<typeof startHubServer>>;
  client: KubeClient;
}

const cm = (name: string, value: string): string =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  value: "${value}"\n`;
const secret = `apiVersion: v1\nkind: Secret\nmetadata:\n  name: planted\nstringData:\n  password: ${PLANTED}\n`;

describe.each(['embedded', 'postgres'] as const)('audit trail (%s store)', (kind) => {
  let fleet: TestFleet;
  let cluster: ClusterHandle;
  let ns: string;
  let dest: string;
  let location: string;
  let postgres: PostgresHandle | undefined;
  let hub: Hub | undefined;
  const dir = mkdtempSync(join(tmpdir(), `gitfleet-audit-${kind}-`));

  const startHub = async (): Promise<Hub> => {
    const store = await openAuditStore(location);
    const client = new KubeClient(await loadConnection({ file: cluster.kubeconfig }));
    const controller = new ApplicationController({
      client,
      clusters: new ClusterResolver(client, FLEET_NAMESPACE),
      namespace: ns,
      sources: new GitSources({ cacheDir: join(dir, 'sources'), fetchIntervalMs: 1000 }),
      pollIntervalMs: 2000,
      healthTimeoutMs: 30_000,
      renderOptions: { kustomizeBinary: toolPath('kustomize'), helmBinary: toolPath('helm') },
      audit: store,
      hubKey,
      log,
    });
    controller.start();
    const server = await startHubServer({
      port: 0,
      webhookSecrets: {},
      onPush: () => [],
      api: { client, tokens: [TOKEN], audit: store, hubKey },
      log,
    });
    return { store, controller, server, client };
  };
  const stopHub = async (): Promise<void> => {
    if (!hub) return;
    hub.controller.stop();
    await hub.controller.idle();
    await hub.server.close();
    await hub.store.close();
    hub.client.close();
    hub = undefined;
  };
  const audit = async (query: string): Promise<{ status: number; items: AuditEntry[]; error?: string }> => {
    const res = await fetch(`http://127.0.0.1:${hub?.server.port}/api/v1/audit?${query}`, {
      headers: { Authorization: `Bearer ${TOKEN}` },
    });
    const body = (await res.json()) as { items?: AuditEntry[]; error?: string };
    return { status: res.status, items: body.items ?? [], ...(body.error ? { error: body.error } : {}) };
  };
  const app = (): Promise<Application> =>
    cluster.admin.get<Application>({
      apiVersion: API_VERSION,
      kind: 'Application',
      namespace: ns,
      name: 'web',
    });
  const synced = (sha: string): Promise<true> =>
    waitFor(
      `web synced at ${sha.slice(0, 8)}`,
      async () => {
        const op = (await app()).status?.operationState;
        return op?.revision === sha && op.phase === 'Succeeded' && true;
      },
      { timeoutMs: 60_000, intervalMs: 300 },
    );

  let repo: string;
  let sha1: string;
  let sha2: string;

  beforeAll(async () => {
    fleet = await testFleet();
    cluster = fleet.clusters[0] as ClusterHandle;
    await installCrds(cluster.admin);
    ns = await createNamespace(cluster.admin, `audit-${kind}`);
    dest = await createNamespace(cluster.admin, `audit-${kind}-dest`);
    if (kind === 'postgres') {
      postgres = await startPostgres({
        logDir: join(fleet.info.runDir, 'logs'),
        name: uniqueName('postgres'),
      });
      location = postgres.url;
    } else location = join(dir, 'audit-data');
    repo = uniqueName('audit');
    await fleet.git.createRepo(repo);
    sha1 = await fleet.git.commit(repo, {
      'a.yaml': cm('a', 'one'),
      'c.yaml': cm('c', 'doomed'),
      's.yaml': secret,
    });
    await cluster.admin.create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'creds', namespace: ns },
      stringData: { username: fleet.git.info.admin.username, password: fleet.git.info.admin.password },
    });
    hub = await startHub();
    await cluster.admin.create({
      apiVersion: API_VERSION,
      kind: 'Application',
      metadata: { name: 'web', namespace: ns },
      spec: {
        source: { repoURL: fleet.git.repoUrl(repo), secretRef: { name: 'creds' } },
        destination: { namespace: dest },
        syncPolicy: { automated: { prune: true } },
      },
    } as KubeObject);
    await synced(sha1);
    sha2 = await fleet.git.commit(repo, {
      'a.yaml': cm('a', 'two'),
      'b.yaml': cm('b', 'new'),
      'c.yaml': null,
    });
    await synced(sha2);
    // A person asks for a sync through the hub: the annotations the hub API writes.
    await cluster.admin.request({
      method: 'PATCH',
      path: `/apis/${API_VERSION}/namespaces/${ns}/applications/web`,
      body: {
        metadata: { annotations: requestedBy(ns, 'web', 'alice') },
      },
      contentType: 'application/merge-patch+json',
    });
    await waitFor(
      'alice’s manual sync in the audit trail',
      async () => (await audit('user=alice')).items.length > 0,
      {
        timeoutMs: 60_000,
        intervalMs: 300,
      },
    );
  });

  afterAll(async () => {
    await stopHub();
    await postgres?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers "what did commit X change on cluster Y" after the hub restarts', async () => {
    await stopHub();
    hub = await startHub();
    const { status, items } = await audit(`commit=${sha2.slice(0, 10)}&cluster=in-cluster&app=${ns}/web`);
    expect(status).toBe(200);
    const auto = items.filter((e) => e.operation === 'auto-sync');
    expect(auto).toHaveLength(1);
    const e = auto[0] as AuditEntry;
    expect(e).toMatchObject({
      trigger: 'automated',
      appNamespace: ns,
      app: 'web',
      project: 'default',
      cluster: 'in-cluster',
      namespace: dest,
      revision: sha2,
      result: 'Succeeded',
    });
    expect(e.durationMs).toBeGreaterThanOrEqual(0);
    const changed = e.objects.map((o) => `${o.action} ${o.kind}/${o.namespace}/${o.name}`).sort();
    expect(changed).toEqual([
      `configured ConfigMap/${dest}/a`,
      `created ConfigMap/${dest}/b`,
      `deleted ConfigMap/${dest}/c`,
    ]);
    // The first commit created everything, the Secret included (named, never its data).
    const first = (await audit(`commit=${sha1}`)).items.filter(
      (x) => x.app === 'web' && x.appNamespace === ns,
    );
    expect(first.map((x) => x.objects.map((o) => `${o.action} ${o.kind}/${o.name}`).sort())).toEqual([
      ['created ConfigMap/a', 'created ConfigMap/c', 'created Secret/planted'],
    ]);
  });

  it('records who asked for a manual sync, and filters by user and time', async () => {
    const mine = (await audit(`user=alice&app=${ns}/web`)).items;
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({
      operation: 'manual-sync',
      trigger: 'user',
      user: 'alice',
      revision: sha2,
    });
    expect((await audit(`app=${ns}/web&since=1h`)).items).toHaveLength(3);
    expect((await audit(`app=${ns}/web&until=2000-01-01T00:00:00Z`)).items).toHaveLength(0);
    const bad = await audit('commit=zz');
    expect(bad.status).toBe(400);
    expect(bad.error).toContain('commit must be a SHA');
  });

  it('is printed by gitfleet audit through the hub API', async () => {
    const { stdout } = await run(
      'npx',
      [
        'tsx',
        'src/cli/main.ts',
        'audit',
        '--hub',
        `http://127.0.0.1:${hub?.server.port}`,
        '--commit',
        sha2.slice(0, 12),
        '--app',
        `${ns}/web`,
        '-o',
        'wide',
      ],
      { cwd: repoRoot, env: { ...process.env, GITFLEET_TOKEN: TOKEN } },
    );
    expect(stdout).toMatch(/auto-sync\s+automated\s+Succeeded\s+\+1 ~1 -1/);
    expect(stdout).toContain(`  - ConfigMap/${dest}/c`);
    expect(stdout).toContain(`  + ConfigMap/${dest}/b`);
  });

  it('never stores Secret data, and refuses to change what it stored', async () => {
    const plantedB64 = Buffer.from(PLANTED).toString('base64');
    if (kind === 'postgres') {
      const c = new pg.Client({ connectionString: location });
      await c.connect();
      try {
        const rows = (await c.query<{ t: string }>('SELECT t::text AS t FROM gitfleet_audit t')).rows.map(
          (r) => r.t,
        );
        expect(rows.join('\n')).toContain('planted'); // the Secret is named…
        expect(rows.join('\n')).not.toContain(PLANTED); // …its data is not there
        expect(rows.join('\n')).not.toContain(plantedB64);
        await expect(c.query("UPDATE gitfleet_audit SET username = 'mallory'")).rejects.toThrow(
          'append-only',
        );
        await expect(c.query('DELETE FROM gitfleet_audit')).rejects.toThrow('append-only');
      } finally {
        await c.end();
      }
    } else {
      // Every byte the embedded database wrote, searched after it is closed and flushed.
      await stopHub();
      const bytes = filesUnder(location).map((f) => readFileSync(f));
      const has = (s: string): boolean => bytes.some((b) => b.includes(Buffer.from(s)));
      expect(has(`ConfigMap`)).toBe(true);
      expect(has(ns)).toBe(true);
      expect(has(PLANTED)).toBe(false);
      expect(has(plantedB64)).toBe(false);
      // Any SQLite client, not just gitfleet's code, is refused a change to the trail.
      const db = new Database(join(location, SQLITE_FILE));
      try {
        expect(() => db.exec("UPDATE gitfleet_audit SET username = 'mallory'")).toThrow('append-only');
        expect(() => db.exec('DELETE FROM gitfleet_audit')).toThrow('append-only');
      } finally {
        db.close();
      }
      hub = await startHub();
    }
  });

  it('records a manual sync that a sync window refused, with who asked, and nothing applied', async () => {
    const project = `freeze-${kind}-${ns}`;
    const frozenDest = await createNamespace(cluster.admin, `audit-${kind}-frozen`);
    await cluster.admin.create({
      apiVersion: API_VERSION,
      kind: 'Project',
      metadata: { name: project, namespace: FLEET_NAMESPACE },
      spec: {
        sourceNamespaces: [ns],
        sourceRepos: ['*'],
        destinations: [{ namespace: frozenDest }],
        // Starts every minute, lasts an hour: active whenever the test runs.
        syncWindows: [{ kind: 'deny', schedule: '* * * * *', duration: '1h', namespaces: [frozenDest] }],
      },
    });
    try {
      await cluster.admin.create({
        apiVersion: API_VERSION,
        kind: 'Application',
        metadata: {
          name: 'frozen',
          namespace: ns,
          annotations: requestedBy(ns, 'frozen', 'bob'),
        },
        spec: {
          project,
          source: { repoURL: fleet.git.repoUrl(repo), secretRef: { name: 'creds' } },
          destination: { namespace: frozenDest },
        },
      } as KubeObject);
      const refused = await waitFor(
        'the refusal in the audit trail',
        async () => {
          const items = (await audit(`user=bob&app=${ns}/frozen`)).items;
          return items.length > 0 && items;
        },
        { timeoutMs: 60_000, intervalMs: 300 },
      );
      expect(refused).toHaveLength(1);
      expect(refused[0]).toMatchObject({
        operation: 'manual-sync',
        trigger: 'user',
        user: 'bob',
        result: 'Failed',
        objects: [],
        project,
      });
      expect(refused[0]?.message).toContain('refused: manual sync blocked');
      const applied = await cluster.admin.list('v1', 'ConfigMap', { namespace: frozenDest });
      expect(applied.items.filter((o) => o.metadata.name !== 'kube-root-ca.crt')).toEqual([]);
    } finally {
      await cluster.admin.delete({
        apiVersion: API_VERSION,
        kind: 'Project',
        namespace: FLEET_NAMESPACE,
        name: project,
      });
    }
  });
});

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}
