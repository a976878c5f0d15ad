// gitfleet side by side with Flux (source-controller + kustomize-controller, built from the Go module
// proxy by `scripts/build-tools.sh flux`), on the same clusters, the same Git server and the same
// generated repository (N services, each a Kustomize app of 10 objects), alternating A B A B, each
// round on fresh namespaces with fresh controller processes:
//   cold    creation of the apps → every app applied and healthy (Synced+Healthy / Ready with wait)
//   change  commit → the changed ConfigMap in the cluster (gitfleet: signed push webhook; Flux: the
//           `reconcile.fluxcd.io/requestedAt` annotation on the GitRepository, what its Receiver does)
//   drift   hand edit → healed (gitfleet: selfHeal watch; Flux: the Kustomization interval)
//   idle    CPU seconds (self + children) and resident memory over the idle window
//   scale   N = --sizes on one cluster; then hub memory across --clusters clusters
//   npx tsx bench/peers/main.ts [--quick] [--sizes 10,100] [--rounds 2] [--idle-ms 120000]
//        [--clusters 1,2,4] [--cluster-services 20] [--cluster-rounds 2]
//        [--tools gitfleet,flux] [--hub-args='--audit-store postgres://…'] [--flux-interval 10s] [--flux-git-interval 1m]
//        [--poll-interval 3m] [--only scale,clusters]
//   --tools gitfleet,flux,argocd adds Argo CD (application-controller + repo-server + Redis, built by
//   `scripts/build-tools.sh argocd`; scale phase only: the clusters phase registers no Argo clusters).
// Prints a table and, last, `RESULT {json}` with ratios gitfleet/peer (below 1: gitfleet better).
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { installCrds } from '../../src/cli/commands/install.js';
import { registerCluster } from '../../src/controllers/cluster/register.js';
import { loadConnection, type KubeClient } from '../../src/kube/index.js';
import { readFileSync } from 'node:fs';
import type { TestCluster } from '../../test/harness/cluster.js';
import { startFleet, type Fleet } from '../../test/harness/fleet.js';
import { fluxVersions, installFluxCrds, startFlux } from '../../test/harness/flux.js';
import { waitFor } from '../../test/harness/wait.js';
import {
  argoReady,
  argoRefresh,
  argoVersion,
  createArgoApps,
  installArgoCrds,
  startArgoCd,
} from './argocd.js';
import {
  compileHub,
  createFluxApps,
  createGitfleetApps,
  fleetRepoFiles,
  fluxReady,
  fluxRequestReconcile,
  gitfleetReady,
  procSum,
  rssPeakSampler,
  serviceFiles,
  serviceName,
  startHub,
  waitCount,
  type AppSpec,
  type HubMemory,
  type ProcSample,
  benchDir,
  warmCluster,
} from './lib.js';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    sizes: { type: 'string' },
    rounds: { type: 'string' },
    'idle-ms': { type: 'string' },
    changes: { type: 'string' },
    drifts: { type: 'string' },
    clusters: { type: 'string' },
    'cluster-services': { type: 'string' },
    'cluster-idle-ms': { type: 'string' },
    'cluster-rounds': { type: 'string' },
    'flux-interval': { type: 'string', default: '10s' },
    // gitfleet's Git poll: its own default (3m, Argo CD's too) unless given.
    'poll-interval': { type: 'string' },
    // Flux has no default: 1m is what its guides give a GitRepository.
    'flux-git-interval': { type: 'string', default: '1m' },
    only: { type: 'string', default: 'scale,clusters' },
    tools: { type: 'string', default: 'gitfleet,flux' },
    'hub-args': { type: 'string', default: '' },
  },
});
const quick = values.quick;
const sizes = (values.sizes ?? (quick ? '10' : '10,100')).split(',').map(Number);
const rounds = Number(values.rounds ?? (quick ? 1 : 2));
// One whole poll round of gitfleet's and Argo CD's 3-minute defaults: a shorter window holds a
// part of one tool's round and maybe none of another's.
const idleMs = Number(values['idle-ms'] ?? (quick ? 20_000 : 180_000));
const changes = Number(values.changes ?? (quick ? 3 : 5));
const drifts = Number(values.drifts ?? (quick ? 2 : 3));
const clusterCounts = (values.clusters ?? (quick ? '1,2' : '1,2,4')).split(',').map(Number);
const clusterServices = Number(values['cluster-services'] ?? (quick ? 5 : 20));
const clusterIdleMs = Number(values['cluster-idle-ms'] ?? (quick ? 10_000 : 60_000));
const clusterRounds = Number(values['cluster-rounds'] ?? rounds);
const fluxInterval = values['flux-interval'];
const pollInterval = values['poll-interval'];
const fluxGitInterval = values['flux-git-interval'];
const only = new Set(values.only.split(','));

