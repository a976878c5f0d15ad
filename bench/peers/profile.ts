// CPU profile of gitfleet's cold sync: the compiled hub runs with `node --cpu-prof`, N apps of the
// bench/peers fleet are created, and once all are Synced+Healthy the hub is stopped (which writes
// the profile). Prints self time by function and by module, the share the hub spent idle, and the
// CPU its children (kustomize, git) used.
//   npx tsx bench/peers/profile.ts [--services 100] [--top 15] [--idle-ms 0]
// With --idle-ms, the hub then stays up that long with nothing changing, and the summary covers only
// that idle window (the polls and resyncs a quiet fleet costs), not the cold sync.
//   npx tsx bench/peers/profile.ts --summarise FILE.cpuprofile
// Last line: `RESULT {json}`.
import { mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { installCrds } from '../../src/cli/commands/install.js';
import { diffRequests, requestTable, sampleRequests } from '../limit/requests.js';
import { startFleet } from '../../test/harness/fleet.js';
import {
  compileHub,
  createGitfleetApps,
  fleetRepoFiles,
  gitfleetReady,
  procSample,
  startHub,
  waitCount,
  benchDir,
} from './lib.js';

/** Per thread of `pid`: its name and utime+stime in clock ticks (100 per second). */
function threadTicks(pid: number): Map<string, { name: string; ticks: number }> {
  const out = new Map<string, { name: string; ticks: number }>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const name = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
      out.set(tid, { name, ticks: Number(rest[11]) + Number(rest[12]) });
    } catch {
      // The thread ended.
    }
  }
  return out;
}

const { values } = parseArgs({
  options: {
    services: { type: 'string', default: '100' },
    top: { type: 'string', default: '15' },
    'idle-ms': { type: 'string', default: '0' },
    // No profiler: the hub's own CPU, per thread, over the idle window (the profiler costs a thread).
    'no-profile': { type: 'boolean', default: false },
    summarise: { type: 'string' },
    // More `gitfleet controller` flags; none by default: the hub as shipped, audit store included.
    'hub-args': { type: 'string', default: '' },
    // More node flags for the hub, e.g. --trace-gc (its output is in the run's logs/ folder).
    'node-flags': { type: 'string', default: '' },
  },
});
const top = Number(values.top);

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  hitCount?: number;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

