// The engine and Application status (issue 13, medium items): hooks obey the owner check, Secret
// values echoed by the API server are masked everywhere a message goes, and status never claims
// Synced at an old revision while a sync runs or while Git cannot be reached. Real apiserver, real
// Git server, the real Application controller.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_VERSION, type Application } from '../../src/api/application.js';
import { FLEET_NAMESPACE } from '../../src/api/cluster.js';
import { installCrds } from '../../src/cli/commands/install.js';
import { ApplicationController } from '../../src/controllers/application/controller.js';
import { ClusterResolver } from '../../src/controllers/clusters.js';
import { GitSources } from '../../src/engine/source/index.js';
import type { AuditRecord } from '../../src/governance/audit/index.js';
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
let appNs: string;
let controller: ApplicationController;
let client: KubeClient;
const logLines: string[] = [];
const audit: AuditRecord[] = [];
const dir = mkdtempSync(join(tmpdir(), 'gitfleet-engine-sec-'));

beforeAll(async () => {
  fleet = await testFleet();
  hub = fleet.clusters[0] as ClusterHandle;
  await installCrds(hub.admin);
  appNs = await createNamespace(hub.admin, 'engine-sec');
  await hub.admin.create({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'creds', namespace: appNs },
    stringData: { username: fleet.git.info.admin.username, password: fleet.git.info.admin.password },
  });
  const sink = new Writable({ write: (chunk: Buffer, _e, cb) => (logLines.push(chunk.toString()), cb()) });
  client = new KubeClient(await loadConnection({ file: hub.kubeconfig }));
  controller = new ApplicationController({
    client,
    clusters: new ClusterResolver(client, FLEET_NAMESPACE),
    namespace: appNs,
    sources: new GitSources({ cacheDir: join(dir, 'sources'), fetchIntervalMs: 1000 }),
    pollIntervalMs: 3000,
    healthTimeoutMs: 12_000,
    renderOptions: { kustomizeBinary: toolPath('kustomize'), helmBinary: toolPath('helm') },
    audit: {
      record: (r) => {
        audit.push(r);
        return Promise.resolve();
      },
    },
    log: pino({ level: 'debug' }, sink),
  });
  controller.start();
});

