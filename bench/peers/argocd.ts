// Argo CD as a bench/peers peer: its application-controller and repo-server (one binary, built from
// the Go module proxy by `scripts/build-tools.sh argocd`) and the Redis they need, as plain
// processes against the harness, as Argo CD's own `make start-local` runs them. No API server, UI,
// Dex or ApplicationSet controller: the bench creates Applications directly, as `kubectl apply`
// would. Argo CD's state lives in the namespace it runs in (its ConfigMap, Secret, the `default`
// AppProject, repository credentials and the Applications), one fresh namespace per round.
import { accessSync, constants, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { mapLimit } from '../../src/core/concurrency.js';
import type { KubeClient, KubeObject } from '../../src/kube/index.js';
import { freePort } from '../../test/harness/ports.js';
import { startProcess, type ManagedProcess } from '../../test/harness/process.js';
import { toolPath, toolVersions } from '../../test/harness/tools.js';
import { FatalWaitError, waitFor } from '../../test/harness/wait.js';
import { appName, servicePath, type AppSpec } from './lib.js';

const ARGO_API = 'argoproj.io/v1alpha1';
const REDIS = '/usr/bin/redis-server';

/** `~/.cache/gitfleet/tools/argocd-<version>`; a missing build or Redis fails naming the fix. */
export function argoToolDir(): string {
  const version = toolVersions().ARGOCD_VERSION;
  if (!version) throw new Error('ARGOCD_VERSION is not pinned in scripts/versions.env');
  const base = process.env.GITFLEET_TOOLS_DIR ?? join(homedir(), '.cache', 'gitfleet', 'tools');
  const dir = join(base, `argocd-${version}`);
  try {
    accessSync(join(dir, 'bin', 'argocd'), constants.X_OK);
  } catch {
    throw new Error(`Argo CD ${version} is not built (${dir}): run scripts/build-tools.sh argocd`);
  }
  try {
    accessSync(REDIS, constants.X_OK);
  } catch {
    throw new Error(`Argo CD needs Redis (${REDIS}): apt-get install -y redis-server`);
  }
  return dir;
}

export function argoVersion(): string {
  return toolVersions().ARGOCD_VERSION ?? '?';
}

/** Installs the CRDs shipped in Argo CD's module (Application, AppProject, ApplicationSet). */
export async function installArgoCrds(client: KubeClient): Promise<void> {
  const dir = join(argoToolDir(), 'share', 'crds');
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.yaml')))
    for (const doc of parseAllDocuments(readFileSync(join(dir, file), 'utf8'))) {
      const obj = doc.toJS() as KubeObject | null;
      if (obj?.kind === 'CustomResourceDefinition')
        await client.apply(obj, { fieldManager: 'gitfleet-bench', force: true });
    }
  for (const kind of ['Application', 'AppProject'])
    await waitFor(
      `${kind} CRD served`,
      async () => {
        client.invalidateDiscovery();
        await client.list(ARGO_API, kind);
        return true;
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
}

export interface ArgoCd {
  processes: ManagedProcess[];
  stop(): Promise<void>;
}

/**
 * Writes Argo CD's settings into `namespace` (argocd-cm, argocd-secret, the `default` AppProject,
 * the repository's credentials) and starts Redis, the repo-server and the application-controller,
 * each on free ports, waiting for each to answer.
 */
export async function startArgoCd(opts: {
  name: string;
  runDir: string;
  kubeconfig: string;
  namespace: string;
  client: KubeClient;
  repo: { url: string; username: string; password: string };
  /** Default 3m, Argo CD's own; the bench's poll interval. */
  resync?: string;
}): Promise<ArgoCd> {
  const dir = argoToolDir();
  const ns = opts.namespace;
  const labels = { 'app.kubernetes.io/part-of': 'argocd' };
  const put = (o: KubeObject): Promise<unknown> => opts.client.apply(o, { fieldManager: 'gitfleet-bench' });
  await put({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'argocd-cm', namespace: ns, labels },
    data: { 'timeout.reconciliation': opts.resync ?? '180s' },
  });
  await put({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'argocd-secret', namespace: ns, labels },
    stringData: { 'server.secretkey': 'bench-peers-not-a-secret' },
  } as KubeObject);
  await put({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: 'repo-fleet',
      namespace: ns,
      labels: { ...labels, 'argocd.argoproj.io/secret-type': 'repository' },
    },
    stringData: {
      type: 'git',
      url: opts.repo.url,
      username: opts.repo.username,
      password: opts.repo.password,
    },
  } as KubeObject);
  await put({
    apiVersion: ARGO_API,
    kind: 'AppProject',
    metadata: { name: 'default', namespace: ns },
    spec: {
      sourceRepos: ['*'],
      destinations: [{ server: '*', namespace: '*' }],
      clusterResourceWhitelist: [{ group: '*', kind: '*' }],
    },
  } as KubeObject);

  const logDir = join(opts.runDir, 'logs', opts.name);
  const work = join(opts.runDir, 'argocd', opts.name);
  for (const d of ['tls', 'ssh', 'gpg', 'tmp']) mkdirSync(join(work, d), { recursive: true });
  const [redisPort, repoPort, repoMetrics, ctlMetrics] = await Promise.all(
    Array.from({ length: 4 }, () => freePort()),
  );
  const redisAddr = `127.0.0.1:${redisPort}`;
  const redis = startProcess({
    name: 'argocd-redis',
    command: REDIS,
    args: ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    logDir,
  });
  const env = {
    KUBECONFIG: opts.kubeconfig,
    ARGOCD_FAKE_IN_CLUSTER: 'true',
    ARGOCD_TLS_DATA_PATH: join(work, 'tls'),
    ARGOCD_SSH_DATA_PATH: join(work, 'ssh'),
    ARGOCD_GNUPGHOME: join(work, 'gpg'),
    ARGOCD_GPG_ENABLED: 'false',
    TMPDIR: join(work, 'tmp'),
    // The repo-server runs kustomize and helm from PATH (the harness's pinned builds), and git runs
    // `argocd` (as argocd-git-ask-pass) from PATH for the repository's credentials.
    PATH: [
      join(dir, 'bin'),
      join(toolPath('kustomize'), '..'),
      join(toolPath('helm'), '..'),
      process.env.PATH ?? '/usr/bin:/bin',
    ].join(':'),
  };
  const repoServer = startProcess({
    name: 'argocd-repo-server',
    command: join(dir, 'bin', 'argocd-repo-server'),
    args: [
      '--port',
      String(repoPort),
      '--metrics-port',
      String(repoMetrics),
      '--disable-tls',
      '--redis',
      redisAddr,
      '--loglevel',
      'warn',
      '--logformat',
      'json',
    ],
    env: { ...env, ARGOCD_BINARY_NAME: 'argocd-repo-server' },
    logDir,
  });
  const controller = startProcess({
    name: 'argocd-application-controller',
    command: join(dir, 'bin', 'argocd-application-controller'),
    args: [
      '--namespace',
      ns,
      '--repo-server',
      `127.0.0.1:${repoPort}`,
      '--repo-server-plaintext',
      '--redis',
      redisAddr,
      '--metrics-port',
      String(ctlMetrics),
      '--loglevel',
      'warn',
      '--logformat',
      'json',
    ],
    env: { ...env, ARGOCD_BINARY_NAME: 'argocd-application-controller' },
    logDir,
  });
  const processes = [controller, repoServer, redis];
  const stop = async (): Promise<void> => {
    await Promise.all(processes.map((p) => p.stop(3000)));
  };
  try {
    for (const [p, port] of [
      [repoServer, repoMetrics],
      [controller, ctlMetrics],
    ] as const)
      await waitFor(
        `${p.name} /metrics`,
        async () => {
          for (const q of processes)
            if (!q.running) throw new FatalWaitError(`${q.name} exited:\n${q.tail()}`);
          return (await fetch(`http://127.0.0.1:${port}/metrics`)).ok;
        },
        { timeoutMs: 60_000, intervalMs: 200 },
      );
  } catch (e) {
    await stop();
    throw e;
  }
  return { processes, stop };
}

