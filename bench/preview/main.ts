// bench/preview: the fleet impact preview of a pull request on 100 apps × 10 clusters (1,000
// Applications of one repository). Real apiservers (the 10 Clusters are registered over the run's
// apiservers, each in a namespace of its own), real Git server, the product's preview path
// (render both revisions, server-side dry-run of every changed object). Two pull requests:
// one that changes every app (the worst case: 1,000 apps rendered twice and dry-run) and one that
// changes 10 app directories (100 apps on 10 clusters). The bar: under a minute.
//
//   npx tsx bench/preview/main.ts [--apps 100] [--clusters 10] [--apiservers 2] [--concurrency 8]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { API_VERSION } from '../../src/api/application.js';
import { FLEET_NAMESPACE } from '../../src/api/cluster.js';
import { installCrds } from '../../src/cli/commands/install.js';
import { ClusterResolver } from '../../src/controllers/clusters.js';
import { registerCluster } from '../../src/controllers/cluster/register.js';
import { mapLimit } from '../../src/core/concurrency.js';
import { GitSources } from '../../src/engine/source/index.js';
import { loadConnection, type KubeObject } from '../../src/kube/index.js';
import { previewChange } from '../../src/preview/preview.js';
import { startFleet } from '../../test/harness/fleet.js';
import { toolPath } from '../../test/harness/tools.js';
import { waitFor } from '../../test/harness/wait.js';

const { values } = parseArgs({
  options: {
    apps: { type: 'string', default: '100' },
    clusters: { type: 'string', default: '10' },
    apiservers: { type: 'string', default: '2' },
    concurrency: { type: 'string', default: '8' },
  },
});
const apps = Number(values.apps);
const clusters = Number(values.clusters);
const apiservers = Number(values.apiservers);
const concurrency = Number(values.concurrency);
const pad = (i: number): string => String(i).padStart(3, '0');
const cm = (name: string, data: Record<string, string>): string =>
  JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data });

