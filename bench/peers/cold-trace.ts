// Where a cold sync's wall time goes, app by app: a fresh hub (empty caches) per run, N apps of the
// bench/peers fleet created at once, and every 100 ms the Applications and the Deployments they
// apply are read. Per app: when it was first seen Synced, when its Deployment first reported
// Available, and when the hub first reported it Healthy. The last gap ("health lag") is the hub
// noticing a health change; a lag of seconds means a missed watch event and a fallback re-check.
//   npx tsx bench/peers/cold-trace.ts [--services 10] [--runs 3] [--concurrency N] [--cold-cluster]
// Last line: `RESULT {json}`.
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { API_VERSION, type Application } from '../../src/api/application.js';
import { installCrds } from '../../src/cli/commands/install.js';
import type { KubeObject } from '../../src/kube/index.js';
import { startFleet } from '../../test/harness/fleet.js';
import { waitFor } from '../../test/harness/wait.js';
import {
  benchDir,
  compileHub,
  createGitfleetApps,
  fleetRepoFiles,
  procSample,
  serviceName,
  startHub,
  warmCluster,
} from './lib.js';

const { values } = parseArgs({
  options: {
    services: { type: 'string', default: '10' },
    runs: { type: 'string', default: '3' },
    // Leave the fresh cluster cold (no warm-up apply before run 1): what a first-ever sync costs.
    'cold-cluster': { type: 'boolean', default: false },
    // The hub's --concurrency; omitted: its default.
    concurrency: { type: 'string' },
  },
});
const services = Number(values.services);
const runs = Number(values.runs);
const concurrency = values.concurrency ? Number(values.concurrency) : undefined;

interface AppTrace {
  app: string;
  syncedMs?: number;
  availableMs?: number;
  healthyMs?: number;
}

interface RunTrace {
  run: number;
  coldMs: number;
  hubCpuS: number;
  /** Median and worst of healthyMs - max(availableMs, syncedMs). */
  lagP50Ms: number;
  lagMaxMs: number;
  syncedP50Ms: number;
  syncedMaxMs: number;
  availableMaxMs: number;
  /** The hub's own histograms at the end of the run: count and total seconds per stage. */
  stages: Record<string, { count: number; sumS: number }>;
  apps: AppTrace[];
}

interface Deployment extends KubeObject {
  status?: { conditions?: { type: string; status: string }[] };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s[Math.floor((s.length - 1) / 2)] ?? 0) : 0;
};

/**
 * Where the hub's time went, from its /metrics: count and summed seconds of its reconciles (by
 * outcome), Git fetches and renders (by outcome), summed over repositories.
 */
async function stageSums(port: number): Promise<Record<string, { count: number; sumS: number }>> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const out: Record<string, { count: number; sumS: number }> = {};
  const stage: Record<string, string> = {
    gitfleet_app_reconcile_duration_seconds: 'reconcile',
    gitfleet_git_fetch_duration_seconds: 'fetch',
    gitfleet_render_duration_seconds: 'render',
  };
  for (const line of text.split('\n')) {
    const m = /^(\w+)_(sum|count)(?:\{([^}]*)\})? (\S+)$/.exec(line);
    const name = m && stage[m[1] ?? ''];
    if (!m || !name) continue;
    const outcome = /outcome="([^"]*)"/.exec(m[3] ?? '')?.[1];
    const key = outcome ? `${name}(${outcome})` : name;
    const e = (out[key] ??= { count: 0, sumS: 0 });
    if (m[2] === 'count') e.count += Number(m[4]);
    else e.sumS = Math.round((e.sumS + Number(m[4])) * 1000) / 1000;
  }
  return out;
}

const fleet = await startFleet({
  baseDir: join(benchDir, 'runs'),
  clusters: ['trace'],
  // kwok nodes take 110 pods each: one node per 100 services, and one to spare.
  nodesPerCluster: Math.ceil(services / 100) + 1,
});
const [cluster] = fleet.clusters;
if (!cluster) throw new Error('no cluster');
const { entry, commit } = compileHub();
console.log(`tracing gitfleet at commit ${commit}`);
await installCrds(cluster.admin);
// A CRD just created answers "storage is (re)initializing" for a moment; a hub started then backs
// off its watches, which would count against run 1 only.
await waitFor(
  'the Application CRD served',
  () =>
    cluster.admin
      .list(API_VERSION, 'Application', { namespace: 'default' })
      .then(() => true)
      .catch(() => false),
  { timeoutMs: 30_000, intervalMs: 200 },
);
const repoUrl = await fleet.git.createRepo('fleet');
await fleet.git.commit('fleet', fleetRepoFiles(services));
if (!values['cold-cluster'])
  console.log(`cluster warmed up in ${Math.round(await warmCluster(cluster.admin))} ms`);
