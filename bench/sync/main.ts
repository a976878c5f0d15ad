// Sync engine benchmarks against the harness (real kube-apiserver, real Git server):
//   1. commit-to-applied latency, p50/p95 over N commits, with the push webhook and with polling;
//   2. cold sync of one Application of 200 objects, then a no-op reconcile (objects rewritten: 0?);
//   3. 200 Applications idle for 2 minutes: controller CPU seconds and resident memory.
//   npx tsx bench/sync/main.ts [--commits 20] [--poll-ms 5000] [--apps 200] [--idle-ms 120000] [--only latency,cold,idle]
// Prints figures and, last, `RESULT {json}`.
import { createHmac, randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { API_VERSION, type Application } from '../../src/api/application.js';
import { installCrds } from '../../src/cli/commands/install.js';
import { ApplicationController } from '../../src/controllers/application/controller.js';
import { GitSources } from '../../src/engine/source/index.js';
import { startHubServer } from '../../src/hub/server.js';
import { KubeClient, loadConnection, type KubeObject } from '../../src/kube/index.js';
import { startFleet } from '../../test/harness/fleet.js';
import { toolPath } from '../../test/harness/tools.js';
import { waitFor } from '../../test/harness/wait.js';

const { values } = parseArgs({
  options: {
    commits: { type: 'string', default: '20' },
    'poll-ms': { type: 'string', default: '5000' },
    apps: { type: 'string', default: '200' },
    'idle-ms': { type: 'string', default: '120000' },
    only: { type: 'string', default: 'latency,cold,idle' },
  },
});
const commits = Number(values.commits);
const pollMs = Number(values['poll-ms']);
const appCount = Number(values.apps);
const idleMs = Number(values['idle-ms']);
const only = new Set(values.only.split(','));
const SECRET = 'bench-secret';
const result: Record<string, unknown> = { bench: 'sync' };

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0);
};
const cm = (name: string, data: Record<string, string>): string =>
  JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data });

const fleet = await startFleet({ clusters: ['bench'] });
const [cluster] = fleet.clusters;
if (!cluster) throw new Error('no cluster');
const { admin, kubeconfig } = cluster;
await installCrds(admin);
const log = pino({ level: 'warn' });
const credsSecret = async (ns: string): Promise<void> => {
  await admin.apply(
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'repo', namespace: ns },
      stringData: { username: fleet.git.info.admin.username, password: fleet.git.info.admin.password },
    },
    { fieldManager: 'bench' },
  );
};
const ns = async (name: string): Promise<string> => {
  await admin.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }, { fieldManager: 'bench' });
  return name;
};

/** A controller of its own per scenario, so that one scenario's queue never delays another's. */
async function controllerFor(
  appNs: string,
  poll: number,
): Promise<{
  controller: ApplicationController;
  client: KubeClient;
  stop: () => Promise<void>;
  hubPort: number;
}> {
  const client = new KubeClient(await loadConnection({ file: kubeconfig }));
  const controller = new ApplicationController({
    client,
    namespace: appNs,
    sources: new GitSources({
      cacheDir: mkdtempSync(join(tmpdir(), 'gitfleet-bench-')),
      fetchIntervalMs: poll,
    }),
    pollIntervalMs: poll,
    renderOptions: { kustomizeBinary: toolPath('kustomize'), helmBinary: toolPath('helm') },
    concurrency: 4,
    log,
  });
  controller.start();
  const hub = await startHubServer({
    port: 0,
    webhookSecrets: { gitea: SECRET },
    onPush: (u) => controller.onPush(u),
    log,
  });
  return {
    controller,
    client,
    hubPort: hub.port,
    stop: async () => (controller.stop(), await hub.close(), client.close()),
  };
}

async function createApp(
  appNs: string,
  name: string,
  repoUrl: string,
  path: string,
  destNs: string,
): Promise<void> {
  await admin.create({
    apiVersion: API_VERSION,
    kind: 'Application',
    metadata: { name, namespace: appNs },
    spec: {
      source: { repoURL: repoUrl, path, secretRef: { name: 'repo' } },
      destination: { namespace: destNs },
      syncPolicy: { automated: { prune: true, selfHeal: true } },
    },
  } as KubeObject);
}

