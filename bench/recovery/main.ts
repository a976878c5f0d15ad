// Recovery benchmark (issue 16): a hub restart with C clusters × A apps each. The hub (`gitfleet
// controller`, a process of its own) first brings every Application to Synced and Healthy; then it
// is killed (SIGKILL, as a node loss) and a new hub process started: the figure is the time from
// that start until the new process has reconciled every app again and reports it Synced and Healthy
// (its own gitfleet_app_info series: a fresh process has none until it reconciled the app). It also
// counts objects re-created on the destinations (must be 0: the inventories live there).
//   npx tsx bench/recovery/main.ts [--clusters 8] [--apps 50] [--concurrency 8] [--lease-duration 15s]
// Prints figures and, last, `RESULT {json}`. Each cluster is a real control plane of the harness;
// the hub runs from the working tree through tsx (the image runs compiled JavaScript; tsx adds its
// start-up, about a second, to the restart figure).
// Measured (8 × 50, default options, 2 cores shared with other work: load average 2 at the start,
// 12-15 during the run): cold 38.1 s; restart: first app 14.0 s, all 400 apps 51.3 s; 0 objects
// re-created. Since the join rule (src/controllers/lease/join.ts) a new process that sees the killed
// one's member Lease claims no cluster until that Lease expires, so the first app, not only the
// last, waits for --lease-duration.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { API_VERSION } from '../../src/api/application.js';
import { FLEET_NAMESPACE } from '../../src/api/cluster.js';
import { installCrds } from '../../src/cli/commands/install.js';
import { registerCluster } from '../../src/controllers/cluster/register.js';
import { loadConnection, type KubeObject } from '../../src/kube/index.js';
import { startFleet } from '../../test/harness/fleet.js';
import { freePort } from '../../test/harness/ports.js';
import { repoRoot, toolPath } from '../../test/harness/tools.js';
import { waitFor } from '../../test/harness/wait.js';

const { values } = parseArgs({
  options: {
    clusters: { type: 'string', default: '8' },
    apps: { type: 'string', default: '50' },
    concurrency: { type: 'string', default: '8' },
    'timeout-s': { type: 'string', default: '1800' },
    // The hub's --lease-duration: a killed hub's member Lease counts until it expires, so the new
    // process (a new identity) claims no cluster before then (it cannot tell a dead member from a
    // live one that has not seen it yet): it bounds both restart figures from below.
    'lease-duration': { type: 'string', default: '15s' },
  },
});
const clusterCount = Number(values.clusters);
const appsPerCluster = Number(values.apps);
const total = clusterCount * appsPerCluster;
const timeoutMs = Number(values['timeout-s']) * 1000;
if (!(clusterCount >= 1 && appsPerCluster >= 1)) throw new Error('--clusters and --apps must be at least 1');

// The hub's own namespace: the default Project admits Applications there (the fleet is this bench's).
const HUB_NS = FLEET_NAMESPACE;
const DEST_NS = 'bench-recovery';
const base = join(tmpdir(), 'gitfleet-bench', 'runs');
mkdirSync(base, { recursive: true });
const t = performance.now();
const fleet = await startFleet({
  clusters: Array.from({ length: clusterCount }, (_, i) => `rec-${i + 1}`),
  nodesPerCluster: 1,
  baseDir: base,
});
console.log(`fleet of ${clusterCount} clusters up in ${((performance.now() - t) / 1000).toFixed(1)} s`);
const [hub] = fleet.clusters;
if (!hub) throw new Error('no cluster');

let controller: ChildProcess | undefined;
const stopController = (): void => {
  if (controller?.pid && controller.exitCode === null) controller.kill('SIGKILL');
};
process.once('exit', stopController);

