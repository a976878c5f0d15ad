// Shared by bench/peers and bench/limit: the generated fleet repository, the two tools under test
// (gitfleet's hub as its own compiled process, Flux's controllers), readiness checks and /proc
// accounting.
import { execFileSync } from 'node:child_process';
import { createHmac, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { API_VERSION, type Application } from '../../src/api/application.js';
import { FLEET_NAMESPACE } from '../../src/api/cluster.js';
import { mapLimit } from '../../src/core/concurrency.js';
import type { KubeClient, KubeObject } from '../../src/kube/index.js';
import { freePort } from '../../test/harness/ports.js';
import { startProcess, type ManagedProcess } from '../../test/harness/process.js';
import { repoRoot, toolPath } from '../../test/harness/tools.js';
import { FatalWaitError, waitFor } from '../../test/harness/wait.js';

/** The objects of one service (10, as the issue asks), names prefixed by the service. */
export function serviceObjects(svc: string, value = 'v0'): KubeObject[] {
  const labels = { app: svc };
  const cms: KubeObject[] = Array.from({ length: 5 }, (_, k) => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: `${svc}-cm-${k}`, labels },
    data: { value: k === 0 ? value : `static-${k}`, payload: 'x'.repeat(256) },
  }));
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: svc, labels } },
    ...cms,
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: svc, labels },
      spec: { selector: labels, ports: [{ port: 80, targetPort: 8080 }] },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: svc, labels },
      spec: {
        replicas: 1,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: { serviceAccountName: svc, containers: [{ name: 'app', image: 'nginx:1.27' }] },
        },
      },
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: svc, labels },
      rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'watch'] }],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: svc, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: svc },
      subjects: [{ kind: 'ServiceAccount', name: svc }],
    },
  ];
}

/**
 * Makes a fresh cluster warm before any tool is measured on it: one service of the fleet (the same
 * six kinds) server-side applied into its own namespace, and its Deployment Available. A fresh
 * kube-apiserver builds its server-side apply machinery for a kind on the first apply of that
 * kind, and kube-controller-manager, the scheduler and kwok make their first ReplicaSet and pod;
 * measured in cold-trace, that made the first cold sync on a new cluster 4.6 s instead of 2.5 s.
 * Without this, whichever tool ran first (gitfleet, in `peers`) paid it alone. It stays: one pod.
 */
export async function warmCluster(client: KubeClient): Promise<number> {
  const t0 = performance.now();
  const namespace = 'bench-warmup';
  await client.apply(
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } },
    { fieldManager: 'bench' },
  );
  for (const o of serviceObjects('warmup'))
    await client.apply({ ...o, metadata: { ...o.metadata, namespace } }, { fieldManager: 'bench' });
  await waitFor(
    'the warm-up Deployment Available',
    async () => {
      const d = await client.getOrUndefined({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        namespace,
        name: 'warmup',
      });
      const conditions = (d?.status as { conditions?: { type: string; status: string }[] } | undefined)
        ?.conditions;
      return conditions?.some((c) => c.type === 'Available' && c.status === 'True') ?? false;
    },
    { timeoutMs: 120_000, intervalMs: 100 },
  );
  return performance.now() - t0;
}

export const serviceName = (i: number): string => `svc-${i}`;
export const servicePath = (i: number): string => `services/${serviceName(i)}`;

/** Files of `services/svc-<i>/` (a Kustomize app: one file per object plus kustomization.yaml). */
export function serviceFiles(i: number, value = 'v0'): Record<string, string> {
  const files: Record<string, string> = {};
  const objs = serviceObjects(serviceName(i), value);
  const names = objs.map((o) => `${o.kind.toLowerCase()}-${o.metadata.name}.yaml`);
  objs.forEach((o, k) => (files[`${servicePath(i)}/${names[k] ?? ''}`] = JSON.stringify(o, null, 1)));
  files[`${servicePath(i)}/kustomization.yaml`] =
    `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n${names.map((n) => `- ${n}`).join('\n')}\n`;
  return files;
}

export function fleetRepoFiles(services: number): Record<string, string> {
  let files: Record<string, string> = {};
  for (let i = 0; i < services; i++) files = { ...files, ...serviceFiles(i) };
  return files;
}

// ---------------------------------------------------------------------------------------------
// /proc accounting

export interface ProcSample {
  /** user + system CPU of the process itself, seconds. */
  cpuS: number;
  /** user + system CPU of its waited-for children (kustomize, helm, git), seconds. */
  childCpuS: number;
  rssMiB: number;
}

const CLK_TCK = 100;

