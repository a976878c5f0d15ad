// The physical floor on this machine: how fast the kube-apiserver accepts the objects of the
// bench/peers fleet (N services × 10 objects) from a tight server-side-apply loop of our own client
// (src/kube/client.ts, `--concurrency` requests in flight), and how soon after that every
// Deployment is Available — against gitfleet's cold sync of the same apps (the compiled hub in its
// own process), alternating floor / gitfleet on fresh namespaces.
//   npx tsx bench/limit/main.ts [--services 100] [--rounds 2] [--concurrency 8,32]
// Prints figures and, last, `RESULT {json}` with gitfleet's cold time as a ratio of the floor.
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { installCrds } from '../../src/cli/commands/install.js';
import { mapLimit } from '../../src/core/concurrency.js';
import { KubeClient, loadConnection, type KubeObject } from '../../src/kube/index.js';
import { startFleet } from '../../test/harness/fleet.js';
import { waitFor } from '../../test/harness/wait.js';
import {
  compileHub,
  createGitfleetApps,
  fleetRepoFiles,
  gitfleetReady,
  procSample,
  serviceName,
  serviceObjects,
  startHub,
  waitCount,
  benchDir,
} from '../peers/lib.js';
import { diffRequests, requestTable, sampleRequests, totalRequests, type RequestCounts } from './requests.js';

const { values } = parseArgs({
  options: {
    services: { type: 'string', default: '100' },
    rounds: { type: 'string', default: '2' },
    concurrency: { type: 'string', default: '8,32' },
  },
});
const services = Number(values.services);
const rounds = Number(values.rounds);
const concurrencies = values.concurrency.split(',').map(Number);
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] ?? NaN) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
};

const { entry, commit } = compileHub();
const fleet = await startFleet({
  baseDir: join(benchDir, 'runs'),
  clusters: ['limit'],
  nodesPerCluster: Math.ceil(services / 100) + 1,
});
const [cluster] = fleet.clusters;
if (!cluster) throw new Error('no cluster');
const admin = cluster.admin;
await installCrds(admin);
const repoUrl = await fleet.git.createRepo('fleet');
await fleet.git.commit('fleet', fleetRepoFiles(services));
const apiPid = cluster.processes[0]?.pid ?? 0;
const stamp = Date.now().toString(36);
let seq = 0;

async function freshNamespace(prefix: string): Promise<string> {
  const name = `${prefix}-${stamp}-${++seq}`;
  await admin.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }, { fieldManager: 'bench' });
  return name;
}

async function deleteNamespace(name: string): Promise<void> {
  await admin.delete({ apiVersion: 'v1', kind: 'Namespace', name });
  await waitFor(
    `namespace ${name} gone`,
    async () => !(await admin.getOrUndefined({ apiVersion: 'v1', kind: 'Namespace', name })),
    { timeoutMs: 600_000, intervalMs: 500 },
  );
}

interface Deployment extends KubeObject {
  status?: { availableReplicas?: number; observedGeneration?: number };
}

async function availableDeployments(ns: string): Promise<number> {
  const l = await admin.list<Deployment>('apps/v1', 'Deployment', { namespace: ns });
  return l.items.filter((d) => (d.status?.availableReplicas ?? 0) >= 1).length;
}

/** SSA of every object, `concurrency` in flight, with a client of its own (as the hub has). */
async function floor(
  concurrency: number,
): Promise<{ applyMs: number; healthyMs: number; apiserverCpuS: number; requests: RequestCounts }> {
  const ns = await freshNamespace(`floor-c${concurrency}`);
  const objects = Array.from({ length: services }, (_, i) => serviceObjects(serviceName(i))).flat();
  const client = new KubeClient(await loadConnection({ file: cluster?.kubeconfig ?? '' }));
  // Discovery once, outside the timing: the hub has it warm too after its first app.
  await client.resource('apps/v1', 'Deployment');
  const r0 = await sampleRequests(admin);
  const a0 = procSample(apiPid);
  const t0 = performance.now();
  await mapLimit(objects, concurrency, (o) =>
    client.apply(
      { ...o, metadata: { ...o.metadata, namespace: ns } },
      { fieldManager: 'bench-limit', force: true },
    ),
  );
  const applyMs = performance.now() - t0;
  const healthyMs = await waitCount(
    `${services} Deployments available`,
    () => availableDeployments(ns),
    services,
    t0,
    {
      timeoutMs: 600_000,
      intervalMs: 100,
    },
  );
  const apiserverCpuS = procSample(apiPid).cpuS - a0.cpuS;
  const requests = diffRequests(r0, await sampleRequests(admin));
  client.close();
  await deleteNamespace(ns);
  return { applyMs, healthyMs, apiserverCpuS, requests };
}

