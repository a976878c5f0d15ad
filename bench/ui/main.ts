// Web UI benchmark against a real kube-apiserver (the harness), no controllers:
//   1. hub API latency of GET /api/v1/fleet (the matrix in one request), p50/p95 over N requests;
//   2. first render of the fleet matrix in Chromium: navigation start → matrix cells visible, median of R.
// The fleet is 200 services × 10 clusters = 2,000 Applications with statuses written through the
// status subresource; the clusters are Cluster objects only (nothing is synced).
//   npx tsx bench/ui/main.ts [--services 200] [--clusters 10] [--requests 60] [--renders 5]
// Prints figures and, last, `RESULT {json}`.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { chromium } from 'playwright-core';
import { API_VERSION, type ApplicationStatus } from '../../src/api/application.js';
import { FLEET_NAMESPACE } from '../../src/api/cluster.js';
import { installCrds } from '../../src/cli/commands/install.js';
import { mapLimit } from '../../src/core/concurrency.js';
import { startHubServer } from '../../src/hub/server.js';
import { defaultUiDir } from '../../src/hub/static.js';
import { KubeClient, loadConnection } from '../../src/kube/index.js';
import { startFleet } from '../../test/harness/fleet.js';

const { values } = parseArgs({
  options: {
    services: { type: 'string', default: '200' },
    clusters: { type: 'string', default: '10' },
    requests: { type: 'string', default: '60' },
    renders: { type: 'string', default: '5' },
  },
});
const services = Number(values.services);
const clusterCount = Number(values.clusters);
const requests = Number(values.requests);
const renders = Number(values.renders);
const TOKEN = 'bench-ui-token';
const NS = 'bench-ui';
const CHROMIUM = '/usr/bin/chromium';
const SHOTS = resolve('.gitfleet-run/screenshots');
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const ui = defaultUiDir();
if (!ui || !existsSync(join(ui, 'index.html'))) throw new Error('the web UI is not built: run `make ui`');
if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium`);

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0);
};
const median = (xs: number[]): number => pct(xs, 50);

// A run directory of its own: the benchmark never shares (or prunes) the tests' run directories.
const base = mkdtempSync(join(tmpdir(), 'gitfleet-bench-ui-'));
const fleet = await startFleet({ clusters: ['bench-ui'], baseDir: base });
const [cluster] = fleet.clusters;
if (!cluster) throw new Error('no cluster');
const { admin } = cluster;
await installCrds(admin);
for (const name of [FLEET_NAMESPACE, NS])
  await admin.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }, { fieldManager: 'bench' });

const envs = ['dev', 'staging', 'prod'];
const clusterNames = Array.from({ length: clusterCount }, (_, i) => `c${String(i).padStart(2, '0')}`);
await mapLimit(clusterNames, 8, async (name, i) => {
  await admin.create({
    apiVersion: API_VERSION,
    kind: 'Cluster',
    metadata: { name, namespace: FLEET_NAMESPACE, labels: { env: envs[i % envs.length] ?? 'dev' } },
    spec: { mode: 'push', server: `https://${name}.example:6443`, secretRef: { name: `${name}-kubeconfig` } },
  });
  await admin.request({
    method: 'PATCH',
    path: `/apis/${API_VERSION}/namespaces/${FLEET_NAMESPACE}/clusters/${name}/status`,
    body: { status: { reachable: i !== 3, serverVersion: 'v1.36.3', lastCheck: new Date().toISOString() } },
    contentType: 'application/merge-patch+json',
  });
});