type Tool = 'gitfleet' | 'flux' | 'argocd';
const TOOLS = values.tools
  .split(',')
  .filter((t): t is Tool => t === 'gitfleet' || t === 'flux' || t === 'argocd');
const PEERS = TOOLS.filter((t) => t !== 'gitfleet');
const hubArgs = values['hub-args'].split(' ').filter(Boolean);

interface Row {
  tool: Tool;
  phase: 'scale' | 'clusters';
  services: number;
  clusters: number;
  apps: number;
  round: number;
  coldMs: number;
  /** CPU of the tool (self + waited-for children) during cold. */
  coldCpuS: number;
  /** CPU of the kube-apiservers during cold. */
  coldApiserverCpuS: number;
  changeMs: number[];
  driftMs: number[];
  /** Phases whose wait reached WAIT_CAP_MS (its figures are that cap: a lower bound). */
  timedOut: ('change' | 'drift')[];
  idleCpuS: number;
  idleApiserverCpuS: number;
  idleRssMiB: number;
  peakRssMiB: number;
  /** RSS of the freshly started processes, before any app exists. */
  startRssMiB: number;
  /** Per process, for Flux (source, kustomize). */
  idleRssByProcessMiB: number[];
  /** gitfleet only: V8 heap and external memory at the end of idle (from the hub's /metrics). */
  hubMemory?: HubMemory;
}

const rows: Row[] = [];

/**
 * The longest a change or a drift is waited for. A tool that misses it (Flux at N=500 with a 10 s
 * interval is saturated: a change waited more than 5 minutes) gets the cap as its figure, marked as
 * a lower bound, and the round goes on to the idle window instead of failing the whole run.
 */
const WAIT_CAP_MS = 300_000;
/** The wait's result, or undefined when it reached its timeout (any other failure is thrown). */
async function capped(wait: Promise<number>): Promise<number | undefined> {
  try {
    return await wait;
  } catch (e) {
    if (e instanceof Error && /^timed out after/u.test(e.message)) return undefined;
    throw e;
  }
}
const shown = (ms: number): string => (ms >= WAIT_CAP_MS ? `≥${WAIT_CAP_MS}` : String(Math.round(ms)));
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  if (!s.length) return NaN;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] ?? NaN) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
};
const r1 = (x: number): number => Math.round(x * 10) / 10;
const r2 = (x: number): number => Math.round(x * 100) / 100;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const minus = (a: ProcSample, b: ProcSample): number => a.cpuS + a.childCpuS - b.cpuS - b.childCpuS;

const runBase = `${Date.now().toString(36)}`;
// Compiled from the last commit when gitfleet's first round starts (after the peers' rounds when
// --tools lists them first), so the figure names the commit it measured.
let compiledHub: { entry: string; commit: string } | undefined;
const gitfleetBuild = (): { entry: string; commit: string } => (compiledHub ??= compileHub());

async function ensureNamespace(c: KubeClient, name: string): Promise<void> {
  await c.apply(
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name } },
    { fieldManager: 'gitfleet-bench' },
  );
}

