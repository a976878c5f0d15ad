import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_VERSION, type Application } from '../../src/api/application.js';
import { installCrds } from '../../src/cli/commands/install.js';
import { ApplicationController } from '../../src/controllers/application/controller.js';
import { GitSources } from '../../src/engine/source/index.js';
import { startHubServer } from '../../src/hub/server.js';
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

const SECRET_VALUE = 'hunter2-very-secret-value';
const SECRET_VALUE_2 = 'correct-horse-battery-staple';
const b64 = (s: string): string => Buffer.from(s).toString('base64');

let fleet: TestFleet;
let mgmt: ClusterHandle;
let appNs: string;
let controller: ApplicationController;
let hub: Awaited<ReturnType<typeof startHubServer>>;
let cacheDir: string;
const logLines: string[] = [];
const WEBHOOK_SECRET = 'webhook-shared-secret';

function deployment(name: string, replicas: number, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, ...extra },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'app', image: 'nginx:1.27' }] },
      },
    },
  });
}

function configMap(name: string, data: Record<string, string>, annotations?: Record<string, string>): string {
  return `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n${annotations ? `  annotations: ${JSON.stringify(annotations)}\n` : ''}data: ${JSON.stringify(data)}\n`;
}

async function getApp(name: string): Promise<Application> {
  return mgmt.admin.get<Application>({
    apiVersion: API_VERSION,
    kind: 'Application',
    namespace: appNs,
    name,
  });
}

async function waitApp(
  name: string,
  what: string,
  pred: (a: Application) => boolean,
  timeoutMs = 60_000,
): Promise<Application> {
  let last: Application | undefined;
  return waitFor(
    `${name}: ${what}`,
    async () => {
      last = await getApp(name);
      return pred(last) && last;
    },
    { timeoutMs, intervalMs: 250 },
  ).catch((e: unknown) => {
    // Say where the Application was stuck: that is what a failed run needs first.
    const s = last?.status;
    const op = s?.operationState;
    throw new Error(
      `${(e as Error).message}\nlast status: sync=${s?.sync?.status}@${s?.sync?.revision?.slice(0, 8)} resources=${(s?.resources ?? []).map((r) => `${r.name}:${r.status}`).join(',')} op=${op?.phase}@${op?.revision?.slice(0, 8)}: ${op?.message}\nconditions: ${JSON.stringify(s?.conditions)}`,
    );
  });
}

/** A Secret in the Applications' namespace holding the Git server admin's credentials. */
async function adminCredentials(name: string): Promise<void> {
  await mgmt.admin.create({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: appNs },
    stringData: { username: fleet.git.info.admin.username, password: fleet.git.info.admin.password },
  });
}

async function createApp(name: string, spec: Record<string, unknown>): Promise<void> {
  await mgmt.admin.create({
    apiVersion: API_VERSION,
    kind: 'Application',
    metadata: { name, namespace: appNs, finalizers: ['gitfleet.dev/resources-finalizer'] },
    spec,
  } as KubeObject);
}

async function giteaPush(repoUrl: string): Promise<Response> {
  const body = JSON.stringify({
    ref: 'refs/heads/main',
    after: 'x',
    repository: { clone_url: repoUrl, html_url: repoUrl.replace(/\.git$/, '') },
  });
  return fetch(`http://127.0.0.1:${hub.port}/api/webhook`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-gitea-event': 'push',
      'x-gitea-signature': createHmac('sha256', WEBHOOK_SECRET).update(body).digest('hex'),
    },
    body,
  });
}

beforeAll(async () => {
  fleet = await testFleet();
  mgmt = fleet.clusters[0] as ClusterHandle;
  await installCrds(mgmt.admin);
  appNs = await createNamespace(mgmt.admin, 'apps');
  cacheDir = mkdtempSync(join(tmpdir(), 'gitfleet-ctrl-'));
  const sink = new Writable({ write: (chunk: Buffer, _e, cb) => (logLines.push(chunk.toString()), cb()) });
  const log = pino({ level: 'debug' }, sink);
  const client = new KubeClient(await loadConnection({ file: mgmt.kubeconfig }));
  controller = new ApplicationController({
    client,
    namespace: appNs,
    sources: new GitSources({ cacheDir, fetchIntervalMs: 60_000 }),
    pollIntervalMs: 60_000,
    healthTimeoutMs: 20_000,
    renderOptions: { kustomizeBinary: toolPath('kustomize'), helmBinary: toolPath('helm') },
    log,
  });
  controller.start();
  hub = await startHubServer({
    port: 0,
    webhookSecrets: { gitea: WEBHOOK_SECRET },
    onPush: (u) => controller.onPush(u),
    log,
  });
});