/** Groups a script URL into a module: a package of node_modules, a folder of src/, or node itself. */
function moduleOf(url: string): string {
  if (!url) return '(native/V8)';
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0] ?? ''}`;
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm?.[1]) return nm[1];
  const src = /\/src\/([^/]+)\/(?:([^/]+)\/)?/.exec(url);
  if (src?.[1]) return src[2] && !src[2].endsWith('.js') ? `src/${src[1]}/${src[2]}` : `src/${src[1]}`;
  return url;
}

export interface ProfileSummary {
  totalMs: number;
  idleMs: number;
  gcMs: number;
  functions: { name: string; module: string; selfMs: number; pct: number }[];
  modules: { module: string; selfMs: number; pct: number }[];
  /** Self time of everything (node internals included) charged to the nearest gitfleet frame (src/). */
  bySrcCaller: { caller: string; selfMs: number; pct: number }[];
}

/** `lastUs`: only the samples of the profile's last `lastUs` microseconds count. */
export function summarise(profile: CpuProfile, limit: number, lastUs?: number): ProfileSummary {
  const selfUs = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  const fromUs = lastUs ? profile.endTime - lastUs : profile.startTime;
  let at = profile.startTime;
  samples.forEach((id, i) => {
    at += deltas[i] ?? 0;
    if (at >= fromUs) selfUs.set(id, (selfUs.get(id) ?? 0) + (deltas[i] ?? 0));
  });
  const totalUs = profile.endTime - fromUs;
  const byFn = new Map<string, { name: string; module: string; us: number }>();
  const byModule = new Map<string, number>();
  const parent = new Map<number, ProfileNode>();
  const byId = new Map<number, ProfileNode>();
  for (const n of profile.nodes) {
    byId.set(n.id, n);
    for (const c of n.children ?? []) parent.set(c, n);
  }
  const srcCaller = (n: ProfileNode): string => {
    for (let cur: ProfileNode | undefined = n; cur; cur = parent.get(cur.id)) {
      const { url, functionName, lineNumber } = cur.callFrame;
      const m = /\/dist\/src\/(.*)$/.exec(url);
      if (m?.[1]) return `${functionName || '(anonymous)'} src/${m[1]}:${lineNumber + 1}`;
    }
    return '(no gitfleet frame: event loop, timers, GC)';
  };
  const byCaller = new Map<string, number>();
  let idleUs = 0;
  let gcUs = 0;
  for (const n of profile.nodes) {
    const us = selfUs.get(n.id) ?? 0;
    if (!us) continue;
    const { functionName, url, lineNumber } = n.callFrame;
    if (functionName === '(idle)') {
      idleUs += us;
      continue;
    }
    if (functionName === '(garbage collector)') gcUs += us;
    const mod = functionName.startsWith('(') ? functionName : moduleOf(url);
    const name = `${functionName || '(anonymous)'} ${url ? `${url.replace(/^.*\/(node_modules|src)\//, '$1/')}:${lineNumber + 1}` : ''}`;
    const f = byFn.get(name) ?? { name, module: mod, us: 0 };
    f.us += us;
    byFn.set(name, f);
    byModule.set(mod, (byModule.get(mod) ?? 0) + us);
    const caller = srcCaller(byId.get(n.id) ?? n);
    byCaller.set(caller, (byCaller.get(caller) ?? 0) + us);
  }
  const busyUs = totalUs - idleUs;
  const pct = (us: number): number => Math.round((us / Math.max(1, busyUs)) * 1000) / 10;
  return {
    totalMs: Math.round(totalUs / 1000),
    idleMs: Math.round(idleUs / 1000),
    gcMs: Math.round(gcUs / 1000),
    functions: [...byFn.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, limit)
      .map((f) => ({ name: f.name, module: f.module, selfMs: Math.round(f.us / 1000), pct: pct(f.us) })),
    modules: [...byModule.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, limit)
      .map(([module, us]) => ({ module, selfMs: Math.round(us / 1000), pct: pct(us) })),
    bySrcCaller: [...byCaller.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, limit)
      .map(([caller, us]) => ({ caller, selfMs: Math.round(us / 1000), pct: pct(us) })),
  };
}

function print(s: ProfileSummary): void {
  console.log(
    `profile: ${s.totalMs} ms wall, ${s.totalMs - s.idleMs} ms on the main thread (${s.idleMs} ms idle), GC ${s.gcMs} ms`,
  );
  console.log('top self time by module (% of busy main-thread time):');
  for (const m of s.modules)
    console.log(`  ${String(m.selfMs).padStart(7)} ms ${String(m.pct).padStart(5)}%  ${m.module}`);
  console.log('self time charged to the nearest gitfleet function (src/):');
  for (const c of s.bySrcCaller)
    console.log(`  ${String(c.selfMs).padStart(7)} ms ${String(c.pct).padStart(5)}%  ${c.caller}`);
  console.log('top self time by function:');
  for (const f of s.functions)
    console.log(`  ${String(f.selfMs).padStart(7)} ms ${String(f.pct).padStart(5)}%  ${f.name}`);
}

if (values.summarise) {
  const s = summarise(JSON.parse(readFileSync(values.summarise, 'utf8')) as CpuProfile, top);
  print(s);
  console.log(`RESULT ${JSON.stringify({ bench: 'peers-profile', ...s })}`);
  process.exit(0);
}

const services = Number(values.services);
const fleet = await startFleet({
  baseDir: join(benchDir, 'runs'),
  clusters: ['prof'],
  nodesPerCluster: Math.ceil(services / 100) + 1,
});
const [cluster] = fleet.clusters;
if (!cluster) throw new Error('no cluster');
const stamp = Date.now().toString(36);
const { entry } = compileHub();
const profDir = join(fleet.runDir, 'cpu-profile');
mkdirSync(profDir, { recursive: true });
await installCrds(cluster.admin);
const repoUrl = await fleet.git.createRepo('fleet');
await fleet.git.commit('fleet', fleetRepoFiles(services));
const ns = `prof-${stamp}`;
for (const name of [ns, `${ns}-dest`])
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
  name: `hub-prof-${stamp}`,
  runDir: fleet.runDir,
  entry,
  kubeconfig: cluster.kubeconfig,
  namespace: ns,
  // The hub's own poll interval (3m) unless --hub-args names one: the idle window as users get it.
  nodeFlags: [
    ...values['node-flags'].split(' ').filter(Boolean),
    ...(values['no-profile'] ? [] : ['--cpu-prof', '--cpu-prof-dir', profDir, '--cpu-prof-interval', '1000']),
  ],
  hubArgs: values['hub-args'].split(' ').filter(Boolean),
});
const apiPid = cluster.processes[0]?.pid ?? 0;
const p0 = procSample(hub.process.pid);
const a0 = procSample(apiPid);
const coldRequests0 = await sampleRequests(cluster.admin);
const t0 = performance.now();
await createGitfleetApps(
  cluster.admin,
  ns,
  repoUrl,
  Array.from({ length: services }, (_, i) => ({ index: i, destNamespace: `${ns}-dest` })),
);
const coldMs = await waitCount(`${services} apps ready`, gitfleetReady(cluster.admin, ns), services, t0, {
  timeoutMs: 1_800_000,
  intervalMs: 250,
  alive: () => hub.process.running,
});
let p1 = procSample(hub.process.pid);
let a1 = procSample(apiPid);
// kube-controller-manager's, the scheduler's and kwok's requests for the roll-outs are in it too.
console.log('apiserver requests over the cold sync (all clients):');
console.log(
  requestTable(new Map(), diffRequests(coldRequests0, await sampleRequests(cluster.admin)), services),
);
const idleMs = Number(values['idle-ms']);
let windowUs: number | undefined;
if (idleMs > 0) {
  console.log(`${services} apps ready in ${(coldMs / 1000).toFixed(1)} s; idle for ${idleMs / 1000} s`);
  const i0 = procSample(hub.process.pid);
  const ia0 = procSample(apiPid);
  const r0 = await sampleRequests(cluster.admin);
  const t0 = threadTicks(hub.process.pid);
  const tIdle = performance.now();
  await new Promise((r) => setTimeout(r, idleMs));
  const t1 = threadTicks(hub.process.pid);
  console.log(
    `hub threads over the idle window (CPU s): ${[...t1]
      .map(([tid, v]) => ({ tid, name: v.name, s: (v.ticks - (t0.get(tid)?.ticks ?? 0)) / 100 }))
      .filter((x) => x.s > 0)
      .sort((a, b) => b.s - a.s)
      .map((x) => `${x.name}(${x.tid}) ${x.s.toFixed(2)}`)
      .join(', ')}`,
  );
  // kube-controller-manager's and kwok's requests are in it too (leases, node status).
  console.log('apiserver requests over the idle window (all clients):');
  console.log(requestTable(new Map(), diffRequests(r0, await sampleRequests(cluster.admin)), services));
  p1 = procSample(hub.process.pid);
  a1 = procSample(apiPid);
  console.log(
    `idle ${idleMs / 1000} s: hub CPU ${(p1.cpuS - i0.cpuS).toFixed(2)} s, its children ${(p1.childCpuS - i0.childCpuS).toFixed(2)} s, kube-apiserver ${(a1.cpuS - ia0.cpuS).toFixed(2)} s; hub RSS ${Math.round(i0.rssMiB)} → ${Math.round(p1.rssMiB)} MiB`,
  );
  // The profile ends when the hub exits; the window is measured back from there.
  windowUs = (performance.now() - tIdle) * 1000;
}
await hub.stop();
await fleet.stop();
if (values['no-profile']) process.exit(0);
const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
if (!file) throw new Error(`no profile written in ${profDir}`);
const s = summarise(JSON.parse(readFileSync(join(profDir, file), 'utf8')) as CpuProfile, top, windowUs);
const cpu = {
  coldMs: Math.round(coldMs),
  hubCpuS: Math.round((p1.cpuS - p0.cpuS) * 100) / 100,
  childrenCpuS: Math.round((p1.childCpuS - p0.childCpuS) * 100) / 100,
  apiserverCpuS: Math.round((a1.cpuS - a0.cpuS) * 100) / 100,
};
console.log(
  `cold sync of ${services} apps (${services * 10} objects): ${(coldMs / 1000).toFixed(1)} s; hub CPU ${cpu.hubCpuS} s, its children (kustomize, git) ${cpu.childrenCpuS} s, kube-apiserver ${cpu.apiserverCpuS} s`,
);
print(s);
console.log(`profile file: ${join(profDir, file)}`);
console.log(`RESULT ${JSON.stringify({ bench: 'peers-profile', services, ...cpu, profile: s })}`);
process.exit(0);