async function deleteNamespace(c: KubeClient, name: string): Promise<void> {
  await c.delete({ apiVersion: 'v1', kind: 'Namespace', name });
  await waitFor(
    `namespace ${name} gone`,
    async () => !(await c.getOrUndefined({ apiVersion: 'v1', kind: 'Namespace', name })),
    { timeoutMs: 600_000, intervalMs: 500 },
  );
}

async function setupFleet(fleet: Fleet, services: number): Promise<{ repoUrl: string }> {
  const [hub, ...others] = fleet.clusters;
  if (!hub) throw new Error('no cluster');
  await installCrds(hub.admin);
  // Flux's CRDs come from its build: a gitfleet-only run (--tools gitfleet) needs no Flux.
  if (TOOLS.includes('flux')) await installFluxCrds(hub.admin);
  if (TOOLS.includes('argocd')) await installArgoCrds(hub.admin);
  for (const c of others)
    await registerCluster(hub.admin, {
      name: c.name,
      connection: await loadConnection({ file: c.kubeconfig }),
    });
  const repoUrl = await fleet.git.createRepo('fleet');
  await fleet.git.commit('fleet', fleetRepoFiles(services), { message: `${services} services` });
  // Every cluster warm before the first tool's round: a fresh apiserver's first use is no tool's cost.
  for (const c of fleet.clusters)
    console.log(`cluster ${c.name} warmed up in ${Math.round(await warmCluster(c.admin))} ms`);
  return { repoUrl };
}

interface RoundOpts {
  fleet: Fleet;
  repoUrl: string;
  tool: Tool;
  phase: Row['phase'];
  services: number;
  clusters: TestCluster[];
  round: number;
  idleMs: number;
  change: boolean;
  drift: boolean;
}

let commitCounter = 0;