/** One Argo CD Application per app, automated with prune and self-heal, into the hub cluster. */
export async function createArgoApps(
  client: KubeClient,
  ns: string,
  repoUrl: string,
  apps: AppSpec[],
): Promise<void> {
  await mapLimit(apps, 8, (a) =>
    client.create({
      apiVersion: ARGO_API,
      kind: 'Application',
      metadata: { name: appName(a), namespace: ns },
      spec: {
        project: 'default',
        source: { repoURL: repoUrl, path: servicePath(a.index), targetRevision: 'HEAD' },
        destination: { server: 'https://kubernetes.default.svc', namespace: a.destNamespace },
        syncPolicy: { automated: { prune: true, selfHeal: true } },
      },
    } as KubeObject),
  );
}

interface ArgoApp extends KubeObject {
  status?: { sync?: { status?: string }; health?: { status?: string } };
}

/** How many Argo CD Applications in `ns` have been seen Synced and Healthy. */
export function argoReady(client: KubeClient, ns: string, seen = new Set<string>()): () => Promise<number> {
  return async () => {
    const list = await client.list<ArgoApp>(ARGO_API, 'Application', { namespace: ns });
    for (const a of list.items)
      if (a.status?.sync?.status === 'Synced' && a.status.health?.status === 'Healthy')
        seen.add(a.metadata.name);
    return seen.size;
  };
}

/**
 * What Argo CD's Git webhook does for a push (through its API server, not run here): a refresh of
 * every Application, which makes the controller ask the repo-server for the branch's new commit.
 */
export async function argoRefresh(client: KubeClient, ns: string): Promise<void> {
  const list = await client.list<ArgoApp>(ARGO_API, 'Application', { namespace: ns });
  await mapLimit(list.items, 8, (a) =>
    client.request({
      method: 'PATCH',
      path: `/apis/argoproj.io/v1alpha1/namespaces/${ns}/applications/${a.metadata.name}`,
      body: { metadata: { annotations: { 'argocd.argoproj.io/refresh': 'normal' } } },
      contentType: 'application/merge-patch+json',
    }),
  );
}