/** A realistic status: most apps Synced+Healthy, some OutOfSync (a few drifted), some Degraded. */
function statusOf(i: number): ApplicationStatus {
  const rev = (n: number): string => n.toString(16).padStart(40, 'a');
  const outOfSync = i % 17 === 0;
  const drift = i % 51 === 0;
  const degraded = i % 29 === 0;
  const now = new Date().toISOString();
  return {
    sync: { status: outOfSync || drift ? 'OutOfSync' : 'Synced', revision: rev(drift ? 1 : 2) },
    health: { status: degraded ? 'Degraded' : i % 13 === 0 ? 'Progressing' : 'Healthy' },
    operationState: {
      phase: 'Succeeded',
      message: '3 change(s) applied',
      startedAt: now,
      finishedAt: now,
      revision: rev(1),
    },
    resources: ['Deployment', 'Service', 'ConfigMap'].map((kind) => ({
      group: kind === 'Deployment' ? 'apps' : '',
      version: 'v1',
      kind,
      namespace: 'svc',
      name: `svc-${i}`,
      status: 'Synced' as const,
      health: { status: 'Healthy' as const },
    })),
    history: [
      { id: 0, revision: rev(1), deployedAt: now, source: { repoURL: 'http://git.example/fleet.git' } },
    ],
    reconciledAt: now,
  };
}

const apps = Array.from({ length: services * clusterCount }, (_, i) => ({
  i,
  name: `svc-${String(Math.floor(i / clusterCount)).padStart(3, '0')}-${clusterNames[i % clusterCount] ?? ''}`,
  cluster: clusterNames[i % clusterCount] ?? '',
}));
const tCreate = performance.now();
await mapLimit(apps, 16, async (a) => {
  await admin.create({
    apiVersion: API_VERSION,
    kind: 'Application',
    metadata: { name: a.name, namespace: NS, labels: { 'gitfleet.dev/applicationset': 'services' } },
    spec: {
      source: { repoURL: 'http://git.example/fleet.git', path: `apps/${a.name}` },
      destination: { name: a.cluster, namespace: 'svc' },
    },
  });
  await admin.request({
    method: 'PATCH',
    path: `/apis/${API_VERSION}/namespaces/${NS}/applications/${a.name}/status`,
    body: { status: statusOf(a.i) },
    contentType: 'application/merge-patch+json',
  });
});
console.log(
  `${apps.length} Applications (${services} services × ${clusterCount} clusters) created with statuses in ${Math.round(performance.now() - tCreate)} ms`,
);

// One ApplicationSet with a roll-out in progress, so the screenshots show the roll-out page too.
await admin.create({
  apiVersion: API_VERSION,
  kind: 'ApplicationSet',
  metadata: { name: 'services', namespace: NS },
  spec: {
    generators: [{ clusters: {} }],
    template: {
      metadata: { name: '{{name}}' },
      spec: { source: { repoURL: 'http://git.example/fleet.git' }, destination: { name: '{{name}}' } },
    },
    strategy: {
      type: 'RollingSync',
      rollingSync: {
        steps: envs.map((env) => ({
          clusterSelector: { matchLabels: { env } },
          ...(env === 'prod' ? { approval: true } : { soakSeconds: 60 }),
        })),
      },
    },
  },
});
await admin.request({
  method: 'PATCH',
  path: `/apis/${API_VERSION}/namespaces/${NS}/applicationsets/services/status`,
  body: {
    status: {
      applications: apps.slice(0, 40).map((a) => ({
        name: a.name,
        // Step i selects env=envs[i]; cluster cN carries envs[N % 3].
        step: Number(a.cluster.slice(1)) % envs.length,
      })),
      rollout: {
        revision: 'b'.repeat(40),
        stableRevision: 'a'.repeat(40),
        phase: 'WaitingApproval',
        step: 2,
        message: 'step 3 (env=prod) waits for approval',
      },
    },
  },
  contentType: 'application/merge-patch+json',
});