async function round(o: RoundOpts): Promise<Row> {
  const [hubCluster] = o.clusters;
  if (!hubCluster) throw new Error('no cluster');
  const hub = hubCluster.admin;
  const ns = `${{ gitfleet: 'gf', flux: 'fx', argocd: 'ar' }[o.tool]}-${o.phase === 'scale' ? 'n' : 'c'}${o.services}x${o.clusters.length}-r${o.round}-${runBase}`;
  const dest = `${ns}-dest`;
  await ensureNamespace(hub, ns);
  const { username, password } = o.fleet.git.info.admin;
  await hub.create({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'repo', namespace: ns },
    stringData: { username, password },
  });
  for (const c of o.clusters) await ensureNamespace(c.admin, dest);
  for (const c of o.clusters.slice(1))
    await hub.create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: `kubeconfig-${c.name}`, namespace: ns },
      stringData: { value: readFileSync(c.kubeconfig, 'utf8') },
    });
  const apps: AppSpec[] = o.clusters.flatMap((c, ci) =>
    Array.from({ length: o.services }, (_, i) => ({
      index: i,
      ...(ci === 0 ? {} : { cluster: c.name }),
      destNamespace: dest,
    })),
  );

  // Fresh processes for every round: nothing cached from an earlier round.
  let pids: () => number[];
  let alive: () => boolean;
  let stop: () => Promise<void>;
  let trigger: () => Promise<void>;
  let ready: () => Promise<number>;
  let create: () => Promise<void>;
  let memory: () => Promise<HubMemory | undefined> = () => Promise.resolve(undefined);
  if (o.tool === 'gitfleet') {
    const h = await startHub({
      name: `hub-${ns}`,
      runDir: o.fleet.runDir,
      entry: gitfleetBuild().entry,
      kubeconfig: hubCluster.kubeconfig,
      namespace: ns,
      ...(pollInterval ? { pollInterval } : {}),
      hubArgs,
    });
    pids = h.pids;
    alive = () => h.process.running;
    stop = h.stop;
    trigger = () => h.push(o.repoUrl);
    ready = gitfleetReady(hub, ns);
    create = () => createGitfleetApps(hub, ns, o.repoUrl, apps);
    memory = () => h.memory();
  } else if (o.tool === 'argocd') {
    const a = await startArgoCd({
      name: `argocd-${ns}`,
      runDir: o.fleet.runDir,
      kubeconfig: hubCluster.kubeconfig,
      namespace: ns,
      client: hub,
      repo: { url: o.repoUrl, username, password },
    });
    pids = () => a.processes.map((p) => p.pid);
    alive = () => a.processes.every((p) => p.running);
    stop = a.stop;
    trigger = () => argoRefresh(hub, ns);
    ready = argoReady(hub, ns);
    create = () => createArgoApps(hub, ns, o.repoUrl, apps);
  } else {
    const f = await startFlux({
      name: `flux-${ns}`,
      runDir: o.fleet.runDir,
      kubeconfig: hubCluster.kubeconfig,
      namespace: ns,
    });
    pids = () => f.processes.map((p) => p.pid);
    alive = () => f.processes.every((p) => p.running);
    stop = f.stop;
    trigger = () => fluxRequestReconcile(hub, ns);
    ready = fluxReady(hub, ns);
    create = () =>
      createFluxApps(hub, ns, o.repoUrl, apps, { gitInterval: fluxGitInterval, interval: fluxInterval });
  }
  const apiPids = (): number[] => o.clusters.flatMap((c) => (c.processes[0] ? [c.processes[0].pid] : []));
  const label = `${o.tool} N=${o.services} clusters=${o.clusters.length} round ${o.round}`;
  try {
    // ---- cold
    const peak = rssPeakSampler(pids);
    const cpu0 = procSum(pids());
    const startRssMiB = Math.round(cpu0.rssMiB);
    const api0 = procSum(apiPids());
    const t0 = performance.now();
    await create();
    const coldMs = await waitCount(`${label}: ${apps.length} apps ready`, ready, apps.length, t0, {
      // An hour, or 7.2 s per app: Flux needed 28.5 min for N=500 at its default --concurrent=4
      // (sessions 11 and 16) and had 284 of 1,000 Ready at 24.5 min (session 11).
      timeoutMs: Math.max(3_600_000, apps.length * 7_200),
      intervalMs: apps.length > 200 ? 1000 : 250,
      alive,
    });
    const coldCpuS = minus(procSum(pids()), cpu0);
    const coldApiserverCpuS = minus(procSum(apiPids()), api0);
    console.log(
      `${label}: cold ${(coldMs / 1000).toFixed(1)} s (tool CPU ${coldCpuS.toFixed(1)} s, apiserver CPU ${coldApiserverCpuS.toFixed(1)} s)`,
    );

    // ---- change: commit → applied, for svc-0 on the hub cluster
    const changeMs: number[] = [];
    /** Phases whose wait reached WAIT_CAP_MS: their figure is a lower bound. */
    const timedOut: ('change' | 'drift')[] = [];
    const cm = (svc: number): { apiVersion: string; kind: string; namespace: string; name: string } => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      namespace: dest,
      name: `${serviceName(svc)}-cm-0`,
    });
    const valueOf = async (svc: number): Promise<string | undefined> =>
      ((await hub.getOrUndefined(cm(svc)))?.data as Record<string, string> | undefined)?.value;
    if (o.change) {
      for (let k = 0; k < changes; k++) {
        const value = `change-${++commitCounter}`;
        await o.fleet.git.commit('fleet', serviceFiles(0, value), { message: value });
        const t = performance.now();
        await trigger();
        const ms = await capped(
          waitCount(
            `${label}: change ${k} applied`,
            async () => ((await valueOf(0)) === value ? 1 : 0),
            1,
            t,
            {
              timeoutMs: WAIT_CAP_MS,
              intervalMs: 20,
              alive,
            },
          ),
        );
        changeMs.push(ms ?? WAIT_CAP_MS);
        // A tool that missed the cap is saturated: the next wait would only miss it too.
        if (ms === undefined) {
          timedOut.push('change');
          break;
        }
      }
      console.log(`${label}: commit→applied ${changeMs.map(shown).join(', ')} ms`);
    }

    // ---- drift: a hand edit of svc-1's ConfigMap, healed by the tool
    const driftMs: number[] = [];
    if (o.drift) {
      const svc = o.services > 1 ? 1 : 0;
      const want = await valueOf(svc);
      for (let k = 0; k < drifts; k++) {
        const ref = cm(svc);
        await hub.request({
          method: 'PATCH',
          path: `/api/v1/namespaces/${dest}/configmaps/${ref.name}`,
          query: { fieldManager: 'hand-edit' },
          body: { data: { value: `drifted-${k}` } },
          contentType: 'application/merge-patch+json',
        });
        const t = performance.now();
        const ms = await capped(
          waitCount(
            `${label}: drift ${k} healed`,
            async () => ((await valueOf(svc)) === want ? 1 : 0),
            1,
            t,
            {
              timeoutMs: WAIT_CAP_MS,
              intervalMs: 20,
              alive,
            },
          ),
        );
        driftMs.push(ms ?? WAIT_CAP_MS);
        if (ms === undefined) {
          timedOut.push('drift');
          break;
        }
        await sleep(1000);
      }
      console.log(`${label}: hand edit→healed ${driftMs.map(shown).join(', ')} ms`);
    }

    // ---- idle
    await sleep(5000);
    const idle0 = procSum(pids());
    const idleApi0 = procSum(apiPids());
    await sleep(o.idleMs);
    const idle1 = procSum(pids());
    const idleCpuS = minus(idle1, idle0);
    const idleApiserverCpuS = minus(procSum(apiPids()), idleApi0);
    const idleRssByProcessMiB = pids().map((p) => Math.round(procSum([p]).rssMiB));
    peak.stop();
    const hubMemory = await memory();
    const row: Row = {
      tool: o.tool,
      phase: o.phase,
      services: o.services,
      clusters: o.clusters.length,
      apps: apps.length,
      round: o.round,
      coldMs: Math.round(coldMs),
      coldCpuS: r2(coldCpuS),
      coldApiserverCpuS: r2(coldApiserverCpuS),
      changeMs: changeMs.map(Math.round),
      timedOut,
      driftMs: driftMs.map(Math.round),
      idleCpuS: r2(idleCpuS),
      idleApiserverCpuS: r2(idleApiserverCpuS),
      idleRssMiB: Math.round(idle1.rssMiB),
      peakRssMiB: Math.round(Math.max(peak.peak(), idle1.rssMiB)),
      startRssMiB,
      idleRssByProcessMiB,
      ...(hubMemory ? { hubMemory } : {}),
    };
    console.log(
      `${label}: idle ${o.idleMs / 1000} s: CPU ${row.idleCpuS} s (apiserver ${row.idleApiserverCpuS} s), RSS ${row.idleRssMiB} MiB [${idleRssByProcessMiB.join(' + ')}], peak ${row.peakRssMiB} MiB${hubMemory ? ` (V8 heap used ${hubMemory.heapUsedMiB} of ${hubMemory.heapTotalMiB} MiB, external ${hubMemory.externalMiB} MiB)` : ''}`,
    );
    return row;
  } finally {
    await stop();
    await Promise.all(o.clusters.map((c) => deleteNamespace(c.admin, dest)));
  }
}

