// One tenant of the shared e2e fleet, as a test file needs it: its own namespace on the hub
// cluster with Git credentials, a Project admitting that namespace (the built-in default admits
// only the hub's namespace), and Application controllers watching it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { API_VERSION, type Application } from '../../src/api/application.js';
import { FLEET_NAMESPACE } from '../../src/api/cluster.js';
import { installCrds } from '../../src/cli/commands/install.js';
import type { Notifier } from '../../src/controllers/notify/notifier.js';
import type { AuditStore } from '../../src/governance/audit/index.js';
import type { ControllerMetrics } from '../../src/controllers/metrics.js';
import type { KubeObject } from '../../src/kube/index.js';
import { createNamespace, testFleet, uniqueName, type ClusterHandle, type TestFleet } from './context.js';
import { startControllers, type TestControllers } from './controllers.js';

export interface Tenant {
  fleet: TestFleet;
  hub: ClusterHandle;
  ns: string;
  /** The Project the tenant's Applications name. */
  project: string;
  controllers: TestControllers;
  /** Secret in `ns` holding the Git server's admin credentials. */
  credentials: string;
  getApp(name: string): Promise<Application>;
  /**
   * A new repository holding `files` and an automated, pruning Application of it in this tenant's
   * Project and namespace, deploying to a new namespace; `extra` adds or overrides spec fields.
   */
  createApp(
    files: Record<string, string>,
    source: Record<string, unknown>,
    extra?: Record<string, unknown>,
  ): Promise<{ name: string; repo: string; destNs: string }>;
  stop(): void;
}

/** Starts a tenant named after `prefix`; `stop()` in afterAll. */
export async function startTenant(
  prefix: string,
  opts: {
    log?: Logger;
    notifier?: Notifier;
    pollIntervalMs?: number;
    metrics?: ControllerMetrics;
    audit?: AuditStore;
  } = {},
): Promise<Tenant> {
  const fleet = await testFleet();
  const hub = fleet.clusters[0] as ClusterHandle;
  const dir = mkdtempSync(join(tmpdir(), `gitfleet-${prefix}-`));
  await installCrds(hub.admin);
  await hub.admin.apply(
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: FLEET_NAMESPACE } },
    { fieldManager: 'test' },
  );
  const ns = await createNamespace(hub.admin, prefix);
  const credentials = 'creds';
  await hub.admin.create({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: credentials, namespace: ns },
    stringData: { username: fleet.git.info.admin.username, password: fleet.git.info.admin.password },
  });
  const project = uniqueName(`${prefix}-proj`);
  await hub.admin.create({
    apiVersion: API_VERSION,
    kind: 'Project',
    metadata: { name: project, namespace: FLEET_NAMESPACE },
    spec: {
      sourceNamespaces: [ns],
      sourceRepos: [`${fleet.git.info.url}/*`],
      destinations: [{ namespace: '*' }],
    },
  } as KubeObject);
  const controllers = await startControllers({
    kubeconfig: hub.kubeconfig,
    namespace: ns,
    cacheDir: join(dir, 'sources'),
    apps: true,
    pollIntervalMs: opts.pollIntervalMs ?? 1000,
    ...(opts.metrics ? { metrics: opts.metrics } : {}),
    ...(opts.log ? { log: opts.log } : {}),
    ...(opts.notifier ? { notifier: opts.notifier } : {}),
    ...(opts.audit ? { audit: opts.audit } : {}),
  });
  return {
    fleet,
    hub,
    ns,
    project,
    controllers,
    credentials,
    getApp: (name) =>
      hub.admin.get<Application>({ apiVersion: API_VERSION, kind: 'Application', namespace: ns, name }),
    createApp: async (files, source, extra = {}) => {
      const repo = uniqueName(`${prefix}-repo`);
      await fleet.git.createRepo(repo);
      await fleet.git.commit(repo, files);
      const destNs = await createNamespace(hub.admin, `${prefix}-dest`);
      const name = uniqueName('app');
      await hub.admin.create({
        apiVersion: API_VERSION,
        kind: 'Application',
        metadata: { name, namespace: ns },
        spec: {
          project,
          source: { repoURL: fleet.git.repoUrl(repo), secretRef: { name: credentials }, ...source },
          destination: { namespace: destNs },
          syncPolicy: { automated: { prune: true } },
          ...extra,
        },
      } as KubeObject);
      return { name, repo, destNs };
    },
    stop: () => {
      controllers.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
