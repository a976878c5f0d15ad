// Does a slow roll-out starve the rest of the fleet? The hub as shipped (compiled, its own process,
// default concurrency) syncs --services apps of 10 objects; we measure commit→applied (signed push
// webhook) and hand edit→healed on those apps, first alone ("baseline"), then while --stuck apps sit
// in a sync that cannot finish ("stuck"): their first wave holds a Deployment whose Pods can never be
// scheduled (a nodeSelector no node has, and a progress deadline of an hour), so it stays Progressing
// and the sync waits before its second wave. An engine that waits for health inside a work-queue
// worker loses a worker per stuck app; one that requeues loses nothing.
//   npx tsx bench/starvation/main.ts [--services 200] [--stuck 8] [--samples 15] [--concurrency 4]
// Prints per-phase p50/p95 and, last, `RESULT {json}` with stuck/baseline ratios (goal: p95 ≤ 1.2).
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { API_VERSION, type Application } from '../../src/api/application.js';
import { installCrds } from '../../src/cli/commands/install.js';
import { mapLimit } from '../../src/core/concurrency.js';
import type { KubeObject } from '../../src/kube/index.js';
import { startFleet } from '../../test/harness/fleet.js';
import { waitFor } from '../../test/harness/wait.js';
import {
  benchDir,
  compileHub,
  createGitfleetApps,
  fleetRepoFiles,
  gitfleetReady,
  serviceFiles,
  serviceName,
  startHub,
  waitCount,
} from '../peers/lib.js';

const { values } = parseArgs({
  options: {
    services: { type: 'string', default: '200' },
    stuck: { type: 'string', default: '8' },
    samples: { type: 'string', default: '15' },
    concurrency: { type: 'string' },
  },
});
const services = Number(values.services);
const stuckCount = Number(values.stuck);
const samples = Number(values.samples);

const quantile = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))] ?? NaN;
};

/** A service whose first wave never becomes healthy: the sync waits there, forever Progressing. */
function stuckFiles(k: number): Record<string, string> {
  const name = `stuck-${k}`;
  const labels = { app: name };
  const deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, labels, annotations: { 'argocd.argoproj.io/sync-wave': '0' } },
    spec: {
      replicas: 1,
      progressDeadlineSeconds: 3600,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          nodeSelector: { 'gitfleet.dev/bench': 'no-such-node' },
          containers: [{ name: 'app', image: 'nginx:1.27' }],
        },
      },
    },
  };
  const after = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: `${name}-after`, annotations: { 'argocd.argoproj.io/sync-wave': '1' } },
    data: { value: 'after the roll-out' },
  };
  return {
    [`stuck/${name}/deployment.yaml`]: JSON.stringify(deployment, null, 1),
    [`stuck/${name}/configmap.yaml`]: JSON.stringify(after, null, 1),
  };
}

const { entry, commit } = compileHub();
const fleet = await startFleet({
  baseDir: join(benchDir, 'runs'),
  clusters: ['starve'],
  nodesPerCluster: Math.ceil(services / 100) + 1,
});
const [cluster] = fleet.clusters;
if (!cluster) throw new Error('no cluster');
const admin = cluster.admin;
await installCrds(admin);
let files = fleetRepoFiles(services);
for (let k = 0; k < stuckCount; k++) files = { ...files, ...stuckFiles(k) };
const repoUrl = await fleet.git.createRepo('fleet');
await fleet.git.commit('fleet', files);

const stamp = Date.now().toString(36);
const ns = `starve-${stamp}`;
const dest = `starve-dest-${stamp}`;
for (const name of [ns, dest])
  await admin.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }, { fieldManager: 'bench' });
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
  kubeconfig: cluster.kubeconfig,
  namespace: ns,
  pollInterval: '3m',
  ...(values.concurrency ? { concurrency: Number(values.concurrency) } : {}),
});
const alive = (): boolean => hub.process.running;

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
  alive,
});
console.log(
  `gitfleet (commit ${commit}): ${services} apps Synced+Healthy in ${(coldMs / 1000).toFixed(1)} s`,
);

const cm = (svc: number): { apiVersion: string; kind: string; namespace: string; name: string } => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  namespace: dest,
  name: `${serviceName(svc)}-cm-0`,
});
const valueOf = async (svc: number): Promise<string | undefined> =>
  ((await admin.getOrUndefined(cm(svc)))?.data as Record<string, string> | undefined)?.value;