if (only.has('scale')) {
  const maxN = Math.max(...sizes);
  const fleet = await startFleet({
    baseDir: join(benchDir, 'runs'),
    clusters: ['peers'],
    nodesPerCluster: Math.ceil(maxN / 100) + 1,
  });
  try {
    const { repoUrl } = await setupFleet(fleet, maxN);
    for (const n of sizes)
      for (let r = 1; r <= rounds; r++)
        for (const tool of TOOLS)
          rows.push(
            await round({
              fleet,
              repoUrl,
              tool,
              phase: 'scale',
              services: n,
              clusters: fleet.clusters,
              round: r,
              idleMs,
              change: true,
              drift: true,
            }),
          );
  } finally {
    await fleet.stop();
  }
}

if (only.has('clusters')) {
  const maxC = Math.max(...clusterCounts);
  const fleet = await startFleet({
    baseDir: join(benchDir, 'runs'),
    clusters: Array.from({ length: maxC }, (_, i) => `peer-${i + 1}`),
    nodesPerCluster: 1,
  });
  try {
    const { repoUrl } = await setupFleet(fleet, clusterServices);
    for (const c of clusterCounts)
      for (let r = 1; r <= clusterRounds; r++)
        for (const tool of TOOLS.filter((t) => t !== 'argocd'))
          rows.push(
            await round({
              fleet,
              repoUrl,
              tool,
              phase: 'clusters',
              services: clusterServices,
              clusters: fleet.clusters.slice(0, c),
              round: r,
              idleMs: clusterIdleMs,
              change: false,
              drift: false,
            }),
          );
  } finally {
    await fleet.stop();
  }
}

