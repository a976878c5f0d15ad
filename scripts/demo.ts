// `make demo`: a local fleet on this machine, synced from Git. Starts the clusters and the Git
// server of the test harness, pushes examples/fleet-config, runs the gitfleet controller with
// Applications across the clusters, prints how to reach everything and how to change a file and
// watch it sync, and stays up until Ctrl-C, when every process is stopped by its PID.
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { API_VERSION, CASCADE_FINALIZER, type Application } from '../src/api/application.js';
import { installCrds } from '../src/cli/commands/install.js';
import { FLEET_NAMESPACE } from '../src/api/cluster.js';
import { startHub } from '../src/hub/start.js';
import { registerCluster } from '../src/controllers/cluster/register.js';
import { loadConnection } from '../src/kube/kubeconfig.js';
import { startFleet, type Fleet } from '../test/harness/fleet.js';
import { killAllNow } from '../test/harness/process.js';
import { repoRoot, toolPath } from '../test/harness/tools.js';
import { waitFor } from '../test/harness/wait.js';
import { createServer } from 'node:net';

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

const { values } = parseArgs({
  options: { clusters: { type: 'string', default: '3' }, 'poll-interval': { type: 'string', default: '15' } },
});
const count = Number(values.clusters);
if (!Number.isInteger(count) || count < 1 || count > 16) {
  console.error(`--clusters must be an integer from 1 to 16, got ${values.clusters}`);
  process.exit(2);
}
const pollMs = Number(values['poll-interval']) * 1000;

const running: { fleet?: Fleet; stop?: () => Promise<void> } = {};
let stopping = false;
const shutdown = async (): Promise<void> => {
  if (stopping) return;
  stopping = true;
  console.log('\nstopping…');
  await running.stop?.();
  if (running.fleet) await running.fleet.stop();
  else killAllNow(); // interrupted while starting: nothing to wait for
  console.log('all processes stopped');
  process.exit(0);
};
process.on('SIGINT', () => void shutdown());
process.on('SIGTERM', () => void shutdown());

function filesUnder(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const f of readdirSync(d)) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) walk(p);
      else out[relative(dir, p)] = readFileSync(p, 'utf8');
    }
  };
  walk(dir);
  return out;
}

const t0 = Date.now();
console.log(`starting a local fleet of ${count} cluster(s) and a Git server…`);
const fleet = await startFleet({
  signalHooks: false,
  clusters: Array.from({ length: count }, (_, i) => `demo-${i + 1}`),
});
running.fleet = fleet;
const [mgmt] = fleet.clusters;
if (!mgmt) throw new Error('no cluster started');

const repo = await fleet.git.createRepo('fleet-config');
await fleet.git.commit('fleet-config', filesUnder(join(repoRoot, 'examples', 'fleet-config')), {
  message: 'example fleet configuration',
});

await installCrds(mgmt.admin);
// Every cluster is registered, the hub's own too, labelled by environment for generators and roll-outs.
const envs = ['dev', 'staging', 'prod'];
for (const [i, c] of fleet.clusters.entries()) {
  await registerCluster(mgmt.admin, {
    name: c.name,
    connection: await loadConnection({ file: c.kubeconfig }),
    labels: { env: envs[i] ?? `extra-${i}` },
  });
}
await mgmt.admin.apply(
  {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'fleet-config-repo', namespace: 'default' },
    stringData: { username: fleet.git.info.admin.username, password: fleet.git.info.admin.password },
  },
  { fieldManager: 'gitfleet-demo' },
);
// The demo's Applications live in namespace `default`: the project they use must list it (the
// built-in `default` admits only Applications in gitfleet-system). Registered clusters only, no
// cluster-scoped kinds: all the example needs.
await mgmt.admin.apply(
  {
    apiVersion: API_VERSION,
    kind: 'Project',
    metadata: { name: 'default', namespace: FLEET_NAMESPACE },
    spec: {
      sourceNamespaces: ['default'],
      sourceRepos: [repo],
      destinations: [
        { cluster: '*', namespace: '*' },
        { cluster: '!in-cluster', namespace: '*' },
        { cluster: '*', namespace: `!${FLEET_NAMESPACE}` },
      ],
    },
  },
  { fieldManager: 'gitfleet-demo', force: true },
);
// One definition for every service on every cluster: clusters × services.
await mgmt.admin.apply(
  {
    apiVersion: API_VERSION,
    kind: 'ApplicationSet',
    metadata: { name: 'services', namespace: 'default' },
    spec: {
      generators: [
        {
          matrix: {
            generators: [
              // Clusters with an env label: an empty selector would also list Argo CD's implicit
              // in-cluster (the hub itself), which has no env and which the project refuses.
              { clusters: { selector: { matchExpressions: [{ key: 'env', operator: 'Exists' }] } } },
              {
                list: {
                  elements: [
                    { svc: 'guestbook', path: 'apps/guestbook' },
                    { svc: 'podinfo', path: 'apps/podinfo/overlays/{{metadata.labels.env}}' },
                  ],
                },
              },
            ],
          },
        },
      ],
      template: {
        metadata: { name: '{{svc}}-{{name}}' },
        spec: {
          source: { repoURL: repo, path: '{{path}}', secretRef: { name: 'fleet-config-repo' } },
          destination: { name: '{{name}}', namespace: '{{svc}}' },
          syncPolicy: { automated: { prune: true, selfHeal: true }, syncOptions: ['CreateNamespace=true'] },
        },
      },
      // New commits reach dev first, then staging, then prod once approved.
      strategy: {
        type: 'RollingSync',
        rollingSync: {
          steps: [
            { clusterSelector: { matchLabels: { env: 'dev' } } },
            { clusterSelector: { matchLabels: { env: 'staging' } }, soakSeconds: 10 },
            { clusterSelector: { matchLabels: { env: 'prod' } }, approval: true },
          ],
        },
      },
    },
  },
  { fieldManager: 'gitfleet-demo', force: true },
);
const prod = fleet.clusters[2]?.name ?? fleet.clusters[fleet.clusters.length - 1]?.name ?? 'in-cluster';
const cache: Application = {
  apiVersion: API_VERSION,
  kind: 'Application',
  metadata: { name: 'cache', namespace: 'default', finalizers: [CASCADE_FINALIZER] },
  spec: {
    source: {
      repoURL: repo,
      path: 'charts/cache',
      secretRef: { name: 'fleet-config-repo' },
      helm: { releaseName: 'cache', values: 'replicas: 2\n' },
    },
    destination: { name: prod, namespace: 'cache' },
    syncPolicy: { automated: { prune: true, selfHeal: true }, syncOptions: ['CreateNamespace=true'] },
  },
};
await mgmt.admin.apply(cache, { fieldManager: 'gitfleet-demo', force: true });
const expectedApps = fleet.clusters.length * 2 + 1;