const client = new KubeClient(await loadConnection({ file: cluster.kubeconfig }));
const hub = await startHubServer({
  port: 0,
  webhookSecrets: {},
  onPush: () => [],
  api: { client, tokens: [TOKEN] },
  log: pino({ level: 'warn' }),
});
const fleetUrl = `http://127.0.0.1:${hub.port}/api/v1/fleet`;
const getFleet = async (): Promise<{ ms: number; bytes: number; cells: number }> => {
  const t0 = performance.now();
  const res = await fetch(fleetUrl, { headers: { Authorization: `Bearer ${TOKEN}` } });
  const text = await res.text();
  const ms = performance.now() - t0;
  if (!res.ok) throw new Error(`GET /api/v1/fleet: ${res.status} ${text.slice(0, 200)}`);
  const body = JSON.parse(text) as { rows: { cells: Record<string, unknown> }[] };
  return { ms, bytes: text.length, cells: body.rows.reduce((n, r) => n + Object.keys(r.cells).length, 0) };
};
for (let i = 0; i < 5; i++) await getFleet(); // warm-up: discovery, connection pools, JIT
const times: number[] = [];
let last = { ms: 0, bytes: 0, cells: 0 };
for (let i = 0; i < requests; i++) {
  last = await getFleet();
  times.push(last.ms);
}
if (last.cells !== apps.length)
  throw new Error(`the fleet view has ${last.cells} cells, expected ${apps.length}`);
const api = { requests, p50Ms: pct(times, 50), p95Ms: pct(times, 95), bytes: last.bytes, cells: last.cells };
console.log(
  `GET /api/v1/fleet (${api.cells} cells, ${Math.round(api.bytes / 1024)} KiB): p50 ${api.p50Ms} ms, p95 ${api.p95Ms} ms over ${requests} requests`,
);

const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
const renderMs: number[] = [];
let domCells = 0;
try {
  for (let i = 0; i < renders; i++) {
    // A fresh context each time: no cache, the token set before the app's first script runs.
    const context = await browser.newContext({ viewport: { width: 1600, height: 1000 } });
    // Page code as strings: this file is type-checked for Node, without the DOM's types.
    await context.addInitScript({
      content: `sessionStorage.setItem('gitfleet.token', ${JSON.stringify(TOKEN)})`,
    });
    const page = await context.newPage();
    await page.goto(`http://127.0.0.1:${hub.port}/`);
    // Polled every animation frame; performance.now() counts from the navigation start.
    await page.waitForFunction(`document.querySelector('[data-testid^="cell-"]') !== null`, undefined, {
      polling: 'raf',
      timeout: 60_000,
    });
    renderMs.push(await page.evaluate<number>('performance.now()'));
    domCells = await page.evaluate<number>(`document.querySelectorAll('[data-testid^="cell-"]').length`);
    if (i === 0) {
      // Pictures to look at, not measured: the matrix at scale, a cluster and the roll-out.
      mkdirSync(SHOTS, { recursive: true });
      await page.screenshot({ path: join(SHOTS, 'bench-matrix.png') });
      await page.goto(`http://127.0.0.1:${hub.port}/clusters/${clusterNames[0] ?? ''}`);
      await page.waitForSelector('[data-testid="cluster-reachable"]');
      await page.screenshot({ path: join(SHOTS, 'bench-cluster.png') });
      await page.goto(`http://127.0.0.1:${hub.port}/rollouts/${NS}/services`);
      await page.waitForSelector('.steps');
      await page.screenshot({ path: join(SHOTS, 'bench-rollout.png'), fullPage: true });
    }
    await context.close();
  }
} finally {
  await browser.close();
}
const render = {
  runs: renders,
  medianMs: median(renderMs),
  minMs: Math.round(Math.min(...renderMs)),
  maxMs: Math.round(Math.max(...renderMs)),
  domCells,
};
console.log(
  `first render of the matrix in Chromium (navigation start → cells visible): median ${render.medianMs} ms (min ${render.minMs}, max ${render.maxMs}, ${renders} runs); ${domCells} of ${apps.length} cells in the DOM (windowed)`,
);

await hub.close();
client.close();
await fleet.stop();
rmSync(base, { recursive: true, force: true });
console.log(
  `RESULT ${JSON.stringify({ bench: 'ui', applications: apps.length, services, clusters: clusterCount, fleetApi: api, firstRender: render })}`,
);
process.exit(0);