// ---- summary: medians over rounds, ratios gitfleet / Flux
interface Summary {
  phase: Row['phase'];
  services: number;
  clusters: number;
  apps: number;
  tool: Tool;
  coldMs: number;
  coldCpuS: number;
  coldApiserverCpuS: number;
  changeP50Ms: number;
  driftP50Ms: number;
  /** Phases with a capped wait in some round: their p50 may be a lower bound. */
  timedOut: string[];
  idleCpuS: number;
  idleRssMiB: number;
  peakRssMiB: number;
}
const summaries: Summary[] = [];
for (const key of [...new Set(rows.map((r) => `${r.phase}|${r.services}|${r.clusters}|${r.tool}`))]) {
  const rs = rows.filter((r) => `${r.phase}|${r.services}|${r.clusters}|${r.tool}` === key);
  const [first] = rs;
  if (!first) continue;
  summaries.push({
    phase: first.phase,
    services: first.services,
    clusters: first.clusters,
    apps: first.apps,
    tool: first.tool,
    coldMs: Math.round(median(rs.map((r) => r.coldMs))),
    coldCpuS: r2(median(rs.map((r) => r.coldCpuS))),
    coldApiserverCpuS: r2(median(rs.map((r) => r.coldApiserverCpuS))),
    changeP50Ms: Math.round(median(rs.flatMap((r) => r.changeMs))),
    driftP50Ms: Math.round(median(rs.flatMap((r) => r.driftMs))),
    timedOut: [...new Set(rs.flatMap((r) => r.timedOut))],
    idleCpuS: r2(median(rs.map((r) => r.idleCpuS))),
    idleRssMiB: Math.round(median(rs.map((r) => r.idleRssMiB))),
    peakRssMiB: Math.round(median(rs.map((r) => r.peakRssMiB))),
  });
}

const fmt = (x: number, unit = ''): string => (Number.isNaN(x) ? '-' : `${x}${unit}`);
const header = [
  'phase',
  'N',
  'clusters',
  'apps',
  'tool',
  'cold s',
  'cold CPU s',
  'apiserver CPU s',
  'change p50 ms',
  'drift p50 ms',
  'idle CPU s',
  'idle RSS MiB',
  'peak RSS MiB',
];
const table = summaries.map((s) => [
  s.phase,
  String(s.services),
  String(s.clusters),
  String(s.apps),
  s.tool,
  (s.coldMs / 1000).toFixed(1),
  fmt(s.coldCpuS),
  fmt(s.coldApiserverCpuS),
  `${s.timedOut.includes('change') ? '≥' : ''}${fmt(s.changeP50Ms)}`,
  `${s.timedOut.includes('drift') ? '≥' : ''}${fmt(s.driftP50Ms)}`,
  fmt(s.idleCpuS),
  fmt(s.idleRssMiB),
  fmt(s.peakRssMiB),
]);
const widths = header.map((h, i) => Math.max(h.length, ...table.map((t) => (t[i] ?? '').length)));
const line = (cells: string[]): string => cells.map((c, i) => c.padStart(widths[i] ?? 0)).join('  ');
console.log('');
console.log(
  `medians over ${rounds} round(s); Flux Kustomization interval ${fluxInterval}, GitRepository ${fluxGitInterval}; gitfleet poll ${pollInterval ?? '3m (its default)'}; Argo CD timeout.reconciliation 180s (its default); idle window ${idleMs / 1000} s (clusters phase ${clusterIdleMs / 1000} s)`,
);
console.log(line(header));
for (const t of table) console.log(line(t));