async function measureLatency(
  mode: 'webhook' | 'polling',
): Promise<{ p50: number; p95: number; max: number }> {
  const appNs = await ns(`bench-lat-${mode}`);
  const destNs = await ns(`bench-lat-${mode}-dest`);
  await credsSecret(appNs);
  const repo = `latency-${mode}`;
  const url = await fleet.git.createRepo(repo);
  await fleet.git.commit(repo, { 'app/cm.yaml': cm('value', { n: '0' }) });
  // Polling mode: the interval is what is measured. Webhook mode: polling is effectively off.
  const ctl = await controllerFor(appNs, mode === 'polling' ? pollMs : 3_600_000);
  await createApp(appNs, 'app', url, 'app', destNs);
  const read = async (): Promise<string | undefined> =>
    (
      (await admin.getOrUndefined({ apiVersion: 'v1', kind: 'ConfigMap', namespace: destNs, name: 'value' }))
        ?.data as Record<string, string> | undefined
    )?.n;
  await waitFor('first sync', async () => (await read()) === '0', { timeoutMs: 60_000, intervalMs: 50 });
  const latencies: number[] = [];
  for (let i = 1; i <= commits; i++) {
    await fleet.git.commit(repo, { 'app/cm.yaml': cm('value', { n: String(i) }) });
    const t0 = performance.now();
    if (mode === 'webhook') {
      // A real push body is unique (new `after`, timestamps); the hub ignores a repeated one as a replay.
      const body = JSON.stringify({
        ref: 'refs/heads/main',
        after: randomUUID(),
        repository: { clone_url: url },
      });
      const res = await fetch(`http://127.0.0.1:${ctl.hubPort}/api/webhook`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-gitea-event': 'push',
          'x-gitea-signature': createHmac('sha256', SECRET).update(body).digest('hex'),
        },
        body,
      });
      if (res.status !== 202) throw new Error(`webhook answered ${res.status}`);
    }
    await waitFor(`commit ${i} applied`, async () => (await read()) === String(i), {
      timeoutMs: pollMs * 3 + 30_000,
      intervalMs: 20,
    });
    latencies.push(performance.now() - t0);
  }
  await ctl.stop();
  const r = { p50: pct(latencies, 50), p95: pct(latencies, 95), max: Math.round(Math.max(...latencies)) };
  console.log(
    `commit-to-applied (${mode}${mode === 'polling' ? `, interval ${pollMs} ms` : ''}) over ${commits} commits: p50 ${r.p50} ms, p95 ${r.p95} ms, max ${r.max} ms`,
  );
  return r;
}

if (only.has('latency')) {
  result.latencyWebhookMs = await measureLatency('webhook');
  result.latencyPollingMs = { ...(await measureLatency('polling')), intervalMs: pollMs };
}