async function gitfleetCold(): Promise<{ coldMs: number; apiserverCpuS: number; requests: RequestCounts }> {
  const ns = await freshNamespace('gf-limit');
  const dest = await freshNamespace('gf-limit-dest');
  await admin.create({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'repo', namespace: ns },
    stringData: { username: fleet.git.info.admin.username, password: fleet.git.info.admin.password },
  });
  const hub = await startHub({
    name: `hub-${ns}`,
    runDir: fleet.runDir,
    entry,
    kubeconfig: cluster?.kubeconfig ?? '',
    namespace: ns,
    pollInterval: '1m',
  });
  try {
    const r0 = await sampleRequests(admin);
    const a0 = procSample(apiPid);
    const t0 = performance.now();
    await createGitfleetApps(
      admin,
      ns,
      repoUrl,
      Array.from({ length: services }, (_, i) => ({ index: i, destNamespace: dest })),
    );
    const coldMs = await waitCount(`${services} apps ready`, gitfleetReady(admin, ns), services, t0, {
      timeoutMs: 1_800_000,
      intervalMs: 250,
      alive: () => hub.process.running,
    });
    const apiserverCpuS = procSample(apiPid).cpuS - a0.cpuS;
    return { coldMs, apiserverCpuS, requests: diffRequests(r0, await sampleRequests(admin)) };
  } finally {
    await hub.stop();
    await deleteNamespace(dest);
  }
}

const floors = new Map<number, { applyMs: number[]; healthyMs: number[]; apiserverCpuS: number[] }>();
const gitfleet: { coldMs: number[]; apiserverCpuS: number[] } = { coldMs: [], apiserverCpuS: [] };
// The requests of the last round (the counts do not depend on the load; one round suffices).
let floorRequests: RequestCounts = new Map();
let gitfleetRequests: RequestCounts = new Map();
for (let r = 1; r <= rounds; r++) {
  for (const c of concurrencies) {
    const f = await floor(c);
    const acc = floors.get(c) ?? { applyMs: [], healthyMs: [], apiserverCpuS: [] };
    acc.applyMs.push(f.applyMs);
    acc.healthyMs.push(f.healthyMs);
    acc.apiserverCpuS.push(f.apiserverCpuS);
    floors.set(c, acc);
    if (c === concurrencies[0]) floorRequests = f.requests;
    console.log(
      `round ${r}: floor, ${services * 10} objects at concurrency ${c}: applied in ${(f.applyMs / 1000).toFixed(2)} s (${Math.round((services * 10) / (f.applyMs / 1000))} objects/s), all Deployments available at ${(f.healthyMs / 1000).toFixed(2)} s; apiserver CPU ${f.apiserverCpuS.toFixed(1)} s`,
    );
  }
  const g = await gitfleetCold();
  gitfleet.coldMs.push(g.coldMs);
  gitfleet.apiserverCpuS.push(g.apiserverCpuS);
  gitfleetRequests = g.requests;
  console.log(
    `round ${r}: gitfleet cold sync of ${services} apps: ${(g.coldMs / 1000).toFixed(2)} s; apiserver CPU ${g.apiserverCpuS.toFixed(1)} s`,
  );
}
await fleet.stop();

const coldMs = median(gitfleet.coldMs);
const out = concurrencies.map((c) => {
  const f = floors.get(c) ?? { applyMs: [], healthyMs: [], apiserverCpuS: [] };
  const applyMs = median(f.applyMs);
  const healthyMs = median(f.healthyMs);
  return {
    concurrency: c,
    applyMs: Math.round(applyMs),
    objectsPerSecond: Math.round((services * 10) / (applyMs / 1000)),
    healthyMs: Math.round(healthyMs),
    apiserverCpuS: Math.round(median(f.apiserverCpuS) * 10) / 10,
    gitfleetOverApply: Math.round((coldMs / applyMs) * 100) / 100,
    gitfleetOverHealthy: Math.round((coldMs / healthyMs) * 100) / 100,
  };
});
console.log('');
console.log(
  `apiserver requests served (apiserver_request_total, last round; the floor at concurrency ${concurrencies[0]}).` +
    ` Both include kube-controller-manager, scheduler and kwok rolling out the same Deployments, and the` +
    ` bench's own polls (LIST deployments for the floor, LIST applications for gitfleet):`,
);
console.log(requestTable(floorRequests, gitfleetRequests, services));
const floorTotal = totalRequests(floorRequests);
const gitfleetTotal = totalRequests(gitfleetRequests);
console.log(
  `requests: floor ${floorTotal}, gitfleet ${gitfleetTotal} (${(gitfleetTotal / services).toFixed(1)} per app, ${((gitfleetTotal - floorTotal) / (services * 10)).toFixed(2)} more per object than the floor)`,
);
console.log('');
console.log(
  `gitfleet (commit ${commit}) cold sync of ${services} apps: median ${(coldMs / 1000).toFixed(2)} s`,
);
for (const o of out)
  console.log(
    `floor at concurrency ${o.concurrency}: apply ${(o.applyMs / 1000).toFixed(2)} s (${o.objectsPerSecond}/s), applied+available ${(o.healthyMs / 1000).toFixed(2)} s → gitfleet is ${o.gitfleetOverApply}× the apply floor, ${o.gitfleetOverHealthy}× the applied+available floor`,
  );
console.log(
  `RESULT ${JSON.stringify({
    bench: 'limit',
    services,
    objects: services * 10,
    gitfleetCommit: commit,
    gitfleetColdMs: Math.round(coldMs),
    gitfleetApiserverCpuS: Math.round(median(gitfleet.apiserverCpuS) * 10) / 10,
    floors: out,
    requests: {
      floor: floorTotal,
      gitfleet: gitfleetTotal,
      gitfleetPerApp: Math.round((gitfleetTotal / services) * 10) / 10,
      gitfleetByVerbResource: Object.fromEntries(gitfleetRequests),
      floorByVerbResource: Object.fromEntries(floorRequests),
    },
  })}`,
);
process.exit(0);