const results: RunTrace[] = [];
try {
  for (let run = 1; run <= runs; run++) {
    const stamp = `${Date.now().toString(36)}-${run}`;
    const ns = `trace-${stamp}`;
    const dest = `${ns}-dest`;
    for (const name of [ns, dest])
      await cluster.admin.apply(
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name } },
        { fieldManager: 'bench' },
      );
    await cluster.admin.create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'repo', namespace: ns },
      stringData: { username: fleet.git.info.admin.username, password: fleet.git.info.admin.password },
    });
    const hub = await startHub({
      name: `hub-trace-${stamp}`,
      runDir: fleet.runDir,
      entry,
      kubeconfig: cluster.kubeconfig,
      namespace: ns,
      pollInterval: '1m',
      ...(concurrency ? { concurrency } : {}),
    });
    const traces = new Map<string, AppTrace>();
    for (let i = 0; i < services; i++) traces.set(serviceName(i), { app: serviceName(i) });
    const p0 = procSample(hub.process.pid);
    const t0 = performance.now();
    // The hub's debug lines carry epoch milliseconds: this puts them on the run's clock.
    console.log(`run ${run}: apps created from epoch ms ${Date.now()}`);
    await createGitfleetApps(
      cluster.admin,
      ns,
      repoUrl,
      Array.from({ length: services }, (_, i) => ({ index: i, destNamespace: dest })),
    );
    await waitFor(
      `${services} apps Synced+Healthy (run ${run})`,
      async () => {
        if (!hub.process.running) throw new Error(`the hub exited:\n${hub.process.tail()}`);
        const now = performance.now() - t0;
        const [apps, deps] = await Promise.all([
          cluster.admin.list<Application>(API_VERSION, 'Application', { namespace: ns }),
          cluster.admin.list<Deployment>('apps/v1', 'Deployment', { namespace: dest }),
        ]);
        for (const d of deps.items) {
          const t = traces.get(d.metadata.name);
          const ok = d.status?.conditions?.some((c) => c.type === 'Available' && c.status === 'True');
          if (t && ok && t.availableMs === undefined) t.availableMs = now;
        }
        for (const a of apps.items) {
          const t = traces.get(a.metadata.name);
          if (!t) continue;
          if (a.status?.sync?.status === 'Synced' && t.syncedMs === undefined) t.syncedMs = now;
          if (
            a.status?.sync?.status === 'Synced' &&
            a.status.health?.status === 'Healthy' &&
            t.healthyMs === undefined
          )
            t.healthyMs = now;
        }
        return [...traces.values()].every((t) => t.healthyMs !== undefined);
      },
      { timeoutMs: 300_000, intervalMs: 100 },
    );
    const coldMs = performance.now() - t0;
    const hubCpuS = procSample(hub.process.pid).cpuS - p0.cpuS;
    const stages = await stageSums(hub.port);
    await hub.stop();
    const apps = [...traces.values()];
    const lags = apps.map((t) => (t.healthyMs ?? 0) - Math.max(t.availableMs ?? 0, t.syncedMs ?? 0));
    const r: RunTrace = {
      run,
      coldMs: Math.round(coldMs),
      hubCpuS: Math.round(hubCpuS * 100) / 100,
      lagP50Ms: Math.round(median(lags)),
      lagMaxMs: Math.round(Math.max(...lags)),
      syncedP50Ms: Math.round(median(apps.map((t) => t.syncedMs ?? 0))),
      syncedMaxMs: Math.round(Math.max(...apps.map((t) => t.syncedMs ?? 0))),
      availableMaxMs: Math.round(Math.max(...apps.map((t) => t.availableMs ?? 0))),
      stages,
      apps: apps.map((t) => ({
        app: t.app,
        ...(t.syncedMs !== undefined ? { syncedMs: Math.round(t.syncedMs) } : {}),
        ...(t.availableMs !== undefined ? { availableMs: Math.round(t.availableMs) } : {}),
        ...(t.healthyMs !== undefined ? { healthyMs: Math.round(t.healthyMs) } : {}),
      })),
    };
    results.push(r);
    console.log(
      `run ${run}: cold ${(r.coldMs / 1000).toFixed(1)} s, hub CPU ${r.hubCpuS} s; first Synced p50 ${r.syncedP50Ms} ms, last ${r.syncedMaxMs} ms; last Deployment Available ${r.availableMaxMs} ms; health lag p50 ${r.lagP50Ms} ms, max ${r.lagMaxMs} ms`,
    );
    console.log(
      `  hub stages: ${Object.entries(r.stages)
        .map(([k, v]) => `${k} ${v.count}× ${v.sumS} s`)
        .join(', ')}`,
    );
    for (const t of r.apps)
      console.log(
        `  ${t.app.padEnd(8)} synced ${String(t.syncedMs ?? '-').padStart(6)}  available ${String(t.availableMs ?? '-').padStart(6)}  healthy ${String(t.healthyMs ?? '-').padStart(6)}`,
      );
  }
} finally {
  await fleet.stop();
}
console.log(`RESULT ${JSON.stringify({ bench: 'peers-cold-trace', commit, services, runs: results })}`);
process.exit(0);