export function procSample(pid: number): ProcSample {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields after "(comm)": state=0 … utime=11 stime=12 cutime=13 cstime=14
    const n = (i: number): number => Number(f[i] ?? 0);
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return {
      cpuS: (n(11) + n(12)) / CLK_TCK,
      childCpuS: (n(13) + n(14)) / CLK_TCK,
      rssMiB: m?.[1] ? Number(m[1]) / 1024 : 0,
    };
  } catch {
    return { cpuS: 0, childCpuS: 0, rssMiB: 0 };
  }
}

/** Sums samples of several processes (Flux's two controllers). */
export function procSum(pids: number[]): ProcSample {
  return pids.map(procSample).reduce(
    (a, s) => ({
      cpuS: a.cpuS + s.cpuS,
      childCpuS: a.childCpuS + s.childCpuS,
      rssMiB: a.rssMiB + s.rssMiB,
    }),
    { cpuS: 0, childCpuS: 0, rssMiB: 0 },
  );
}

/** Samples RSS every `everyMs` in the background; `peak()` is the largest seen. */
export function rssPeakSampler(pids: () => number[], everyMs = 500): { peak(): number; stop(): void } {
  let peak = 0;
  const t = setInterval(() => (peak = Math.max(peak, procSum(pids()).rssMiB)), everyMs);
  return { peak: () => peak, stop: () => clearInterval(t) };
}

/**
 * Where these benchmarks keep their runs and compiled hubs: outside `.gitfleet-run`, whose
 * keep-the-newest-5 pruning (run by every harness start, other people's test runs included) would
 * delete a long benchmark's run directory while it is in use.
 */
export const benchDir = process.env.GITFLEET_BENCH_DIR ?? join(tmpdir(), 'gitfleet-bench');

// ---------------------------------------------------------------------------------------------
// gitfleet: the hub as it ships (compiled JavaScript, its own process)

/**
 * Compiles the hub from the last commit (`git archive`, so that uncommitted edits other people make
 * to src/ during a run neither break the build nor change what is measured) into
 * `<benchDir>/hub-<commit>/`, reused while that commit stays. If HEAD does not compile (a
 * half-landed change in the shared tree), the parents are tried, up to 5 back, and the commit
 * measured is returned and printed. Returns the CLI entry point.
 */
