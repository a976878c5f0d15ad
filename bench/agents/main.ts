// Agents benchmark: one hub (compiled `gitfleet controller`, its own process) with N simulated agents
// connected over the real protocol (bench/agents/sim.ts, several agents per process), each reporting
// M Applications. Measures the hub's resident memory and CPU with every agent connected and idle
// (long-polling), the time for a status change on an agent to show in the hub API's event stream
// (p50/p95), and the time for the fleet view to converge after the hub is killed and restarted
// while every agent changed one app.
//   npx tsx bench/agents/main.ts [--agents 1000] [--apps 20] [--workers 4] [--idle-s 60] [--samples 40]
// Prints figures and, last, `RESULT {json}`.
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { TOKEN_SECRET_LABEL } from '../../src/api/agent.js';
import { API_VERSION } from '../../src/api/application.js';
import { FLEET_NAMESPACE } from '../../src/api/cluster.js';
import { installCrds } from '../../src/cli/commands/install.js';
import { agentTokenSecretName, hashToken, newToken, signToken } from '../../src/controllers/tokens.js';
import { loadOrCreateHubKey } from '../../src/governance/hub-key.js';
import { mapLimit } from '../../src/core/concurrency.js';
import type { KubeClient, KubeList } from '../../src/kube/index.js';
import { startFleet } from '../../test/harness/fleet.js';
import { freePort } from '../../test/harness/ports.js';
import { startProcess, type ManagedProcess } from '../../test/harness/process.js';
import { repoRoot } from '../../test/harness/tools.js';

const { values } = parseArgs({
  options: {
    agents: { type: 'string', default: '1000' },
    apps: { type: 'string', default: '20' },
    workers: { type: 'string', default: '4' },
    'idle-s': { type: 'string', default: '60' },
    samples: { type: 'string', default: '40' },
    // Profile the hub (node --cpu-prof) through the idle phase, print where its time went, and stop there.
    'cpu-prof-dir': { type: 'string' },
  },
});
const N = Number(values.agents);
const M = Number(values.apps);
const W = Number(values.workers);
const ADMIN = 'bench-admin-token';
const NS = 'bench-agents';

const rssMiB = (pid: number): number => {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m?.[1] ? Math.round(Number(m[1]) / 1024) : 0;
};
const cpuSeconds = (pid: number): number => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8')
    .replace(/^.*\) /, '')
    .split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
};
const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
async function until(what: string, probe: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await probe().catch(() => false))) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(500);
  }
}

execFileSync(
  process.execPath,
  [join(repoRoot, 'node_modules/typescript/bin/tsc'), '-p', join(repoRoot, 'tsconfig.build.json')],
  {
    stdio: 'inherit',
  },
);
const fleet = await startFleet({ clusters: ['hub'], nodesPerCluster: 1 });
const hubCluster = fleet.clusters[0];
if (!hubCluster) throw new Error('no cluster');
const kube: KubeClient = hubCluster.admin;
await installCrds(kube);
await kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
await kube.apply(
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: FLEET_NAMESPACE } },
  { fieldManager: 'bench' },
);

// Registration as `gitfleet cluster add --mode agent` does it, N times.
const agents = Array.from({ length: N }, (_, i) => ({ cluster: `edge-${i}`, token: newToken('agent') }));
// Token Secrets count only with the hub's signature (see src/hub/auth.ts).
const hubKey = await loadOrCreateHubKey(kube);
let t = Date.now();
await mapLimit(agents, 16, async (a) => {
  await kube.create({
    apiVersion: API_VERSION,
    kind: 'Cluster',
    metadata: { name: a.cluster, namespace: FLEET_NAMESPACE, labels: { bench: 'agents' } },
    spec: { mode: 'agent', server: '' },
  });
  await kube.create({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: agentTokenSecretName(a.cluster),
      namespace: FLEET_NAMESPACE,
      labels: { [TOKEN_SECRET_LABEL]: 'agent-token' },
    },
    stringData: {
      tokenHash: hashToken(a.token),
      cluster: a.cluster,
      signature: signToken(hubKey, {
        tokenHash: hashToken(a.token),
        kind: 'agent-token',
        user: '',
        groups: '',
        cluster: a.cluster,
      }),
    },
  });
});
const pairs = agents.flatMap((a) =>
  Array.from({ length: M }, (_, j) => ({ cluster: a.cluster, name: `${a.cluster}-app-${j}` })),
);
await mapLimit(pairs, 32, (p) =>
  kube.create({
    apiVersion: API_VERSION,
    kind: 'Application',
    metadata: { name: p.name, namespace: NS },
    spec: {
      source: { repoURL: 'http://git.example/fleet.git', path: 'apps/x' },
      destination: { name: p.cluster, namespace: 'default' },
      syncPolicy: { automated: {} },
    },
  }),
);
console.log(
  `registered ${N} agent clusters and ${pairs.length} Applications in ${((Date.now() - t) / 1000).toFixed(1)} s`,
);

