// Progressive delivery figures on the real harness (one cluster, a real Prometheus scraping a
// metrics target the bench controls):
// 1. time from the failing analysis measurement to the stable version serving alone again
//    (canary slot at 0 replicas, status Failed); goal ≤ one analysis interval + 2 s;
// 2. CPU of the delivery controller while N canaries (default 100) each run an analysis every
//    second, over 20 s, with the API requests it sent per second (by method) and the time the N
//    canaries took to get there. Run: npx tsx bench/delivery/main.ts [--canaries 100]
// The controller has a client of its own, so its request counts are its own (the bench polls
// through another).
import { mkdtempSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { API_VERSION } from '../../src/api/application.js';
import type { Canary } from '../../src/api/delivery.js';
import { installCrds } from '../../src/cli/commands/install.js';
import { DeliveryController } from '../../src/controllers/delivery/controller.js';
import { KubeClient, loadConnection, type KubeObject } from '../../src/kube/index.js';
import { startFleet } from '../../test/harness/fleet.js';
import { startMetricsTarget } from '../../test/harness/metrics-target.js';
import { startPrometheus } from '../../test/harness/prometheus.js';
import { waitFor } from '../../test/harness/wait.js';

const { values } = parseArgs({ options: { canaries: { type: 'string', default: '100' } } });
const N = Number(values.canaries);
const INTERVAL_MS = 1000;
// Each canary runs 2 stable pods and 1 canary pod; a kwok node takes 110 pods, so the nodes are
// sized for N (with 100 canaries on 2 nodes, 82 canary pods stayed unscheduled and the bench waited
// forever). The run directory is outside .gitfleet-run: every test run prunes that to 5 runs.
const NODES = Math.max(2, Math.ceil((N * 3 + 20) / 100));
const fleet = await startFleet({
  clusters: ['delivery'],
  nodesPerCluster: NODES,
  baseDir: join(tmpdir(), 'gitfleet-bench', 'runs'),
});
const cluster = fleet.clusters[0];
if (!cluster) throw new Error('no cluster');
const client = new KubeClient(await loadConnection({ file: cluster.kubeconfig }));
await installCrds(client);
const dir = mkdtempSync(join(tmpdir(), 'gitfleet-bench-delivery-'));
const target = await startMetricsTarget();
const prom = await startPrometheus(join(dir, 'prom'), join(fleet.info().runDir, 'logs'), [target.address]);
const ctlClient = new KubeClient(await loadConnection({ file: cluster.kubeconfig }));
const controller = new DeliveryController({
  client: ctlClient,
  cluster: 'bench',
  log: pino({ level: 'warn' }),
});
controller.start();

const deploy = (ns: string, image: string): KubeObject =>
  ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: ns },
    spec: {
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image }] } },
    },
  }) as KubeObject;

async function setup(ns: string, count: number): Promise<void> {
  await client.apply(
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } },
    { fieldManager: 'bench' },
  );
  await client.apply(
    {
      apiVersion: API_VERSION,
      kind: 'AnalysisTemplate',
      metadata: { name: 'err', namespace: ns },
      spec: {
        metrics: [
          {
            name: 'rate',
            interval: `${INTERVAL_MS}ms`,
            count,
            successCondition: 'result[0] < 0.05',
            provider: {
              prometheus: {
                address: prom.url,
                query: `sum(demo_requests_total{app="{{args.namespace}}",code="500"}) / sum(demo_requests_total{app="{{args.namespace}}"})`,
              },
            },
          },
        ],
      },
    } as KubeObject,
    { fieldManager: 'bench' },
  );
  await client.apply(deploy(ns, 'web:v1'), { fieldManager: 'bench' });
  await client.apply(
    {
      apiVersion: API_VERSION,
      kind: 'Canary',
      metadata: { name: 'web', namespace: ns },
      spec: {
        targetRef: { name: 'web' },
        replicas: 2,
        strategy: {
          canary: { steps: [{ setWeight: 50 }, { analysis: { templates: [{ templateName: 'err' }] } }] },
        },
      },
    } as KubeObject,
    { fieldManager: 'bench' },
  );
}
const canary = (ns: string): Promise<Canary> =>
  client.get<Canary>({ apiVersion: API_VERSION, kind: 'Canary', namespace: ns, name: 'web' });

