// Where the idle hub's memory goes, as bench/peers runs it: the compiled hub (last commit), N apps
// of the bench/peers fleet on one cluster, Synced+Healthy, then an idle window. Prints RSS and its
// parts from /proc (anonymous, file-backed), V8's heap spaces from the hub's /metrics, and a heap
// snapshot (written by the hub on SIGUSR2) summarised by constructor: the evidence for what to cut.
//   npx tsx bench/peers/memory.ts [--services 10] [--idle-ms 20000] [--top 25] [--node-flags='--max-semi-space-size=1']
//   npx tsx bench/peers/memory.ts --summarise FILE.heapsnapshot
// Last line: `RESULT {json}`.
import { mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { installCrds } from '../../src/cli/commands/install.js';
import { startFleet } from '../../test/harness/fleet.js';
import { waitFor } from '../../test/harness/wait.js';
import {
  benchDir,
  compileHub,
  createGitfleetApps,
  fleetRepoFiles,
  gitfleetReady,
  procSample,
  startHub,
  waitCount,
} from './lib.js';

const { values } = parseArgs({
  options: {
    services: { type: 'string', default: '10' },
    'idle-ms': { type: 'string', default: '20000' },
    top: { type: 'string', default: '25' },
    summarise: { type: 'string' },
    'node-flags': { type: 'string', default: '' },
    'hub-args': { type: 'string', default: '' },
  },
});
const top = Number(values.top);

interface HeapSnapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

export interface HeapSummary {
  totalMiB: number;
  byType: { type: string; MiB: number; count: number }[];
  byName: { name: string; type: string; KiB: number; count: number }[];
}

/** Self size by node type (code, string, object, …) and by constructor/name, largest first. */
export function summariseSnapshot(s: HeapSnapshot, limit: number): HeapSummary {
  const f = s.snapshot.meta.node_fields;
  const width = f.length;
  const iType = f.indexOf('type');
  const iName = f.indexOf('name');
  const iSize = f.indexOf('self_size');
  const types = s.snapshot.meta.node_types[0];
  const byType = new Map<string, { b: number; n: number }>();
  const byName = new Map<string, { type: string; b: number; n: number }>();
  let total = 0;
  for (let i = 0; i < s.nodes.length; i += width) {
    const type = types[s.nodes[i + iType] ?? 0] ?? '?';
    const size = s.nodes[i + iSize] ?? 0;
    // Strings are grouped as one, else every distinct string would be its own row.
    const raw =
      type === 'string' || type === 'concatenated string' || type === 'sliced string'
        ? '(strings)'
        : (s.strings[s.nodes[i + iName] ?? 0] ?? '?');
    const name = raw.length > 80 ? `${raw.slice(0, 77)}...` : raw;
    total += size;
    const t = byType.get(type) ?? { b: 0, n: 0 };
    t.b += size;
    t.n++;
    byType.set(type, t);
    const key = `${type}\u0000${name}`;
    const e = byName.get(key) ?? { type, b: 0, n: 0 };
    e.b += size;
    e.n++;
    byName.set(key, e);
  }
  const mib = (b: number): number => Math.round((b / 1048576) * 10) / 10;
  return {
    totalMiB: mib(total),
    byType: [...byType.entries()]
      .sort((a, b) => b[1].b - a[1].b)
      .map(([type, v]) => ({ type, MiB: mib(v.b), count: v.n })),
    byName: [...byName.entries()]
      .sort((a, b) => b[1].b - a[1].b)
      .slice(0, limit)
      .map(([k, v]) => ({
        name: k.split('\u0000')[1] ?? '',
        type: v.type,
        KiB: Math.round(v.b / 1024),
        count: v.n,
      })),
  };
}

function printSnapshot(h: HeapSummary): void {
  console.log(`heap snapshot: ${h.totalMiB} MiB of live objects`);
  for (const t of h.byType)
    console.log(`  ${String(t.MiB).padStart(7)} MiB ${String(t.count).padStart(8)}  ${t.type}`);
  console.log('largest by constructor/name (self size):');
  for (const n of h.byName)
    console.log(
      `  ${String(n.KiB).padStart(7)} KiB ${String(n.count).padStart(8)}  ${n.type.padEnd(10)} ${n.name}`,
    );
}

if (values.summarise) {
  const h = summariseSnapshot(JSON.parse(readFileSync(values.summarise, 'utf8')) as HeapSnapshot, top);
  printSnapshot(h);
  console.log(`RESULT ${JSON.stringify({ bench: 'peers-memory', snapshot: h })}`);
  process.exit(0);
}

/** RSS and its parts from /proc/<pid>/status, MiB. */
function procMemory(pid: number): Record<string, number> {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string): number => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  const mib = (k: string): number => Math.round((kb(k) / 1024) * 10) / 10;
  return { rss: mib('VmRSS'), anon: mib('RssAnon'), file: mib('RssFile'), shmem: mib('RssShmem') };
}

