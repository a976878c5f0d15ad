// Baseline costs every later benchmark sits on: start-up time of a fleet of one cluster and of
// four, and the resident memory of each component once idle.
//   npx tsx bench/harness/main.ts [--rounds N] [--settle-ms MS]
// Prints a table and, last, `RESULT {json}`.
import { parseArgs } from 'node:util';
import { startFleet, type Fleet } from '../../test/harness/fleet.js';

const { values } = parseArgs({
  options: { rounds: { type: 'string', default: '3' }, 'settle-ms': { type: 'string', default: '10000' } },
});
const rounds = Number(values.rounds);
const settleMs = Number(values['settle-ms']);

const mib = (b: number): number => Math.round((b / 1024 / 1024) * 10) / 10;
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
};

async function timedStart(clusters: number): Promise<{ ms: number; fleet: Fleet }> {
  const t0 = performance.now();
  const fleet = await startFleet({ clusters: Array.from({ length: clusters }, (_, i) => `bench-${i + 1}`) });
  return { ms: performance.now() - t0, fleet };
}

const startup: Record<string, number[]> = { '1': [], '4': [] };
for (let r = 0; r < rounds; r++) {
  for (const n of [1, 4]) {
    const { ms, fleet } = await timedStart(n);
    startup[String(n)]?.push(ms);
    await fleet.stop();
    console.log(`round ${r + 1}: ${n} cluster(s) ready in ${Math.round(ms)} ms`);
  }
}

// Memory: a 4-cluster fleet, idle for settleMs after start-up, each component sampled by PID.
const { fleet } = await timedStart(4);
await new Promise((r) => setTimeout(r, settleMs));
const rss: Record<string, number[]> = {
  etcd: [fleet.etcd.process.rssBytes()],
  'git-server': [fleet.git.process.rssBytes()],
};
for (const c of fleet.clusters) for (const p of c.processes) (rss[p.name] ??= []).push(p.rssBytes());
await fleet.stop();

const startup1 = median(startup['1'] ?? []);
const startup4 = median(startup['4'] ?? []);
console.log(
  `\nstart-up (median of ${rounds}): 1 cluster ${Math.round(startup1)} ms, 4 clusters ${Math.round(startup4)} ms`,
);
console.log('\nresident memory after start-up + settle, 4-cluster fleet:');
const rssMiB: Record<string, number> = {};
for (const [name, values] of Object.entries(rss)) {
  rssMiB[name] = mib(median(values));
  console.log(`  ${name.padEnd(24)} ${String(rssMiB[name]).padStart(7)} MiB  (median of ${values.length})`);
}
const perCluster = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kwok'].reduce(
  (s, k) => s + (rssMiB[k] ?? 0),
  0,
);
console.log(`  per cluster (apiserver + KCM + scheduler + kwok): ${Math.round(perCluster)} MiB`);
console.log(
  `RESULT ${JSON.stringify({
    bench: 'harness',
    rounds,
    startupMs: { clusters1: Math.round(startup1), clusters4: Math.round(startup4) },
    startupRatio4to1: Math.round((startup4 / startup1) * 100) / 100,
    rssMiB,
    perClusterMiB: Math.round(perCluster),
  })}`,
);