try {
  await installCrds(hub.admin);
  await hub.admin.apply(
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: HUB_NS } },
    { fieldManager: 'bench' },
  );
  await hub.admin.create({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'creds', namespace: HUB_NS },
    stringData: { username: fleet.git.info.admin.username, password: fleet.git.info.admin.password },
  });
  const files: Record<string, string> = {};
  for (let j = 0; j < appsPerCluster; j++)
    files[`apps/app-${j}/cm.yaml`] = JSON.stringify({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: `app-${j}` },
      data: { index: String(j) },
    });
  await fleet.git.createRepo('recovery');
  await fleet.git.commit('recovery', files);
  for (const c of fleet.clusters) {
    await registerCluster(hub.admin, {
      name: c.name,
      connection: await loadConnection({ file: c.kubeconfig }),
    });
    await c.admin.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: DEST_NS } });
    for (let j = 0; j < appsPerCluster; j++)
      await hub.admin.create({
        apiVersion: API_VERSION,
        kind: 'Application',
        metadata: { name: `${c.name}-app-${j}`, namespace: HUB_NS },
        spec: {
          source: {
            repoURL: fleet.git.repoUrl('recovery'),
            path: `apps/app-${j}`,
            secretRef: { name: 'creds' },
          },
          destination: { name: c.name, namespace: DEST_NS },
          syncPolicy: { automated: { prune: true, selfHeal: true } },
        },
      } as KubeObject);
  }
  console.log(`${total} Applications created (${clusterCount} clusters × ${appsPerCluster})`);

  const port = await freePort();
  const startHub = (): ChildProcess =>
    spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        join(repoRoot, 'src/cli/main.ts'),
        'controller',
        '--kubeconfig',
        hub.kubeconfig,
        '--namespace',
        HUB_NS,
        '--webhook-port',
        String(port),
        '--concurrency',
        values.concurrency,
        '--lease-duration',
        values['lease-duration'],
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
  /** Apps this hub process has reconciled and reports Synced and Healthy, from its own metrics. */
  const settled = async (): Promise<number> => {
    if (controller?.exitCode !== null) throw new Error('the hub exited');
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    let n = 0;
    for (const m of text.matchAll(/^gitfleet_app_info\{([^}]*)\} 1$/gm)) {
      const l = m[1] ?? '';
      if (
        l.includes(`namespace="${HUB_NS}"`) &&
        l.includes('sync_status="Synced"') &&
        l.includes('health_status="Healthy"')
      )
        n++;
    }
    return n;
  };
  const untilAll = async (what: string): Promise<{ ms: number; firstMs: number }> => {
    const t0 = performance.now();
    let firstMs = -1;
    let last = -1;
    await waitFor(
      what,
      async () => {
        const n = await settled().catch((e: unknown) => {
          if (e instanceof Error && e.message === 'the hub exited') throw e;
          return 0; // not listening yet
        });
        if (n > 0 && firstMs < 0) firstMs = performance.now() - t0;
        if (n !== last) {
          last = n;
          process.stdout.write(`\r  ${n}/${total}`);
        }
        return n >= total;
      },
      { timeoutMs, intervalMs: 500 },
    );
    process.stdout.write('\n');
    return { ms: performance.now() - t0, firstMs };
  };
  /** UID of every destination ConfigMap, to count re-creations across the restart. */
  const uids = async (): Promise<Map<string, string>> => {
    const out = new Map<string, string>();
    for (const c of fleet.clusters) {
      const list = await c.admin.list('v1', 'ConfigMap', { namespace: DEST_NS });
      for (const o of list.items)
        if (o.metadata.name.startsWith('app-')) out.set(`${c.name}/${o.metadata.name}`, o.metadata.uid ?? '');
    }
    return out;
  };

  controller = startHub();
  const cold = await untilAll('every app Synced and Healthy (cold)');
  console.log(`cold: ${total} apps Synced+Healthy in ${(cold.ms / 1000).toFixed(1)} s`);
  const before = await uids();

  controller.kill('SIGKILL');
  await new Promise((r) => controller?.once('exit', r));
  controller = startHub();
  const again = await untilAll('every app reconciled again by the restarted hub');
  const after = await uids();
  let recreated = 0;
  for (const [k, uid] of before) if (after.get(k) !== uid) recreated++;
  console.log(
    `restart: first app reported after ${(again.firstMs / 1000).toFixed(1)} s, all ${total} after ${(again.ms / 1000).toFixed(1)} s; ${recreated} of ${before.size} destination objects re-created`,
  );
  console.log(
    `RESULT ${JSON.stringify({
      clusters: clusterCount,
      appsPerCluster,
      apps: total,
      concurrency: Number(values.concurrency),
      leaseDuration: values['lease-duration'],
      coldSyncS: +(cold.ms / 1000).toFixed(1),
      restartFirstAppS: +(again.firstMs / 1000).toFixed(1),
      restartAllAppsS: +(again.ms / 1000).toFixed(1),
      objectsRecreated: recreated,
    })}`,
  );
} finally {
  stopController();
  await fleet.stop();
}