const log = pino({ level: process.env.GITFLEET_LOG_LEVEL ?? 'warn' });
// The UI and API: a fixed port when free (bookmarkable), else any; the token is printed below.
const demoToken = 'gitfleet-demo';
// The product's own composition root, as `gitfleet controller` runs it.
const hub = await startHub({
  client: mgmt.admin,
  log,
  sources: { cacheDir: mkdtempSync(join(tmpdir(), 'gitfleet-demo-')), fetchIntervalMs: pollMs },
  pollIntervalMs: pollMs,
  renderOptions: { kustomizeBinary: toolPath('kustomize'), helmBinary: toolPath('helm') },
  membership: { group: 'demo', leaseSeconds: 15 },
  server: {
    port: (await portFree(8080)) ? 8080 : 0,
    webhookSecrets: {},
    api: { tokens: [demoToken] },
  },
});
running.stop = () => hub.stop();

await waitFor(
  'every demo Application Synced and Healthy',
  async () => {
    const list = await mgmt.admin.list<Application>(API_VERSION, 'Application', { namespace: 'default' });
    return (
      list.items.length === expectedApps &&
      list.items.every((a) => a.status?.sync?.status === 'Synced' && a.status.health?.status === 'Healthy')
    );
  },
  { timeoutMs: 120_000, intervalMs: 500 },
).catch((e: unknown) => console.warn(`warning: ${(e as Error).message}`));

const cli = `npx tsx src/cli/main.ts`;
const kc = `--kubeconfig ${mgmt.kubeconfig}`;
const auth = new URL(repo);
auth.username = fleet.git.info.admin.username;
auth.password = fleet.git.info.admin.password;
console.log(`\nfleet up and synced in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
for (const c of fleet.clusters)
  console.log(`  cluster ${c.name.padEnd(8)} ${c.server}  KUBECONFIG=${c.kubeconfig}`);
console.log(
  `\n  git server   ${fleet.git.info.url}  (user ${fleet.git.info.admin.username}, password ${fleet.git.info.admin.password})`,
);
console.log(`  repository   ${repo}`);
console.log(
  `  webhook      http://127.0.0.1:${hub.port}/api/webhook (unsigned pushes are refused: no secret is configured in the demo)`,
);
console.log(`  web UI       http://127.0.0.1:${hub.port}/   (token: ${demoToken})`);
console.log(`  fleet view   ${cli} fleet status --hub http://127.0.0.1:${hub.port} --token ${demoToken}`);
console.log(`  logs         ${fleet.runDir}/logs\n`);
console.log(
  `Applications (management cluster ${mgmt.name}; ApplicationSet default/services = clusters × services):`,
);
console.log(`  ${cli} cluster list --hub-kubeconfig ${mgmt.kubeconfig}`);
console.log(`  ${cli} app list ${kc}`);
console.log(`  ${cli} app get podinfo-${prod} ${kc}\n`);
console.log(`Change a file and watch it sync (polling every ${pollMs / 1000} s):`);
console.log(`  git clone ${auth.toString()} /tmp/fleet-config && cd /tmp/fleet-config`);
console.log(`  sed -i 's/count: 2/count: 4/' apps/podinfo/overlays/staging/kustomization.yaml`);
console.log(`  git commit -am 'scale staging' && git push`);
console.log(`  watch ${cli} app get podinfo-${fleet.clusters[1]?.name ?? mgmt.name} ${kc}\n`);
console.log(`Roll-out of a commit across dev → staging → prod (prod waits for approval):`);
console.log(`  ${cli} rollout status services ${kc}`);
console.log(`  ${cli} rollout approve services ${kc}\n`);
console.log('press Ctrl-C to stop and clean up');
setInterval(() => undefined, 1 << 30);