export function compileHub(): { entry: string; commit: string } {
  // GITFLEET_BENCH_COMMIT measures another commit (a before/after pair in one sitting).
  const head = process.env.GITFLEET_BENCH_COMMIT ?? 'HEAD';
  const revs = execFileSync('git', ['rev-list', '--max-count=6', head], { cwd: repoRoot, encoding: 'utf8' })
    .trim()
    .split('\n');
  for (const rev of revs) {
    const commit = rev.slice(0, 12);
    const dir = join(benchDir, `hub-${commit}`);
    const entry = join(dir, 'dist/src/cli/main.js');
    if (existsSync(join(dir, 'ok'))) return { entry, commit };
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const tar = execFileSync(
      'git',
      ['archive', commit, 'src', 'deploy', 'package.json', 'tsconfig.json', 'tsconfig.build.json'],
      { cwd: repoRoot, maxBuffer: 256 * 1024 * 1024 },
    );
    execFileSync('tar', ['-x', '-C', dir], { input: tar });
    symlinkSync(join(repoRoot, 'node_modules'), join(dir, 'node_modules'));
    try {
      execFileSync(
        process.execPath,
        [
          join(repoRoot, 'node_modules/typescript/bin/tsc'),
          '-p',
          join(dir, 'tsconfig.build.json'),
          '--outDir',
          join(dir, 'dist'),
        ],
        { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
      );
    } catch (e) {
      const out =
        e instanceof Error && 'stdout' in e ? String(e.stdout).split('\n').slice(0, 5).join('\n') : '';
      console.error(`gitfleet at ${commit} does not compile, trying its parent:\n${out}`);
      continue;
    }
    writeFileSync(join(dir, 'ok'), commit);
    console.log(`measuring gitfleet at commit ${commit} (compiled into ${dir})`);
    return { entry, commit };
  }
  throw new Error('none of the last 6 commits compiles');
}

export const WEBHOOK_SECRET = 'bench-peers-webhook-secret';

export interface Hub {
  process: ManagedProcess;
  port: number;
  pids(): number[];
  /** Sends a signed Gitea push event for `repoUrl`, as the Git host would. */
  push(repoUrl: string): Promise<void>;
  /** The hub's own view of its memory (prom-client process metrics), MiB. */
  memory(): Promise<HubMemory>;
  stop(): Promise<void>;
}

export interface HubMemory {
  heapUsedMiB: number;
  heapTotalMiB: number;
  externalMiB: number;
}

export async function startHub(opts: {
  name: string;
  runDir: string;
  entry: string;
  kubeconfig: string;
  namespace: string;
  /** `--poll-interval`; omitted: the hub's own default (3m), as users get it. */
  pollInterval?: string;
  /** `--concurrency`; omitted: the hub's own default, as users get it. */
  concurrency?: number;
  /** Node flags such as --cpu-prof; the default is none. */
  nodeFlags?: string[];
  /** More `gitfleet controller` flags; the default is none: the hub as shipped, audit store included. */
  hubArgs?: string[];
}): Promise<Hub> {
  const port = await freePort();
  const proc = startProcess({
    name: opts.name,
    command: process.execPath,
    args: [
      ...(opts.nodeFlags ?? []),
      // An experiment's node flags (e.g. V8's), never a default: a figure measured with them says so.
      ...(process.env.BENCH_HUB_NODE_FLAGS?.split(' ').filter(Boolean) ?? []),
      opts.entry,
      'controller',
      '--kubeconfig',
      opts.kubeconfig,
      '--namespace',
      opts.namespace,
      ...(opts.pollInterval ? ['--poll-interval', opts.pollInterval] : []),
      '--webhook-port',
      String(port),
      ...(opts.concurrency ? ['--concurrency', String(opts.concurrency)] : []),
      '--cache-dir',
      join(opts.runDir, 'hub-sources', opts.name),
      ...(opts.hubArgs ?? []),
    ],
    cwd: repoRoot,
    env: {
      GITFLEET_KUSTOMIZE: toolPath('kustomize'),
      GITFLEET_HELM: toolPath('helm'),
      GITFLEET_LOG_LEVEL: process.env.BENCH_HUB_LOG_LEVEL ?? 'warn',
      GITFLEET_WEBHOOK_GITEA_SECRET: WEBHOOK_SECRET,
    },
    logDir: join(opts.runDir, 'logs'),
  });
  await waitFor(
    `${opts.name} /healthz`,
    async () => {
      if (!proc.running) throw new FatalWaitError(`${opts.name} exited:\n${proc.tail()}`);
      return (await fetch(`http://127.0.0.1:${port}/healthz`)).ok;
    },
    { timeoutMs: 60_000, intervalMs: 100 },
  );
  return {
    process: proc,
    port,
    pids: () => [proc.pid],
    async push(repoUrl) {
      // A real push body is unique (new `after`, timestamps); the hub ignores a repeated one as a replay.
      const body = JSON.stringify({
        ref: 'refs/heads/main',
        after: randomUUID(),
        repository: { clone_url: repoUrl },
      });
      const res = await fetch(`http://127.0.0.1:${port}/api/webhook`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-gitea-event': 'push',
          'x-gitea-signature': createHmac('sha256', WEBHOOK_SECRET).update(body).digest('hex'),
        },
        body,
      });
      if (res.status !== 202) throw new Error(`webhook answered ${res.status}: ${await res.text()}`);
    },
    async memory() {
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      const mib = (name: string): number => {
        const m = new RegExp(`^gitfleet_${name} (\\S+)$`, 'm').exec(text);
        return m?.[1] ? Math.round(Number(m[1]) / 1048576) : NaN;
      };
      return {
        heapUsedMiB: mib('nodejs_heap_size_used_bytes'),
        heapTotalMiB: mib('nodejs_heap_size_total_bytes'),
        externalMiB: mib('nodejs_external_memory_bytes'),
      };
    },
    stop: () => proc.stop(10_000),
  };
}

/** One app of the fleet: service `index` rendered into `destNamespace` of `cluster` (undefined: the hub's own). */
export interface AppSpec {
  index: number;
  cluster?: string;
  destNamespace: string;
}

export const appName = (a: AppSpec): string => `${serviceName(a.index)}${a.cluster ? `-${a.cluster}` : ''}`;

export async function createGitfleetApps(
  hub: KubeClient,
  ns: string,
  repoUrl: string,
  apps: AppSpec[],
): Promise<void> {
  const project = await benchProject(hub, ns);
  await mapLimit(apps, 8, (a) =>
    hub.create({
      apiVersion: API_VERSION,
      kind: 'Application',
      metadata: { name: appName(a), namespace: ns },
      spec: {
        project,
        source: { repoURL: repoUrl, path: servicePath(a.index), secretRef: { name: 'repo' } },
        destination: { ...(a.cluster ? { name: a.cluster } : {}), namespace: a.destNamespace },
        syncPolicy: { automated: { prune: true, selfHeal: true } },
      },
    } as KubeObject),
  );
}

/**
 * A Project admitting the Applications of `ns` (any repository, any destination namespace): the
 * built-in default Project admits only Applications in the hub's own namespace, as a real install
 * would make a platform team write one Project per tenant namespace.
 */