const work = mkdtempSync(join(tmpdir(), 'gitfleet-bench-preview-'));
const fleet = await startFleet({ clusters: Array.from({ length: apiservers }, (_, i) => `pv${i}`) });
try {
  const hub = fleet.clusters[0];
  if (!hub) throw new Error('no cluster');
  const admin = hub.admin;
  await installCrds(admin);
  const ns = 'preview-bench';
  await admin.apply(
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } },
    { fieldManager: 'bench' },
  );

  // The harness' Git server wants credentials for reads too.
  await admin.apply(
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'creds', namespace: ns },
      stringData: { username: fleet.git.info.admin.username, password: fleet.git.info.admin.password },
    } as KubeObject,
    { fieldManager: 'bench' },
  );
  // The repository: one directory (one ConfigMap) per app.
  const repo = 'preview-bench';
  const repoURL = await fleet.git.createRepo(repo);
  const files = (color: string, which: (i: number) => boolean): Record<string, string> =>
    Object.fromEntries(
      Array.from({ length: apps }, (_, i) => i)
        .filter(which)
        .map((i) => [`apps/app-${pad(i)}/cm.yaml`, cm(`app-${pad(i)}`, { color, index: String(i) })]),
    );
  await fleet.git.commit(
    repo,
    files('blue', () => true),
    { message: 'fleet' },
  );
  await fleet.git.commit(
    repo,
    files('green', () => true),
    { branch: 'all', message: 'every app' },
  );
  await fleet.git.commit(
    repo,
    files('green', (i) => i % 10 === 0),
    { branch: 'ten', message: 'ten apps' },
  );

  // 10 Clusters over the run's apiservers, each deploying into a namespace named after it.
  const names: string[] = [];
  for (let c = 0; c < clusters; c++) {
    const target = fleet.clusters[c % fleet.clusters.length];
    if (!target) throw new Error('no cluster');
    const name = `pb-${c}`;
    names.push(name);
    await registerCluster(admin, { name, connection: await loadConnection({ file: target.kubeconfig }) });
    await target.admin.apply(
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name } },
      { fieldManager: 'bench' },
    );
  }
  await admin.apply(
    {
      apiVersion: API_VERSION,
      kind: 'Project',
      metadata: { name: 'preview-bench', namespace: FLEET_NAMESPACE },
      spec: { sourceNamespaces: [ns], sourceRepos: [repoURL], destinations: [{ namespace: '*' }] },
    } as KubeObject,
    { fieldManager: 'bench' },
  );
  const t0 = performance.now();
  const specs = names.flatMap((cluster) => Array.from({ length: apps }, (_, i) => ({ cluster, i })));
  await mapLimit(specs, 16, ({ cluster, i }) =>
    admin.apply(
      {
        apiVersion: API_VERSION,
        kind: 'Application',
        metadata: { name: `app-${pad(i)}-${cluster}`, namespace: ns },
        spec: {
          project: 'preview-bench',
          source: {
            repoURL,
            targetRevision: 'main',
            path: `apps/app-${pad(i)}`,
            secretRef: { name: 'creds' },
          },
          destination: { name: cluster, namespace: cluster },
        },
      } as KubeObject,
      { fieldManager: 'bench' },
    ),
  );
  console.log(`${specs.length} Applications created in ${Math.round(performance.now() - t0)} ms`);
  console.log(
    `machine: ${apiservers} apiservers on 2 cores shared with other work (load average ${(await import('node:os')).loadavg()[0]?.toFixed(1)})`,
  );

  // A fresh apiserver answers 429 while the watch cache of a new CRD initialises: wait for the
  // lists the preview makes, so the figure measures the preview, not the apiserver's start.
  await waitFor(
    'the lists the preview reads',
    async () => {
      for (const kind of ['ApplicationSet', 'Application', 'Cluster', 'Project'])
        await admin.list(API_VERSION, kind, {
          namespace: kind === 'Cluster' || kind === 'Project' ? FLEET_NAMESPACE : ns,
        });
      return true;
    },
    { timeoutMs: 60_000, intervalMs: 500 },
  );
  const deps = {
    client: admin,
    sources: new GitSources({ cacheDir: join(work, 'sources') }),
    clusters: new ClusterResolver(admin, FLEET_NAMESPACE),
    namespace: ns,
    concurrency,
    renderOptions: { kustomizeBinary: toolPath('kustomize'), helmBinary: toolPath('helm') },
  };
  const run = async (head: string): Promise<{ ms: number; line: string; apps: number; errors: number }> => {
    const t = performance.now();
    const r = await previewChange(deps, { repoURL, base: 'main', head });
    const ms = Math.round(performance.now() - t);
    const errors = r.apps.filter((a) => a.error).length;
    console.log(`preview main → ${head}: ${ms} ms — ${r.summary.line} (${errors} app errors)`);
    if (errors) console.log(`first error: ${r.apps.find((a) => a.error)?.error ?? ''}`);
    return { ms, line: r.summary.line, apps: r.summary.apps, errors };
  };
  // First the small change (it also clones the mirror), then the whole fleet, then the small one
  // again warm.
  const tenCold = await run('ten');
  const all = await run('all');
  const tenWarm = await run('ten');
  const result = {
    apps,
    clusters,
    apiservers,
    concurrency,
    applications: specs.length,
    allChangedMs: all.ms,
    allChangedApps: all.apps,
    tenDirsColdMs: tenCold.ms,
    tenDirsWarmMs: tenWarm.ms,
    tenDirsApps: tenWarm.apps,
    errors: all.errors + tenCold.errors + tenWarm.errors,
    underAMinute: all.ms < 60_000,
    loadavg1: Number((await import('node:os')).loadavg()[0]?.toFixed(1)),
  };
  console.log(`RESULT ${JSON.stringify(result)}`);
} finally {
  await fleet.stop();
  rmSync(work, { recursive: true, force: true });
}