afterAll(() => {
  controller?.stop();
  client?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function getApp(name: string): Promise<Application> {
  return hub.admin.get<Application>({ apiVersion: API_VERSION, kind: 'Application', namespace: appNs, name });
}

async function waitApp(name: string, what: string, pred: (a: Application) => boolean): Promise<Application> {
  let last: Application | undefined;
  return waitFor(
    `${name}: ${what}`,
    async () => {
      last = await getApp(name);
      return pred(last) && last;
    },
    { timeoutMs: 60_000, intervalMs: 200 },
  ).catch((e: unknown) => {
    throw new Error(`${(e as Error).message}\nlast status: ${JSON.stringify(last?.status)}`);
  });
}

async function repoWith(files: Record<string, string>): Promise<string> {
  const repo = uniqueName('engine');
  await fleet.git.createRepo(repo);
  await fleet.git.commit(repo, files);
  return repo;
}

async function createApp(name: string, repoURL: string, destNs: string, path = 'app'): Promise<void> {
  await hub.admin.create({
    apiVersion: API_VERSION,
    kind: 'Application',
    metadata: { name, namespace: appNs },
    spec: {
      source: { repoURL, path, secretRef: { name: 'creds' } },
      destination: { namespace: destNs },
      syncPolicy: { automated: { prune: true, selfHeal: true }, retry: { limit: 2 } },
    },
  } as KubeObject);
}

const yamlDoc = (o: Record<string, unknown>): string => JSON.stringify(o);
const getCm = (namespace: string, name: string): Promise<KubeObject | undefined> =>
  hub.admin.getOrUndefined({ apiVersion: 'v1', kind: 'ConfigMap', namespace, name });

describe('hooks obey the owner check', () => {
  it("never deletes or overwrites another Application's object, nor an unmanaged one; replaces its own", async () => {
    const destNs = await createNamespace(hub.admin, 'hooks');
    // Team A owns ConfigMap `shared`.
    const repoA = await repoWith({
      'app/cm.yaml': yamlDoc({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'shared' },
        data: { owner: 'team-a' },
      }),
    });
    await createApp('team-a', fleet.git.repoUrl(repoA), destNs);
    await waitApp('team-a', 'Synced', (a) => a.status?.sync?.status === 'Synced');
    const before = await getCm(destNs, 'shared');
    expect(before?.metadata.annotations?.['gitfleet.dev/owner']).toBe(`${appNs}/team-a`);
    // An object nobody manages, created by hand.
    await hub.admin.create({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'by-hand', namespace: destNs },
      data: { owner: 'a human' },
    });

    // Team B declares PreSync hooks with the same names, delete policy BeforeHookCreation.
    const hook = (name: string): string =>
      yamlDoc({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: {
          name,
          annotations: {
            'gitfleet.dev/hook': 'PreSync',
            'gitfleet.dev/hook-delete-policy': 'BeforeHookCreation',
          },
        },
        data: { owner: 'team-b' },
      });
    for (const [app, target] of [
      ['team-b', 'shared'],
      ['team-c', 'by-hand'],
    ] as const) {
      const repo = await repoWith({
        'app/hook.yaml': hook(target),
        'app/cm.yaml': yamlDoc({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `${app}-cm` } }),
      });
      await createApp(app, fleet.git.repoUrl(repo), destNs);
      const failed = await waitApp(app, 'sync Failed', (a) => a.status?.operationState?.phase === 'Failed');
      const who = target === 'shared' ? `owned by ${appNs}/team-a` : 'not managed by gitfleet';
      expect(failed.status?.operationState?.message).toContain(`ConfigMap/${destNs}/${target}`);
      expect(failed.status?.operationState?.message).toContain(who);
      // Nothing after the failed hook ran.
      expect(await getCm(destNs, `${app}-cm`)).toBeUndefined();
    }
    const after = await getCm(destNs, 'shared');
    expect(after?.metadata.uid).toBe(before?.metadata.uid);
    expect(after?.data).toEqual({ owner: 'team-a' });
    expect((await getCm(destNs, 'by-hand'))?.data).toEqual({ owner: 'a human' });

    // Takeover=true does not adopt another Application's object either.
    const repoD = await repoWith({
      'app/cm.yaml': yamlDoc({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'shared', annotations: { 'gitfleet.dev/sync-options': 'Takeover=true' } },
        data: { owner: 'team-d' },
      }),
    });
    await createApp('team-d', fleet.git.repoUrl(repoD), destNs);
    const d = await waitApp('team-d', 'sync Failed', (a) => a.status?.operationState?.phase === 'Failed');
    expect(d.status?.operationState?.message).toContain(`owned by ${appNs}/team-a`);
    expect((await getCm(destNs, 'shared'))?.data).toEqual({ owner: 'team-a' });

    // Its own hook is replaced, as BeforeHookCreation means.
    const ownNs = await createNamespace(hub.admin, 'hooks-own');
    // A hook alone compares as Synced (hooks are not compared), so the app also owns a ConfigMap.
    const repoE = await repoWith({
      'app/hook.yaml': hook('own-hook'),
      'app/cm.yaml': yamlDoc({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'e1' } }),
    });
    await createApp('team-e', fleet.git.repoUrl(repoE), ownNs);
    await waitApp('team-e', 'Succeeded', (a) => a.status?.operationState?.phase === 'Succeeded');
    const first = await getCm(ownNs, 'own-hook');
    expect(first?.metadata.annotations?.['gitfleet.dev/owner']).toBe(`${appNs}/team-e`);
    const sha = await fleet.git.commit(repoE, {
      'app/other.yaml': yamlDoc({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'e2' } }),
    });
    controller.refresh(`${appNs}/team-e`);
    await waitApp(
      'team-e',
      'Succeeded at the new commit',
      (a) => a.status?.operationState?.phase === 'Succeeded' && a.status.operationState.revision === sha,
    );
    expect((await getCm(ownNs, 'own-hook'))?.metadata.uid).not.toBe(first?.metadata.uid);
  });
});

describe('Secret values echoed by the API server', () => {
  const b64 = (s: string): string => Buffer.from(s).toString('base64');
  // Two real echoes: a label value that is not a valid label (the apiserver prints it back), and an
  // unquoted number in a Secret's stringData (the field type error prints the value).
  const cases: { app: string; values: string[]; echo: string; files: Record<string, string> }[] = [
    {
      app: 'masked-label',
      values: ['Sup3r!Secret#Value'],
      echo: 'Invalid value: "***"',
      files: {
        'app/secret.yaml': yamlDoc({
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: 'creds' },
          stringData: { password: 'Sup3r!Secret#Value' },
        }),
        'app/cm.yaml': yamlDoc({
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'labelled', labels: { copied: 'Sup3r!Secret#Value' } },
          data: { a: 'b' },
        }),
      },
    },
    {
      app: 'masked-pin',
      values: ['73105829'],
      echo: 'valueUnstructured{Value:***}',
      files: {
        'app/pin.yaml':
          'apiVersion: v1\nkind: Secret\nmetadata:\n  name: pin\nstringData:\n  pin: 73105829\n',
      },
    },
  ];
  for (const c of cases) {
    it(`are masked in status, events, logs and the audit trail (${c.app})`, async () => {
      const destNs = await createNamespace(hub.admin, 'mask');
      const repo = await repoWith(c.files);
      await createApp(c.app, fleet.git.repoUrl(repo), destNs);
      const app = await waitApp(
        c.app,
        'sync Failed and retried',
        (a) => a.status?.operationState?.phase === 'Failed' && (a.status.operationState.retryCount ?? 0) >= 1,
      );
      // The apiserver's words are there, the values are not.
      expect(app.status?.operationState?.message).toContain(c.echo);
      const status = JSON.stringify(app.status);
      const events = (await hub.admin.list('v1', 'Event', { namespace: appNs })).items.filter(
        (e) => (e as { involvedObject?: { name?: string } }).involvedObject?.name === c.app,
      );
      expect(events.some((e) => (e as { reason?: string }).reason === 'SyncFailed')).toBe(true);
      const records = audit.filter((r) => JSON.stringify(r).includes(c.app));
      expect(records.length).toBeGreaterThan(0);
      const logs = logLines.filter((l) => l.includes(c.app)).join('');
      expect(logs).toContain('***');
      for (const [where, text] of [
        ['status', status],
        ['events', JSON.stringify(events)],
        ['logs', logs],
        ['audit', JSON.stringify(records)],
      ] as const) {
        for (const v of c.values.flatMap((x) => [x, b64(x)]))
          expect(text.includes(v), `${where} must not contain a Secret value`).toBe(false);
      }
    });
  }
});