export async function benchProject(hub: KubeClient, ns: string): Promise<string> {
  const name = `bench-${ns}`;
  await hub.apply(
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: FLEET_NAMESPACE } },
    { fieldManager: 'bench' },
  );
  await hub.apply(
    {
      apiVersion: API_VERSION,
      kind: 'Project',
      metadata: { name, namespace: FLEET_NAMESPACE },
      spec: { sourceNamespaces: [ns], sourceRepos: ['*'], destinations: [{ namespace: '*' }] },
    } as KubeObject,
    { fieldManager: 'bench' },
  );
  return name;
}

/**
 * How many Applications in `ns` have been seen Synced and Healthy since this counter was made
 * (`seen` remembers them: an app that went on to its next reconcile still counts).
 */
export function gitfleetReady(hub: KubeClient, ns: string, seen = new Set<string>()): () => Promise<number> {
  return async () => {
    const list = await hub.list<Application>(API_VERSION, 'Application', { namespace: ns });
    for (const a of list.items)
      if (a.status?.sync?.status === 'Synced' && a.status.health?.status === 'Healthy')
        seen.add(a.metadata.name);
    return seen.size;
  };
}

// ---------------------------------------------------------------------------------------------
// Flux: one GitRepository, one Kustomization per app

const SOURCE_API = 'source.toolkit.fluxcd.io/v1';
const KUSTOMIZE_API = 'kustomize.toolkit.fluxcd.io/v1';

interface Condition {
  type: string;
  status: string;
  reason?: string;
}
interface Kustomization extends KubeObject {
  status?: { conditions?: Condition[]; observedGeneration?: number; lastAppliedRevision?: string };
}

export async function createFluxApps(
  hub: KubeClient,
  ns: string,
  repoUrl: string,
  apps: AppSpec[],
  opts: { gitInterval: string; interval: string },
): Promise<void> {
  await hub.create({
    apiVersion: SOURCE_API,
    kind: 'GitRepository',
    metadata: { name: 'fleet', namespace: ns },
    spec: { url: repoUrl, ref: { branch: 'main' }, interval: opts.gitInterval, secretRef: { name: 'repo' } },
  } as KubeObject);
  await mapLimit(apps, 8, (a) =>
    hub.create({
      apiVersion: KUSTOMIZE_API,
      kind: 'Kustomization',
      metadata: { name: appName(a), namespace: ns },
      spec: {
        interval: opts.interval,
        path: `./${servicePath(a.index)}`,
        prune: true,
        wait: true,
        timeout: '5m',
        targetNamespace: a.destNamespace,
        sourceRef: { kind: 'GitRepository', name: 'fleet' },
        ...(a.cluster
          ? { kubeConfig: { secretRef: { name: `kubeconfig-${a.cluster}`, key: 'value' } } }
          : {}),
      },
    } as KubeObject),
  );
}

/**
 * How many Kustomizations in `ns` have been seen Ready (applied, and healthy since `wait: true`)
 * since this counter was made. Remembered, because with a short interval Flux sets Ready to
 * Unknown ("Reconciliation in progress") again at every reconcile, so with N large there is always
 * one in progress and "all Ready at once" would never be observed.
 */
export function fluxReady(hub: KubeClient, ns: string, seen = new Set<string>()): () => Promise<number> {
  return async () => {
    const list = await hub.list<Kustomization>(KUSTOMIZE_API, 'Kustomization', { namespace: ns });
    for (const k of list.items)
      if (
        k.status?.observedGeneration === k.metadata.generation &&
        k.status?.lastAppliedRevision &&
        k.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')
      )
        seen.add(k.metadata.name);
    return seen.size;
  };
}

/** What Flux's notification-controller Receiver does on a push: ask for a reconcile of the source now. */
export async function fluxRequestReconcile(hub: KubeClient, ns: string): Promise<void> {
  const path = `/apis/${SOURCE_API}/namespaces/${ns}/gitrepositories/fleet`;
  await hub.request({
    method: 'PATCH',
    path,
    body: { metadata: { annotations: { 'reconcile.fluxcd.io/requestedAt': new Date().toISOString() } } },
    contentType: 'application/merge-patch+json',
  });
}

/** Waits until `count()` reaches `expected`; returns the elapsed milliseconds since `t0`. */
export async function waitCount(
  what: string,
  count: () => Promise<number>,
  expected: number,
  t0: number,
  opts: { timeoutMs: number; intervalMs: number; alive?: () => boolean },
): Promise<number> {
  await waitFor(
    what,
    async () => {
      if (opts.alive && !opts.alive())
        throw new FatalWaitError(`a process under test died while waiting for ${what}`);
      return (await count()) >= expected;
    },
    opts,
  );
  return performance.now() - t0;
}