/** Resident memory by mapping (the node binary, native addons, anonymous memory), MiB, largest first. */
function mappings(pid: number, limit = 8): { path: string; MiB: number }[] {
  const by = new Map<string, number>();
  let path = '';
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const head = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) path = head[1] || '(anonymous)';
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss) by.set(path, (by.get(path) ?? 0) + Number(rss[1]));
  }
  return [...by.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([p, kb]) => ({ path: p.replace(/^.*node_modules\//, ''), MiB: Math.round((kb / 1024) * 10) / 10 }));
}

/** V8 heap spaces and process memory from the hub's own /metrics (prom-client defaults), MiB. */
async function hubMetrics(port: number): Promise<Record<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const m of text.matchAll(
    /^gitfleet_nodejs_(heap_space_size_(?:used|total)_bytes)\{space="([^"]+)"\} (\S+)$/gm,
  ))
    out[`${m[2]} ${m[1]?.includes('used') ? 'used' : 'total'}`] =
      Math.round((Number(m[3]) / 1048576) * 10) / 10;
  for (const m of text.matchAll(
    /^gitfleet_nodejs_(heap_size_used_bytes|heap_size_total_bytes|external_memory_bytes) (\S+)$/gm,
  ))
    out[m[1] ?? ''] = Math.round((Number(m[2]) / 1048576) * 10) / 10;
  return out;
}

const services = Number(values.services);
const fleet = await startFleet({
  baseDir: join(benchDir, 'runs'),
  clusters: ['mem'],
  // kwok nodes take 110 pods each: one node per 100 services, and one to spare.
  nodesPerCluster: Math.ceil(services / 100) + 1,
});
const [cluster] = fleet.clusters;
if (!cluster) throw new Error('no cluster');
const stamp = Date.now().toString(36);
const { entry, commit } = compileHub();
const snapDir = join(fleet.runDir, 'heap');
mkdirSync(snapDir, { recursive: true });
await installCrds(cluster.admin);
const repoUrl = await fleet.git.createRepo('fleet');
await fleet.git.commit('fleet', fleetRepoFiles(services));
const ns = `mem-${stamp}`;
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
  name: `hub-mem-${stamp}`,
  runDir: fleet.runDir,
  entry,
  kubeconfig: cluster.kubeconfig,
  namespace: ns,
  pollInterval: '1m',
  nodeFlags: [
    ...values['node-flags'].split(' ').filter(Boolean),
    `--diagnostic-dir=${snapDir}`,
    '--heapsnapshot-signal=SIGUSR2',
  ],
  hubArgs: values['hub-args'].split(' ').filter(Boolean),
});
const atStart = procMemory(hub.process.pid);
const cpu0 = procSample(hub.process.pid).cpuS;
const t0 = performance.now();
await createGitfleetApps(
  cluster.admin,
  ns,
  repoUrl,
  Array.from({ length: services }, (_, i) => ({ index: i, destNamespace: `${ns}-dest` })),
);
const coldMs = await waitCount(`${services} apps ready`, gitfleetReady(cluster.admin, ns), services, t0, {
  timeoutMs: 600_000,
  intervalMs: 250,
  alive: () => hub.process.running,
});
const coldCpuS = Math.round((procSample(hub.process.pid).cpuS - cpu0) * 100) / 100;
await new Promise((r) => setTimeout(r, Number(values['idle-ms'])));
const idle = procMemory(hub.process.pid);
const v8 = await hubMetrics(hub.port);
const maps = mappings(hub.process.pid);
process.kill(hub.process.pid, 'SIGUSR2');
const file = await waitFor(
  'heap snapshot written',
  () => {
    const f = readdirSync(snapDir).find((n) => n.endsWith('.heapsnapshot'));
    // Written in one go by V8; a size that stops growing means it is complete.
    return f && hub.process.running ? join(snapDir, f) : undefined;
  },
  { timeoutMs: 120_000, intervalMs: 500 },
);
let size = -1;
await waitFor(
  'heap snapshot complete',
  () => {
    const now = readFileSync(file).length;
    const done = now > 0 && now === size;
    size = now;
    return done;
  },
  { timeoutMs: 120_000, intervalMs: 1000 },
);
await hub.stop();
await fleet.stop();
console.log(
  `gitfleet at ${commit}, ${services} apps, cold ${(coldMs / 1000).toFixed(1)} s (hub CPU ${coldCpuS} s), load average ${(
    await import('node:os')
  )
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`,
);
console.log(`RSS at start ${JSON.stringify(atStart)} MiB; idle ${JSON.stringify(idle)} MiB`);
console.log(`resident by mapping (MiB): ${maps.map((m) => `${m.path} ${m.MiB}`).join(', ')}`);
console.log(
  `V8 (MiB): ${Object.entries(v8)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ')}`,
);
const h = summariseSnapshot(JSON.parse(readFileSync(file, 'utf8')) as HeapSnapshot, top);
printSnapshot(h);
console.log(`snapshot file: ${file}`);
console.log(
  `RESULT ${JSON.stringify({ bench: 'peers-memory', commit, services, coldMs: Math.round(coldMs), coldCpuS, atStart, idle, maps, v8, snapshot: h })}`,
);
process.exit(0);