const ratio = (a: number, b: number): number | null =>
  Number.isFinite(a) && Number.isFinite(b) && b > 0 ? r2(a / b) : null;
const ratios: Record<string, Record<string, number | null>> = {};
for (const g of summaries.filter((s) => s.tool === 'gitfleet'))
  for (const peer of PEERS) {
    const f = summaries.find(
      (s) => s.tool === peer && s.phase === g.phase && s.services === g.services && s.clusters === g.clusters,
    );
    if (!f) continue;
    // Flux's keys stay as they were (earlier RESULT lines compare with them); other peers are named.
    ratios[`${g.phase}:N=${g.services},clusters=${g.clusters}${peer === 'flux' ? '' : `:${peer}`}`] = {
      cold: ratio(g.coldMs, f.coldMs),
      coldCpu: ratio(g.coldCpuS, f.coldCpuS),
      coldApiserverCpu: ratio(g.coldApiserverCpuS, f.coldApiserverCpuS),
      change: ratio(g.changeP50Ms, f.changeP50Ms),
      drift: ratio(g.driftP50Ms, f.driftP50Ms),
      idleCpu: ratio(g.idleCpuS, f.idleCpuS),
      idleRss: ratio(g.idleRssMiB, f.idleRssMiB),
      peakRss: ratio(g.peakRssMiB, f.peakRssMiB),
    };
  }
console.log('');
console.log(`ratios gitfleet / ${PEERS.join(', ')} (below 1: gitfleet faster or lighter):`);
for (const [k, v] of Object.entries(ratios))
  console.log(
    `  ${k}: ${Object.entries(v)
      .map(([m, x]) => `${m} ${x ?? '-'}`)
      .join(', ')}`,
  );

// Memory per added cluster: least-squares slope of idle RSS over the number of clusters.
const slope = (tool: Tool): number | null => {
  const pts = summaries.filter((s) => s.phase === 'clusters' && s.tool === tool);
  if (pts.length < 2) return null;
  const mx = median(pts.map((p) => p.clusters));
  const xs = pts.map((p) => p.clusters);
  const ys = pts.map((p) => p.idleRssMiB);
  const ax = xs.reduce((a, b) => a + b, 0) / xs.length;
  const ay = ys.reduce((a, b) => a + b, 0) / ys.length;
  const den = xs.reduce((a, x) => a + (x - ax) ** 2, 0);
  void mx;
  return den ? r1(xs.reduce((a, x, i) => a + (x - ax) * ((ys[i] ?? 0) - ay), 0) / den) : null;
};
const perCluster = { gitfleet: slope('gitfleet'), flux: slope('flux') };
if (perCluster.gitfleet !== null)
  console.log(
    `idle RSS per added cluster (${clusterServices} services each): gitfleet ${perCluster.gitfleet} MiB, Flux ${perCluster.flux ?? '-'} MiB`,
  );

console.log(
  `RESULT ${JSON.stringify({
    bench: 'peers',
    gitfleetCommit: compiledHub?.commit ?? null,
    peer: { name: 'flux', ...fluxVersions() },
    ...(PEERS.includes('argocd') ? { argocd: argoVersion() } : {}),
    config: {
      sizes,
      rounds,
      idleMs,
      clusterCounts,
      clusterServices,
      clusterIdleMs,
      clusterRounds,
      tools: TOOLS,
      hubArgs,
      fluxInterval,
      fluxGitInterval,
      pollInterval: pollInterval ?? '3m (gitfleet default)',
      changes,
      drifts,
    },
    summaries,
    ratios,
    rssPerAddedClusterMiB: perCluster,
    rows,
  })}`,
);
process.exit(0);