const port = await freePort();
const hubUrl = `http://127.0.0.1:${port}`;
const profDir = values['cpu-prof-dir'];
const logDir = join(fleet.runDir, 'logs');
console.log(`hub logs: ${logDir}/hub-*.log`);
// A harness-managed process: killed by PID when this benchmark exits or is interrupted
// (SIGINT/SIGTERM/SIGHUP), and at the next harness start if this one was SIGKILLed.
let hubRuns = 0;
const startHub = (): ManagedProcess =>
  startProcess({
    name: `hub-${++hubRuns}`,
    logDir,
    command: process.execPath,
    args: [
      ...(profDir ? ['--cpu-prof', '--cpu-prof-dir', profDir] : []),
      join(repoRoot, 'dist/src/cli/main.js'),
      'controller',
      '--kubeconfig',
      hubCluster.kubeconfig,
      '--webhook-port',
      String(port),
      '--poll-interval',
      '30m',
      '--cache-dir',
      join(fleet.runDir, 'hub-sources'),
    ],
    env: { GITFLEET_API_TOKENS: ADMIN, GITFLEET_LOG_LEVEL: 'info' },
  });
const api = async <T>(path: string): Promise<T> => {
  const r = await fetch(hubUrl + path, { headers: { authorization: `Bearer ${ADMIN}` } });
  if (!r.ok) throw new Error(`${path}: ${r.status}`);
  return (await r.json()) as T;
};
let hub = startHub();
await until(
  'the hub API',
  () =>
    api('/api/v1/clusters').then(
      () => true,
      () => false,
    ),
  60_000,
);
await sleep(3000);
const rssBefore = rssMiB(hub.pid);

// Agents: W processes, N/W agents each.
const workers: ChildProcess[] = [];
const stats = new Map<ChildProcess, { pending: number; assigned: number }>();
const workerOf = new Map<string, ChildProcess>();
t = Date.now();
for (let w = 0; w < W; w++) {
  const mine = agents.filter((_, i) => i % W === w);
  const child = fork(join(import.meta.dirname, 'sim.ts'), [], { execArgv: ['--import', 'tsx'] });
  child.on('message', (m: { type: string; pending?: number; assigned?: number }) => {
    if (m.type === 'stats') stats.set(child, { pending: m.pending ?? 0, assigned: m.assigned ?? 0 });
  });
  child.send({ type: 'start', hub: hubUrl, agents: mine, appsPerAgent: M, namespace: NS });
  for (const a of mine) workerOf.set(a.cluster, child);
  workers.push(child);
}
/** Applications with a reported health, listed 2,000 at a time (one 20,000-item answer is too big). */
const reported = async (): Promise<number> => {
  let n = 0;
  let cont: string | undefined;
  do {
    const page: KubeList<{ status?: { health?: { status?: string } } }> = await kube.request({
      method: 'GET',
      path: `/apis/${API_VERSION}/namespaces/${NS}/applications`,
      query: { limit: 2000, continue: cont },
    });
    n += page.items.filter((a) => a.status?.health?.status).length;
    cont = page.metadata.continue || undefined;
  } while (cont);
  return n;
};
await until(
  'every agent’s first report in the hub',
  async () => {
    const n = await reported();
    const pending = [...stats.values()].reduce((x, s) => x + s.pending, 0);
    if (Date.now() % 15_000 < 600)
      console.log(`  ${n}/${pairs.length} reported, ${pending} reports pending in the agents`);
    return n === pairs.length;
  },
  30 * 60_000,
);
const firstReportS = (Date.now() - t) / 1000;
await until(
  'every agent’s assignments delivered',
  async () => [...stats.values()].reduce((n, s) => n + s.assigned, 0) === pairs.length,
  10 * 60_000,
);
console.log(
  `all ${N} agents connected; first reports of ${pairs.length} apps in the hub after ${firstReportS.toFixed(1)} s`,
);