afterAll(async () => {
  writeFileSync('/tmp/ctrl.log', logLines.join(''));
  controller?.stop();
  await hub?.close();
  rmSync(cacheDir, { recursive: true, force: true });
});

describe('Application: Git to cluster, continuously', () => {
  const repo = uniqueName('svc');
  let destNs: string;
  const cm = (name: string): Promise<KubeObject | undefined> =>
    mgmt.admin.getOrUndefined({ apiVersion: 'v1', kind: 'ConfigMap', namespace: destNs, name });

  it('creates the objects and reports Synced and Healthy', async () => {
    destNs = await createNamespace(mgmt.admin, 'dest');
    const git = fleet.git;
    await git.createRepo(repo);
    await git.commit(repo, {
      'app/deploy.yaml': deployment('web', 2),
      'app/config.yaml': configMap('settings', { color: 'blue' }),
      'app/extra.yaml': configMap('extra', { keep: 'no' }),
      'app/secret.yaml': `apiVersion: v1\nkind: Secret\nmetadata:\n  name: creds\nstringData:\n  password: ${SECRET_VALUE}\n`,
      'README.md': 'not a manifest',
    });
    git.setUser('reader', 'reader-pw', 'read');
    await mgmt.admin.create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'repo-creds', namespace: appNs },
      stringData: { username: 'reader', password: 'reader-pw' },
    });
    await createApp('web', {
      source: { repoURL: git.repoUrl(repo), path: 'app', secretRef: { name: 'repo-creds' } },
      destination: { namespace: destNs },
      syncPolicy: { automated: { prune: true, selfHeal: true } },
    });
    const app = await waitApp(
      'web',
      'Synced and Healthy',
      (a) => a.status?.sync?.status === 'Synced' && a.status.health?.status === 'Healthy',
    );
    expect(app.status?.resources?.map((r) => `${r.kind}/${r.name}`).sort()).toEqual([
      'ConfigMap/extra',
      'ConfigMap/settings',
      'Deployment/web',
      'Secret/creds',
    ]);
    expect(app.status?.history).toHaveLength(1);
    const d = await mgmt.admin.get({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      namespace: destNs,
      name: 'web',
    });
    expect(d.metadata.annotations?.['gitfleet.dev/owner']).toBe(`${appNs}/web`);
    expect((d.status as { availableReplicas?: number }).availableReplicas).toBe(2);
  });

  it('applies a pushed change at once when the webhook arrives', async () => {
    const before = (await getApp('web')).status?.sync?.revision;
    const sha = await fleet.git.commit(repo, {
      'app/config.yaml': configMap('settings', { color: 'green' }),
    });
    const res = await giteaPush(fleet.git.repoUrl(repo));
    expect(res.status).toBe(202);
    expect(((await res.json()) as { refreshed: string[] }).refreshed).toEqual([`${appNs}/web`]);
    await waitFor(
      'settings to turn green',
      async () => ((await cm('settings'))?.data as Record<string, string>)?.color === 'green',
      { timeoutMs: 20_000 },
    );
    const app = await waitApp(
      'web',
      'synced to the new commit',
      (a) => a.status?.sync?.revision === sha && a.status.sync.status === 'Synced',
    );
    expect(app.status?.sync?.revision).not.toBe(before);
  });

  it('refuses an unsigned webhook', async () => {
    const res = await fetch(`http://127.0.0.1:${hub.port}/api/webhook`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-gitea-event': 'push',
        'x-gitea-signature': 'deadbeef',
      },
      body: JSON.stringify({ ref: 'refs/heads/main', repository: { clone_url: fleet.git.repoUrl(repo) } }),
    });
    expect(res.status).toBe(401);
  });

  it('prunes an object whose file was deleted', async () => {
    await fleet.git.commit(repo, { 'app/extra.yaml': null });
    controller.refresh(`${appNs}/web`);
    await waitFor('ConfigMap extra to be pruned', async () => (await cm('extra')) === undefined, {
      timeoutMs: 20_000,
    });
    expect(await cm('settings')).toBeDefined();
  });

  it('sees a hand edit within seconds and heals it', async () => {
    await mgmt.admin.apply(
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'settings', namespace: destNs },
        data: { color: 'red' },
      },
      { fieldManager: 'kubectl-edit', force: true },
    );
    await waitFor(
      'settings healed back to green',
      async () => ((await cm('settings'))?.data as Record<string, string>)?.color === 'green',
      { timeoutMs: 30_000 },
    );
    await mgmt.admin.delete({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: destNs, name: 'web' });
    await waitFor(
      'Deployment web recreated',
      async () => {
        const d = await mgmt.admin.getOrUndefined({
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          namespace: destNs,
          name: 'web',
        });
        return d !== undefined && !d.metadata.deletionTimestamp;
      },
      { timeoutMs: 30_000 },
    );
  });

  it('changes nothing when rendering fails, and names the file and line', async () => {
    await fleet.git.commit(repo, {
      'app/config.yaml': configMap('settings', { color: 'yellow' }),
      'app/broken.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: broken\ndata: {a: [unclosed\n',
    });
    controller.refresh(`${appNs}/web`);
    const app = await waitApp(
      'web',
      'RenderFailed',
      (a) => a.status?.conditions?.some((c) => c.type === 'RenderFailed') ?? false,
    );
    const cond = app.status?.conditions?.find((c) => c.type === 'RenderFailed');
    expect(cond?.message).toMatch(/app\/broken\.yaml:\d+/);
    expect(((await cm('settings'))?.data as Record<string, string>)?.color).toBe('green');
    await fleet.git.commit(repo, { 'app/broken.yaml': null });
    controller.refresh(`${appNs}/web`);
    await waitFor(
      'settings yellow after the fix',
      async () => ((await cm('settings'))?.data as Record<string, string>)?.color === 'yellow',
      { timeoutMs: 20_000 },
    );
    await waitApp(
      'web',
      'RenderFailed cleared',
      (a) => !a.status?.conditions?.some((c) => c.type === 'RenderFailed'),
      10_000,
    );
  });

  it('never overwrites or prunes an object it does not own', async () => {
    await mgmt.admin.create({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'foreign', namespace: destNs },
      data: { owner: 'someone-else' },
    });
    await fleet.git.commit(repo, { 'app/foreign.yaml': configMap('foreign', { owner: 'gitfleet' }) });
    controller.refresh(`${appNs}/web`);
    const app = await waitApp(
      'web',
      'sync failed on foreign',
      (a) =>
        a.status?.operationState?.phase === 'Failed' && a.status.operationState.message.includes('foreign'),
    );
    expect(app.status?.operationState?.message).toMatch(/not managed by gitfleet/);
    expect(((await cm('foreign'))?.data as Record<string, string>)?.owner).toBe('someone-else');

    // Removed from Git again: `foreign` is a prune candidate now (it was in the desired set), but
    // its owner annotation does not name this app, so it stays.
    const sha = await fleet.git.commit(repo, {
      'app/foreign.yaml': null,
      'app/more.yaml': configMap('more', { a: '1' }),
    });
    controller.refresh(`${appNs}/web`);
    const ok = await waitApp(
      'web',
      'synced without foreign',
      (a) => a.status?.operationState?.phase === 'Succeeded' && a.status.operationState.revision === sha,
      30_000,
    );
    expect(ok.status?.operationState?.resources?.find((r) => r.name === 'foreign')?.action).toBe('skipped');
    expect(((await cm('foreign'))?.data as Record<string, string>)?.owner).toBe('someone-else');
  });

  it('never shows Secret data in status, events or logs', async () => {
    await fleet.git.commit(repo, {
      'app/secret.yaml': `apiVersion: v1\nkind: Secret\nmetadata:\n  name: creds\nstringData:\n  password: ${SECRET_VALUE_2}\n`,
    });
    controller.refresh(`${appNs}/web`);
    await waitFor(
      'secret updated',
      async () => {
        const s = await mgmt.admin.get({
          apiVersion: 'v1',
          kind: 'Secret',
          namespace: destNs,
          name: 'creds',
        });
        return (s.data as Record<string, string>).password === b64(SECRET_VALUE_2);
      },
      { timeoutMs: 20_000 },
    );
    const app = await getApp('web');
    const events = await mgmt.admin.list('v1', 'Event', { namespace: appNs });
    const haystack = [JSON.stringify(app), JSON.stringify(events), logLines.join('')].join('\n');
    for (const v of [SECRET_VALUE, SECRET_VALUE_2]) {
      expect(haystack).not.toContain(v);
      expect(haystack).not.toContain(b64(v));
    }
    expect(haystack).toContain('Secret'); // the object itself is reported, just not its data
  });

  it('deletes what it owned, and only that, when deleted with the cascade finalizer', async () => {
    await mgmt.admin.delete({ apiVersion: API_VERSION, kind: 'Application', namespace: appNs, name: 'web' });
    await waitFor(
      'Application gone',
      async () =>
        (await mgmt.admin.getOrUndefined({
          apiVersion: API_VERSION,
          kind: 'Application',
          namespace: appNs,
          name: 'web',
        })) === undefined,
      { timeoutMs: 20_000 },
    );
    expect(
      await mgmt.admin
        .getOrUndefined({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: destNs, name: 'web' })
        .then((d) => d === undefined || !!d.metadata.deletionTimestamp),
    ).toBe(true);
    expect(
      await mgmt.admin.getOrUndefined({ apiVersion: 'v1', kind: 'Secret', namespace: destNs, name: 'creds' }),
    ).toBeUndefined();
    expect(await cm('foreign')).toBeDefined();
  });
});

