// Fleet benchmark: one ApplicationSet of S services × N clusters (real control planes), for each N:
// time from creating the ApplicationSet until every Application is Synced and Healthy, and the
// resident memory of the hub (`gitfleet controller`, its own process) once settled. The slope of
// memory over N is the cost of one more cluster (Argo CD's figure to beat: ~100 MB per cluster).
//   npx tsx bench/fleet/main.ts [--services 50] [--clusters 1,2,4,8] [--settle-ms 15000]
// Prints figures and, last, `RESULT {json}`.
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { API_VERSION, type Application } from '../../src/api/application.js';
import { installCrds } from '../../src/cli/commands/install.js';
import { registerCluster } from '../../src/controllers/cluster/register.js';
import { loadConnection } from '../../src/kube/index.js';
import { startFleet } from '../../test/harness/fleet.js';
import { repoRoot, toolPath } from '../../test/harness/tools.js';
import { waitFor } from '../../test/harness/wait.js';

const { values } = parseArgs({
  options: {
    services: { type: 'string', default: '50' },
    clusters: { type: 'string', default: '1,2,4,8' },
    'settle-ms': { type: 'string', default: '15000' },
  },
});
const services = Number(values.services);
const sizes = values.clusters.split(',').map(Number);
const settleMs = Number(values['settle-ms']);

const rssMiB = (pid: number): number => {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m?.[1] ? Math.round(Number(m[1]) / 1024) : 0;
};

execFileSync(
  process.execPath,
  [join(repoRoot, 'node_modules/typescript/bin/tsc'), '-p', join(repoRoot, 'tsconfig.build.json')],
  { stdio: 'inherit' },
);

const rows: { clusters: number; apps: number; syncMs: number; peakRssMiB: number; settledRssMiB: number }[] =
  [];
for (const n of sizes) {
  const fleet = await startFleet({
    clusters: Array.from({ length: n }, (_, i) => `fleet-${i + 1}`),
    nodesPerCluster: 2,
  });
  const [hub] = fleet.clusters;
  if (!hub) throw new Error('no cluster');
  await installCrds(hub.admin);
  for (const c of fleet.clusters)
    await registerCluster(hub.admin, {
      name: c.name,
      connection: await loadConnection({ file: c.kubeconfig }),
      labels: { bench: 'fleet' },
    });
  const files: Record<string, string> = {};
  for (let i = 0; i < services; i++) {
    files[`services/svc-${i}/cm.yaml`] = JSON.stringify({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: `svc-${i}` },
      data: { index: String(i) },
    });
    files[`services/svc-${i}/deploy.yaml`] = JSON.stringify({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: `svc-${i}` },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: `svc-${i}` } },
        template: {
          metadata: { labels: { app: `svc-${i}` } },
          spec: { containers: [{ name: 'c', image: 'nginx' }] },
        },
      },
    });
  }
  const repo = await fleet.git.createRepo('services');
  await fleet.git.commit('services', files);
  await hub.admin.create({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'repo', namespace: 'default', labels: { 'gitfleet.dev/secret-type': 'repository' } },
    stringData: {
      url: repo,
      username: fleet.git.info.admin.username,
      password: fleet.git.info.admin.password,
    },
  });

  // The hub as it ships: compiled JavaScript (built below), in a process of its own.
  const controller = spawn(
    process.execPath,
    [
      join(repoRoot, 'dist/src/cli/main.js'),
      'controller',
      '--kubeconfig',
      hub.kubeconfig,
      '--webhook-port',
      '0',
      '--concurrency',
      '8',
      '--cache-dir',
      join(fleet.runDir, 'sources'),
    ],
    {
      cwd: repoRoot,
      env: {
        ...process.env,
        GITFLEET_KUSTOMIZE: toolPath('kustomize'),
        GITFLEET_HELM: toolPath('helm'),
        GITFLEET_LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  const pid = controller.pid ?? 0;
  await new Promise((r) => setTimeout(r, 2000));
  const t0 = performance.now();
  await hub.admin.create({
    apiVersion: API_VERSION,
    kind: 'ApplicationSet',
    metadata: { name: 'services', namespace: 'default' },
    spec: {
      generators: [
        {
          matrix: {
            generators: [
              { clusters: { selector: { matchLabels: { bench: 'fleet' } } } },
              { git: { repoURL: repo, revision: 'main', directories: [{ path: 'services/*' }] } },
            ],
          },
        },
      ],
      template: {
        metadata: { name: '{{path.basename}}-{{name}}' },
        spec: {
          source: { repoURL: repo, path: '{{path}}' },
          destination: { name: '{{name}}', namespace: 'services' },
          syncPolicy: { automated: { prune: true, selfHeal: true }, syncOptions: ['CreateNamespace=true'] },
        },
      },
    },
  } as never);
  let peak = 0;
  const expected = services * n;
  await waitFor(
    `${expected} Applications Synced and Healthy`,
    async () => {
      peak = Math.max(peak, rssMiB(pid));
      const list = await hub.admin.list<Application>(API_VERSION, 'Application', { namespace: 'default' });
      return (
        list.items.length === expected &&
        list.items.every((a) => a.status?.sync?.status === 'Synced' && a.status.health?.status === 'Healthy')
      );
    },
    { timeoutMs: 1_200_000, intervalMs: 1000 },
  );
  const syncMs = performance.now() - t0;
  await new Promise((r) => setTimeout(r, settleMs));
  const settled = rssMiB(pid);
  controller.kill('SIGTERM');
  await new Promise((r) => controller.once('exit', r));
  await fleet.stop();
  rows.push({
    clusters: n,
    apps: expected,
    syncMs: Math.round(syncMs),
    peakRssMiB: Math.max(peak, settled),
    settledRssMiB: settled,
  });
  console.log(
    `${n} cluster(s), ${expected} Applications: all Synced+Healthy in ${(syncMs / 1000).toFixed(1)} s; hub RSS peak ${peak} MiB, settled ${settled} MiB`,
  );
}

// Least-squares slope of settled RSS over the number of clusters.
const xs = rows.map((r) => r.clusters);
const ys = rows.map((r) => r.settledRssMiB);
const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
const my = ys.reduce((a, b) => a + b, 0) / ys.length;
const den = xs.reduce((a, x) => a + (x - mx) ** 2, 0);
const slope = den ? xs.reduce((a, x, i) => a + (x - mx) * ((ys[i] ?? 0) - my), 0) / den : 0;
console.log(`hub memory per added cluster (${services} services each): ${slope.toFixed(1)} MiB`);
console.log(
  `RESULT ${JSON.stringify({ bench: 'fleet', services, rows, rssSlopeMiBPerCluster: Math.round(slope * 10) / 10 })}`,
);
process.exit(0);