// 1. Failure to stable restored.
const ns = `bench-delivery-${process.pid}`;
target.set(ns, 1000, 0);
await setup(ns, 30);
await waitFor('initialized', async () => (await canary(ns)).status?.phase === 'Initialized', {
  timeoutMs: 120_000,
});
await client.apply(deploy(ns, 'web:v2'), { fieldManager: 'bench' });
await waitFor('analysis running', async () => (await canary(ns)).status?.analysis?.phase === 'Running', {
  timeoutMs: 120_000,
});
target.set(ns, 1000, 500);
const failingSince = Date.now();
const restored = await waitFor(
  'stable restored',
  async () => {
    const c = await canary(ns);
    const slot = await client.get<KubeObject & { spec: { replicas: number } }>({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      namespace: ns,
      name: 'web-green',
    });
    return c.status?.phase === 'Failed' && slot.spec.replicas === 0 ? Date.now() : undefined;
  },
  { timeoutMs: 60_000, intervalMs: 50 },
);
// Prometheus scrapes every second: the error becomes visible to a query up to one scrape later.
const failureToRestoredMs = restored - failingSince;
// From the failing measurement itself (its time as recorded in status) to the stable version
// serving alone: what the controller adds, without the scrape and the wait for the next interval.
const failedAt = Date.parse(
  (await canary(ns)).status?.lastAnalysis?.metrics[0]?.measurements.at(-1)?.at ?? new Date().toISOString(),
);
const failedMeasurementToRestoredMs = restored - failedAt;
console.log(
  `errors set → stable restored: ${failureToRestoredMs} ms; failing measurement → stable restored: ${failedMeasurementToRestoredMs} ms (interval ${INTERVAL_MS} ms, scrape 1 s; goal ≤ interval + 2 s; machine shared)`,
);

// 2. CPU with N canaries analysing every second.
const many = Array.from({ length: N }, (_, i) => `${ns}-m${i}`);
for (const m of many) target.set(m, 1000, 0);
const tSetup = Date.now();
for (let i = 0; i < many.length; i += 10) await Promise.all(many.slice(i, i + 10).map((m) => setup(m, 1000)));
/** Waits until every canary satisfies `ok`; on timeout reports how many did instead of failing. */
async function all(what: string, ok: (c: Canary) => boolean, timeoutMs: number): Promise<number> {
  const t = Date.now();
  let n = 0;
  while (Date.now() - t < timeoutMs) {
    n = (await Promise.all(many.map(canary))).filter(ok).length;
    if (n === N) break;
    await new Promise((r) => setTimeout(r, 2000));
  }
  console.log(`${n}/${N} ${what} after ${Date.now() - t} ms (machine shared)`);
  return Date.now() - t;
}
const initializedMs = await all('initialized', (c) => c.status?.phase === 'Initialized', 600_000);
const setupMs = Date.now() - tSetup;
for (let i = 0; i < many.length; i += 10)
  await Promise.all(
    many.slice(i, i + 10).map((m) => client.apply(deploy(m, 'web:v2'), { fieldManager: 'bench' })),
  );
const analysingMs = await all('analysing', (c) => c.status?.analysis?.phase === 'Running', 600_000);
/** Measurements taken so far, over every canary's current run. */
const measuredNow = async (): Promise<number> =>
  (await Promise.all(many.map(canary))).reduce((n, c) => n + (c.status?.analysis?.metrics[0]?.count ?? 0), 0);
const measured0 = await measuredNow();
const req0 = { ...ctlClient.requestCounts };
const cpu0 = process.cpuUsage();
const t0 = Date.now();
await new Promise((r) => setTimeout(r, 20_000));
const cpu = process.cpuUsage(cpu0);
const wallMs = Date.now() - t0;
const perSecond = Object.fromEntries(
  Object.entries(ctlClient.requestCounts).map(([m, n]) => [
    m,
    Number(((n - (req0[m] ?? 0)) / (wallMs / 1000)).toFixed(1)),
  ]),
);
const cpuPct = ((cpu.user + cpu.system) / 1000 / wallMs) * 100;
// Counted in the window only: a slow controller takes fewer than N per second.
const measured = (await measuredNow()) - measured0;
console.log(
  `${N} canaries analysing every ${INTERVAL_MS} ms: controller process CPU ${cpuPct.toFixed(1)}% of one core over ${wallMs} ms; ${measured} measurements taken in that window (ideal ${N * Math.round(wallMs / INTERVAL_MS)}); controller API requests/s ${JSON.stringify(perSecond)} (machine shared)`,
);
console.log(
  `RESULT ${JSON.stringify({ failureToRestoredMs, failedMeasurementToRestoredMs, loadAverage: loadavg().map((x) => Number(x.toFixed(1))), intervalMs: INTERVAL_MS, canaries: N, setupAndInitializedMs: setupMs, initializedMs, analysingMs, cpuPercentOfCore: Number(cpuPct.toFixed(1)), measurements: measured, controllerRequestsPerSecond: perSecond })}`,
);
controller.stop();
await prom.stop();
await target.stop();
client.close();
ctlClient.close();
await fleet.stop();
process.exit(0);