// Idle: every agent long-polling, nothing changing.
const idleS = Number(values['idle-s']);
const cpu0 = cpuSeconds(hub.pid);
await sleep(idleS * 1000);
const idleCpu = cpuSeconds(hub.pid) - cpu0;
const rssConnected = rssMiB(hub.pid);
console.log(
  `hub idle with ${N} agents: RSS ${rssConnected} MiB (before agents ${rssBefore} MiB), CPU ${idleCpu.toFixed(2)} s over ${idleS} s`,
);

if (profDir) {
  await hub.stop();
  for (const w of workers) w.send({ type: 'stop' });
  await fleet.stop();
  const file = readdirSync(profDir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .sort()
    .at(-1);
  console.log(
    `profile: ${join(profDir, file ?? '?')} (summarise: npx tsx bench/peers/profile.ts --summarise FILE)`,
  );
  process.exit(0);
}

// Latency: a status change on an agent → the event in the hub's stream.
const waiting = new Map<string, { health: string; resolve: () => void }>();
const stream = http.get(
  `${hubUrl}/api/v1/events`,
  { headers: { authorization: `Bearer ${ADMIN}` } },
  (res) => {
    let buf = '';
    res.on('data', (chunk: Buffer) => {
      buf += chunk.toString();
      let i: number;
      while ((i = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (!data) continue;
        const a = JSON.parse(data) as { name: string; health: string };
        const w = waiting.get(a.name);
        if (w && w.health === a.health) {
          waiting.delete(a.name);
          w.resolve();
        }
      }
    });
  },
);
await sleep(1000);
const latencies: number[] = [];
for (let s = 0; s < Number(values.samples); s++) {
  const a = agents[Math.floor(Math.random() * N)];
  if (!a) continue;
  const app = `${a.cluster}-app-${Math.floor(Math.random() * M)}`;
  const health = s % 2 ? 'Healthy' : 'Progressing';
  const seen = new Promise<void>((resolve) => waiting.set(app, { health, resolve }));
  const t0 = performance.now();
  workerOf.get(a.cluster)?.send({ type: 'set', cluster: a.cluster, app, health });
  await Promise.race([seen, sleep(30_000)]);
  latencies.push(performance.now() - t0);
  await sleep(100);
}
stream.destroy();
console.log(
  `status change → hub event: p50 ${pct(latencies, 50).toFixed(0)} ms, p95 ${pct(latencies, 95).toFixed(0)} ms (${latencies.length} samples)`,
);

// Restart: kill the hub, change one app on every agent meanwhile, restart, time until the view has all.
await hub.kill();
for (const a of agents)
  workerOf
    .get(a.cluster)
    ?.send({ type: 'set', cluster: a.cluster, app: `${a.cluster}-app-0`, health: 'Degraded' });
await sleep(2000);
t = Date.now();
hub = startHub();
await until(
  'the restarted hub’s view to show every change',
  async () => {
    try {
      const { items } = await api<{ items: { name: string; health: string }[] }>('/api/v1/applications');
      return items.filter((a) => a.name.endsWith('-app-0') && a.health === 'Degraded').length === N;
    } catch {
      return false;
    }
  },
  15 * 60_000,
);
const convergeS = (Date.now() - t) / 1000;
console.log(
  `hub restart → fleet view converged (all ${N} changes made while it was down) in ${convergeS.toFixed(1)} s`,
);
const rssAfter = rssMiB(hub.pid);

for (const w of workers) w.send({ type: 'stop' });
await hub.stop();
await fleet.stop();
console.log(
  `RESULT ${JSON.stringify({
    bench: 'agents',
    agents: N,
    appsPerAgent: M,
    hubRssMiB: { beforeAgents: rssBefore, connectedIdle: rssConnected, afterRestart: rssAfter },
    hubIdleCpuSeconds: Math.round(idleCpu * 100) / 100,
    idleSeconds: idleS,
    firstReportSeconds: Math.round(firstReportS * 10) / 10,
    statusToHubMs: {
      p50: Math.round(pct(latencies, 50)),
      p95: Math.round(pct(latencies, 95)),
      samples: latencies.length,
    },
    restartConvergeSeconds: Math.round(convergeS * 10) / 10,
  })}`,
);
process.exit(0);