let commits = 0;
const appliedValue = new Map<number, string>();
/** Commit→applied and hand edit→healed, alternating, on services spread over the fleet. */
async function measure(label: string): Promise<{ commitMs: number[]; driftMs: number[] }> {
  const commitMs: number[] = [];
  const driftMs: number[] = [];
  for (let k = 0; k < samples; k++) {
    const svc = (k * 37 + commits * 11) % services;
    const value = `change-${++commits}`;
    await fleet.git.commit('fleet', serviceFiles(svc, value), { message: value });
    const t = performance.now();
    await hub.push(repoUrl);
    commitMs.push(
      await waitCount(
        `${label}: commit ${k} applied`,
        async () => ((await valueOf(svc)) === value ? 1 : 0),
        1,
        t,
        {
          timeoutMs: 600_000,
          intervalMs: 20,
          alive,
        },
      ),
    );
    appliedValue.set(svc, value);

    const other = (svc + Math.floor(services / 2)) % services;
    const want = appliedValue.get(other) ?? 'v0';
    await admin.request({
      method: 'PATCH',
      path: `/api/v1/namespaces/${dest}/configmaps/${serviceName(other)}-cm-0`,
      query: { fieldManager: 'hand-edit' },
      body: { data: { value: `drifted-${k}` } },
      contentType: 'application/merge-patch+json',
    });
    const d = performance.now();
    driftMs.push(
      await waitCount(
        `${label}: drift ${k} healed`,
        async () => ((await valueOf(other)) === want ? 1 : 0),
        1,
        d,
        {
          timeoutMs: 600_000,
          intervalMs: 20,
          alive,
        },
      ),
    );
  }
  const f = (xs: number[]): string =>
    `p50 ${Math.round(quantile(xs, 0.5))} ms, p95 ${Math.round(quantile(xs, 0.95))} ms`;
  console.log(`${label}: commit→applied ${f(commitMs)}; hand edit→healed ${f(driftMs)}`);
  // Every sample, in order: a p95 of 15 is the slowest one, so say which sample it was.
  const each = (xs: number[]): string => xs.map((x) => Math.round(x)).join(' ');
  console.log(`  samples, commit→applied: ${each(commitMs)}`);
  console.log(`  samples, hand edit→healed: ${each(driftMs)}`);
  return { commitMs, driftMs };
}

const baseline = await measure('baseline');

// The stuck apps: created, then waited for until each is inside its sync (first wave applied,
// waiting for the Deployment that never becomes Available).
const stuckNames = Array.from({ length: stuckCount }, (_, k) => `stuck-${k}`);
await mapLimit(stuckNames, 8, (name) =>
  admin.create({
    apiVersion: API_VERSION,
    kind: 'Application',
    metadata: { name, namespace: ns },
    spec: {
      project: `bench-${ns}`,
      source: { repoURL: repoUrl, path: `stuck/${name}`, secretRef: { name: 'repo' } },
      destination: { namespace: dest },
      syncPolicy: { automated: { prune: true, selfHeal: true } },
    },
  } as KubeObject),
);
await waitFor(
  `${stuckCount} stuck Deployments applied and Progressing`,
  async () => {
    const list = await admin.list<KubeObject>('apps/v1', 'Deployment', { namespace: dest });
    return list.items.filter((d) => d.metadata.name.startsWith('stuck-')).length >= stuckCount;
  },
  { timeoutMs: 300_000, intervalMs: 250 },
);
const stuckStart = performance.now();
const stuck = await measure(`with ${stuckCount} stuck`);
const stuckApps = await admin.list<Application>(API_VERSION, 'Application', { namespace: ns });
const stillStuck = stuckApps.items.filter(
  (a) => a.metadata.name.startsWith('stuck-') && a.status?.health?.status !== 'Healthy',
).length;
console.log(
  `${stillStuck}/${stuckCount} stuck apps still not Healthy after ${((performance.now() - stuckStart) / 1000).toFixed(0)} s of measuring (must be all of them)`,
);
await hub.stop();
await fleet.stop();

const r = (a: number, b: number): number => Math.round((a / b) * 100) / 100;
const summary = (s: { commitMs: number[]; driftMs: number[] }): Record<string, number> => ({
  commitP50Ms: Math.round(quantile(s.commitMs, 0.5)),
  commitP95Ms: Math.round(quantile(s.commitMs, 0.95)),
  driftP50Ms: Math.round(quantile(s.driftMs, 0.5)),
  driftP95Ms: Math.round(quantile(s.driftMs, 0.95)),
});
const b = summary(baseline);
const s = summary(stuck);
const ratios = {
  commitP95: r(s.commitP95Ms ?? 0, b.commitP95Ms ?? 1),
  driftP95: r(s.driftP95Ms ?? 0, b.driftP95Ms ?? 1),
};
console.log(
  `stuck/baseline: commit→applied p95 ×${ratios.commitP95}, hand edit→healed p95 ×${ratios.driftP95} (goal ≤ 1.2 each)`,
);
console.log(
  `RESULT ${JSON.stringify({
    bench: 'starvation',
    gitfleetCommit: commit,
    services,
    stuck: stuckCount,
    stillStuck,
    samples,
    coldMs: Math.round(coldMs),
    baseline: b,
    withStuck: s,
    ratios,
  })}`,
);
process.exit(0);