describe('Application: ordering, hooks and failures', () => {
  it('runs hooks in order, waits for waves, and stops when a PreSync hook fails', async () => {
    const repo = uniqueName('hooks');
    const destNs = await createNamespace(mgmt.admin, 'hooks');
    const git = fleet.git;
    await git.createRepo(repo);
    const job = (name: string, hook: string, fail = false): string =>
      JSON.stringify({
        apiVersion: 'batch/v1',
        kind: 'Job',
        metadata: {
          name,
          annotations: { 'gitfleet.dev/hook': hook, 'gitfleet.dev/hook-delete-policy': 'BeforeHookCreation' },
        },
        spec: {
          backoffLimit: 0,
          ...(fail ? { activeDeadlineSeconds: 2 } : {}),
          template: {
            spec: {
              restartPolicy: 'Never',
              ...(fail ? { nodeSelector: { 'no-such-node': 'x' } } : {}),
              containers: [{ name: 'run', image: 'busybox' }],
            },
          },
        },
      });
    await git.commit(repo, {
      'pre.yaml': job('migrate', 'PreSync'),
      'post.yaml': job('smoke', 'PostSync'),
      'wave0.yaml': deployment('db', 1, { annotations: { 'gitfleet.dev/sync-wave': '0' } }),
      'wave1.yaml': configMap('after-db', { ok: 'yes' }, { 'gitfleet.dev/sync-wave': '1' }),
    });
    await adminCredentials(`${repo}-creds`);
    await createApp('ordered', {
      source: { repoURL: git.repoUrl(repo), secretRef: { name: `${repo}-creds` } },
      destination: { namespace: destNs },
      syncPolicy: { automated: { prune: true }, retry: { limit: 0 } },
    });
    const synced = await waitApp(
      'ordered',
      'Succeeded',
      (a) => a.status?.operationState?.phase === 'Succeeded',
      60_000,
    );
    const order = (synced.status?.operationState?.resources ?? []).map((r) => `${r.kind}/${r.name}`);
    expect(order.indexOf('Job/migrate')).toBeLessThan(order.indexOf('Deployment/db'));
    expect(order.indexOf('Deployment/db')).toBeLessThan(order.indexOf('ConfigMap/after-db'));
    expect(order.indexOf('ConfigMap/after-db')).toBeLessThan(order.indexOf('Job/smoke'));
    const smoke = await mgmt.admin.get({
      apiVersion: 'batch/v1',
      kind: 'Job',
      namespace: destNs,
      name: 'smoke',
    });
    expect((smoke.status as { succeeded?: number }).succeeded).toBe(1);

    // A failing PreSync hook stops the sync before anything of the Sync phase changes.
    await git.commit(repo, {
      'pre.yaml': job('migrate', 'PreSync', true),
      'wave1.yaml': configMap('after-db', { ok: 'changed' }, { 'gitfleet.dev/sync-wave': '1' }),
    });
    controller.refresh(`${appNs}/ordered`);
    const failed = await waitApp(
      'ordered',
      'PreSync failure',
      (a) => a.status?.operationState?.phase === 'Failed',
      60_000,
    );
    expect(failed.status?.operationState?.message).toMatch(/PreSync/);
    const cmAfter = await mgmt.admin.get({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      namespace: destNs,
      name: 'after-db',
    });
    expect((cmAfter.data as Record<string, string>).ok).toBe('yes');
  });

  it('waits for a wave to be healthy before the next one', async () => {
    const repo = uniqueName('waves');
    const destNs = await createNamespace(mgmt.admin, 'waves');
    const git = fleet.git;
    await git.createRepo(repo);
    await git.commit(repo, {
      'stuck.yaml': JSON.stringify({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'stuck' },
        spec: {
          progressDeadlineSeconds: 600,
          selector: { matchLabels: { app: 'stuck' } },
          template: {
            metadata: { labels: { app: 'stuck' } },
            spec: { nodeSelector: { 'no-such-node': 'x' }, containers: [{ name: 'c', image: 'nginx' }] },
          },
        },
      }),
      'later.yaml': configMap('later', { a: 'b' }, { 'gitfleet.dev/sync-wave': '1' }),
    });
    await adminCredentials(`${repo}-creds`);
    await createApp('waves', {
      source: { repoURL: git.repoUrl(repo), secretRef: { name: `${repo}-creds` } },
      destination: { namespace: destNs },
      syncPolicy: { automated: {}, retry: { limit: 0 } },
    });
    const app = await waitApp(
      'waves',
      'sync failed on health timeout',
      (a) => a.status?.operationState?.phase === 'Failed',
      60_000,
    );
    expect(app.status?.operationState?.message).toMatch(/timed out .*Deployment\/.*\/stuck/);
    expect(
      await mgmt.admin.getOrUndefined({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        namespace: destNs,
        name: 'later',
      }),
    ).toBeUndefined();
  });

  it('reports wrong credentials clearly and changes nothing', async () => {
    const repo = uniqueName('private');
    const destNs = await createNamespace(mgmt.admin, 'creds');
    await fleet.git.createRepo(repo);
    await fleet.git.commit(repo, { 'cm.yaml': configMap('nope', { a: 'b' }) });
    await mgmt.admin.create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: `${repo}-bad`, namespace: appNs },
      stringData: { username: 'reader', password: 'WRONG-password-123' },
    });
    await createApp('badcreds', {
      source: { repoURL: fleet.git.repoUrl(repo), secretRef: { name: `${repo}-bad` } },
      destination: { namespace: destNs },
      syncPolicy: { automated: {} },
    });
    const app = await waitApp(
      'badcreds',
      'SourceFailed',
      (a) => a.status?.conditions?.some((c) => c.type === 'SourceFailed') ?? false,
    );
    const msg = app.status?.conditions?.find((c) => c.type === 'SourceFailed')?.message ?? '';
    expect(msg).toMatch(/authentication failed/i);
    expect(msg).not.toContain('WRONG-password-123');
    expect(
      await mgmt.admin.getOrUndefined({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        namespace: destNs,
        name: 'nope',
      }),
    ).toBeUndefined();
  });

  it('prunes nothing when the render comes back empty without allowEmpty', async () => {
    const repo = uniqueName('empty');
    const destNs = await createNamespace(mgmt.admin, 'empty');
    await fleet.git.createRepo(repo);
    await fleet.git.commit(repo, {
      'app/cm.yaml': configMap('survivor', { a: 'b' }),
      'app/README.md': 'docs',
    });
    await adminCredentials(`${repo}-creds`);
    await createApp('empty', {
      source: { repoURL: fleet.git.repoUrl(repo), path: 'app', secretRef: { name: `${repo}-creds` } },
      destination: { namespace: destNs },
      syncPolicy: { automated: { prune: true }, retry: { limit: 0 } },
    });
    await waitApp(
      'empty',
      'Synced',
      (a) => a.status?.sync?.status === 'Synced' && a.status.operationState?.phase === 'Succeeded',
    );
    await fleet.git.commit(repo, { 'app/cm.yaml': null });
    controller.refresh(`${appNs}/empty`);
    const app = await waitApp(
      'empty',
      'refused the empty render',
      (a) => a.status?.operationState?.phase === 'Failed',
    );
    expect(app.status?.operationState?.message).toMatch(/rendered no objects/);
    expect(
      await mgmt.admin.getOrUndefined({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        namespace: destNs,
        name: 'survivor',
      }),
    ).toBeDefined();
  });

  it('waits for the Applications it depends on to be Healthy', async () => {
    const repo = uniqueName('deps');
    const destNs = await createNamespace(mgmt.admin, 'deps');
    await fleet.git.createRepo(repo);
    await fleet.git.commit(repo, {
      'db/cm.yaml': configMap('db', { a: 'b' }),
      'api/cm.yaml': configMap('api', { a: 'b' }),
    });
    await adminCredentials(`${repo}-creds`);
    const source = (path: string): Record<string, unknown> => ({
      repoURL: fleet.git.repoUrl(repo),
      path,
      secretRef: { name: `${repo}-creds` },
    });
    await createApp('api', {
      source: source('api'),
      destination: { namespace: destNs },
      syncPolicy: { automated: {} },
      dependsOn: [{ name: 'db' }],
    });
    const waiting = await waitApp(
      'api',
      'DependencyNotReady',
      (a) => a.status?.conditions?.some((c) => c.type === 'DependencyNotReady') ?? false,
    );
    expect(waiting.status?.conditions?.find((c) => c.type === 'DependencyNotReady')?.message).toContain(
      `${appNs}/db`,
    );
    expect(
      await mgmt.admin.getOrUndefined({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        namespace: destNs,
        name: 'api',
      }),
    ).toBeUndefined();
    await createApp('db', {
      source: source('db'),
      destination: { namespace: destNs },
      syncPolicy: { automated: {} },
    });
    await waitApp(
      'api',
      'Synced after db is Healthy',
      (a) => a.status?.sync?.status === 'Synced' && a.status.operationState?.phase === 'Succeeded',
    );
    expect(
      await mgmt.admin.getOrUndefined({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        namespace: destNs,
        name: 'api',
      }),
    ).toBeDefined();
  });

  it('refuses a symlink out of the repository', async () => {
    const repo = uniqueName('symlink');
    const destNs = await createNamespace(mgmt.admin, 'symlink');
    await fleet.git.createRepo(repo);
    await fleet.git.commit(repo, {
      'app/passwd.yaml': { symlink: '/etc/passwd' },
      'app/ok.yaml': configMap('ok', { a: 'b' }),
    });
    await adminCredentials(`${repo}-creds`);
    await createApp('symlink', {
      source: { repoURL: fleet.git.repoUrl(repo), path: 'app', secretRef: { name: `${repo}-creds` } },
      destination: { namespace: destNs },
      syncPolicy: { automated: {} },
    });
    const app = await waitApp(
      'symlink',
      'RenderFailed',
      (a) => a.status?.conditions?.some((c) => c.type === 'RenderFailed') ?? false,
    );
    expect(app.status?.conditions?.find((c) => c.type === 'RenderFailed')?.message).toMatch(
      /passwd\.yaml.*outside|outside.*passwd/i,
    );
    expect(
      await mgmt.admin.getOrUndefined({ apiVersion: 'v1', kind: 'ConfigMap', namespace: destNs, name: 'ok' }),
    ).toBeUndefined();
  });
});