/** A TCP proxy in front of the Git server that the test can take down and bring back. */
async function gitProxy(): Promise<{ url: string; down(): Promise<void>; up(): Promise<void> }> {
  const target = new URL(fleet.git.info.url);
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;
  const up = (): Promise<void> =>
    new Promise((resolve) => {
      server = createServer((c) => {
        const u = connect(Number(target.port), target.hostname);
        sockets.add(c).add(u);
        c.on('error', () => u.destroy()).on('close', () => sockets.delete(c));
        u.on('error', () => c.destroy()).on('close', () => sockets.delete(u));
        c.pipe(u).pipe(c);
      });
      server.listen(port, '127.0.0.1', () => {
        port = (server?.address() as { port: number }).port;
        resolve();
      });
    });
  const down = (): Promise<void> =>
    new Promise((resolve) => {
      for (const s of sockets) s.destroy();
      server?.close(() => resolve());
    });
  await up();
  return { url: `http://127.0.0.1:${port}`, down, up };
}

describe('status is honest during a sync and an outage', () => {
  it('says Running and OutOfSync at the new revision while a sync waits, never Synced at the old one', async () => {
    const destNs = await createNamespace(hub.admin, 'running');
    const repo = await repoWith({
      'app/cm.yaml': yamlDoc({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'one' } }),
    });
    await createApp('slow', fleet.git.repoUrl(repo), destNs);
    const synced = await waitApp('slow', 'Synced', (a) => a.status?.sync?.status === 'Synced');
    const old = synced.status?.sync?.revision;
    // A claim no storage can satisfy stays Pending (Progressing): the sync waits on it before the
    // next wave (the last wave is not awaited, as in Argo CD, so a later wave is what waits).
    const sha = await fleet.git.commit(repo, {
      'app/later.yaml': yamlDoc({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'later', annotations: { 'gitfleet.dev/sync-wave': '1' } },
      }),
      'app/pvc.yaml': yamlDoc({
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        metadata: { name: 'never-bound' },
        spec: {
          accessModes: ['ReadWriteOnce'],
          storageClassName: 'does-not-exist',
          resources: { requests: { storage: '1Gi' } },
        },
      }),
    });
    controller.refresh(`${appNs}/slow`);
    const running = await waitApp(
      'slow',
      'operation Running at the new revision',
      (a) => a.status?.operationState?.phase === 'Running' && a.status.operationState.revision === sha,
    );
    expect(running.status?.sync).toEqual({ status: 'OutOfSync', revision: sha });
    // The resources shown are those of the new revision, not the last ones: the awaited claim as
    // applied and Progressing, the wave after it not applied yet.
    const shown = (n: string) => running.status?.resources?.find((r) => r.name === n);
    expect(shown('never-bound')?.health?.status).toBe('Progressing');
    expect(shown('later')?.status).toBe('OutOfSync');
    expect(running.status?.sync?.revision).not.toBe(old);
  });

  it('says Unknown, not Synced, when Git cannot be reached, and recovers when it can', async () => {
    const destNs = await createNamespace(hub.admin, 'outage');
    const repo = await repoWith({
      'app/cm.yaml': yamlDoc({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'one' } }),
    });
    const proxy = await gitProxy();
    try {
      await createApp('outage', `${proxy.url}/${repo}.git`, destNs);
      await waitApp('outage', 'Synced', (a) => a.status?.sync?.status === 'Synced');
      await proxy.down();
      const sha = await fleet.git.commit(repo, {
        'app/two.yaml': yamlDoc({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'two' } }),
      });
      controller.refresh(`${appNs}/outage`);
      const down = await waitApp('outage', 'SourceFailed', (a) =>
        (a.status?.conditions ?? []).some((c) => c.type === 'SourceFailed'),
      );
      expect(down.status?.sync).toEqual({ status: 'Unknown' });
      await proxy.up();
      controller.refresh(`${appNs}/outage`);
      await waitApp(
        'outage',
        'Synced at the new commit',
        (a) => a.status?.sync?.status === 'Synced' && a.status.sync.revision === sha,
      );
    } finally {
      await proxy.down();
    }
  });
});