if (only.has('cold')) {
  const appNs = await ns('bench-cold');
  const destNs = await ns('bench-cold-dest');
  await credsSecret(appNs);
  const files: Record<string, string> = {};
  for (let i = 0; i < 150; i++)
    files[`big/cm-${i}.yaml`] = cm(`cm-${i}`, { index: String(i), payload: 'x'.repeat(200) });
  for (let i = 0; i < 25; i++) {
    files[`big/svc-${i}.yaml`] = JSON.stringify({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: `svc-${i}` },
      spec: { selector: { app: `d-${i}` }, ports: [{ port: 80 }] },
    });
    files[`big/deploy-${i}.yaml`] = JSON.stringify({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: `d-${i}` },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: `d-${i}` } },
        template: {
          metadata: { labels: { app: `d-${i}` } },
          spec: { containers: [{ name: 'c', image: 'nginx' }] },
        },
      },
    });
  }
  const url = await fleet.git.createRepo('cold');
  await fleet.git.commit('cold', files);
  const ctl = await controllerFor(appNs, 3_600_000);
  const t0 = performance.now();
  await createApp(appNs, 'big', url, 'big', destNs);
  const get = (): Promise<Application> =>
    admin.get<Application>({ apiVersion: API_VERSION, kind: 'Application', namespace: appNs, name: 'big' });
  await waitFor(
    '200 objects Synced and Healthy',
    async () => {
      const a = await get();
      return (
        a.status?.sync?.status === 'Synced' &&
        a.status.health?.status === 'Healthy' &&
        (a.status.resources?.length ?? 0) === 200
      );
    },
    { timeoutMs: 300_000, intervalMs: 100 },
  );
  const coldMs = performance.now() - t0;
  const versions = async (): Promise<Map<string, string>> => {
    const out = new Map<string, string>();
    for (const [v, k] of [
      ['v1', 'ConfigMap'],
      ['v1', 'Service'],
      ['apps/v1', 'Deployment'],
    ] as const) {
      for (const o of (
        await admin.list(v, k, { namespace: destNs, labelSelector: 'app.kubernetes.io/managed-by=gitfleet' })
      ).items)
        out.set(`${k}/${o.metadata.name}`, o.metadata.resourceVersion ?? '');
    }
    return out;
  };
  await new Promise((r) => setTimeout(r, 3000)); // let rollout status updates settle
  const before = await versions();
  const reconciledBefore = (await get()).status?.reconciledAt;
  const counts0 = { ...ctl.client.requestCounts };
  const t1 = performance.now();
  ctl.controller.refresh(`${appNs}/big`);
  await waitFor('no-op reconcile', async () => (await get()).status?.reconciledAt !== reconciledBefore, {
    timeoutMs: 120_000,
    intervalMs: 20,
  });
  const noopMs = performance.now() - t1;
  const after = await versions();
  const rewritten = [...before].filter(([k, v]) => after.get(k) !== v && !k.startsWith('Deployment/')).length;
  const deploymentsTouched = [...before].filter(
    ([k, v]) => k.startsWith('Deployment/') && after.get(k) !== v,
  ).length;
  const delta: Record<string, number> = {};
  for (const [k, v] of Object.entries(ctl.client.requestCounts))
    if (v - (counts0[k] ?? 0)) delta[k] = v - (counts0[k] ?? 0);
  await ctl.stop();
  console.log(
    `cold sync of 200 objects (150 ConfigMaps, 25 Services, 25 Deployments) to Synced+Healthy: ${Math.round(coldMs)} ms`,
  );
  console.log(
    `no-op reconcile: ${Math.round(noopMs)} ms; objects rewritten: ${rewritten} (Deployments with a new resourceVersion: ${deploymentsTouched}, status only); requests: ${JSON.stringify(delta)}`,
  );
  result.cold200 = {
    coldSyncMs: Math.round(coldMs),
    noopReconcileMs: Math.round(noopMs),
    objectsRewritten: rewritten,
    requests: delta,
  };
}

if (only.has('idle')) {
  const appNs = await ns('bench-idle');
  await credsSecret(appNs);
  const files: Record<string, string> = {};
  for (let i = 0; i < appCount; i++) files[`apps/a${i}/cm.yaml`] = cm(`cfg-${i}`, { app: String(i) });
  const url = await fleet.git.createRepo('idle');
  await fleet.git.commit('idle', files);
  const destNs = await ns('bench-idle-dest');
  const rss0 = process.memoryUsage().rss;
  const ctl = await controllerFor(appNs, 180_000);
  for (let i = 0; i < appCount; i++) await createApp(appNs, `a${i}`, url, `apps/a${i}`, destNs);
  const t0 = performance.now();
  await waitFor(
    `${appCount} apps Synced`,
    async () => {
      const l = await admin.list<Application>(API_VERSION, 'Application', { namespace: appNs });
      return (
        l.items.filter((a) => a.status?.sync?.status === 'Synced' && a.status.health?.status === 'Healthy')
          .length === appCount
      );
    },
    { timeoutMs: 600_000, intervalMs: 500 },
  );
  const syncAllMs = performance.now() - t0;
  global.gc?.();
  const cpu0 = process.cpuUsage();
  const rssStart = process.memoryUsage().rss;
  await new Promise((r) => setTimeout(r, idleMs));
  const cpu = process.cpuUsage(cpu0);
  const rssEnd = process.memoryUsage().rss;
  await ctl.stop();
  const cpuSeconds = Math.round(((cpu.user + cpu.system) / 1e6) * 100) / 100;
  console.log(`${appCount} Applications: all Synced+Healthy ${Math.round(syncAllMs)} ms after creation`);
  console.log(
    `idle ${idleMs / 1000} s: controller CPU ${cpuSeconds} s, RSS ${Math.round(rssEnd / 1048576)} MiB (process before controller ${Math.round(rss0 / 1048576)} MiB, at idle start ${Math.round(rssStart / 1048576)} MiB)`,
  );
  result.idle = {
    apps: appCount,
    syncAllMs: Math.round(syncAllMs),
    idleSeconds: idleMs / 1000,
    cpuSeconds,
    rssMiB: Math.round(rssEnd / 1048576),
    rssBeforeControllerMiB: Math.round(rss0 / 1048576),
  };
}

await fleet.stop();
console.log(`RESULT ${JSON.stringify(result)}`);
process.exit(0);
