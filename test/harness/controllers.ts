import { pino, type Logger } from 'pino';
import { FLEET_NAMESPACE } from '../../src/api/cluster.js';
import { ApplicationController } from '../../src/controllers/application/controller.js';
import { ApplicationSetController } from '../../src/controllers/applicationset/controller.js';
import { ClusterStatusController } from '../../src/controllers/cluster/health.js';
import { ClusterResolver } from '../../src/controllers/clusters.js';
import type { ControllerMetrics } from '../../src/controllers/metrics.js';
import type { Notifier } from '../../src/controllers/notify/notifier.js';
import { GitSources } from '../../src/engine/source/index.js';
import { KubeClient, loadConnection } from '../../src/kube/index.js';
import { toolPath } from './tools.js';

/** The controllers a test runs in-process against the hub cluster, scoped to its own namespace. */
export interface TestControllers {
  client: KubeClient;
  clusterStatus: ClusterStatusController;
  apps?: ApplicationController;
  appsets?: ApplicationSetController;
  stop(): void;
}

/**
 * Starts the Cluster status controller and, as asked, the Application and ApplicationSet
 * controllers, sharing one client, one cluster resolver and one set of Git mirrors.
 */
export async function startControllers(opts: {
  kubeconfig: string;
  namespace: string;
  cacheDir: string;
  apps?: boolean;
  appsets?: boolean;
  pollIntervalMs?: number;
  fetchIntervalMs?: number;
  healthTimeoutMs?: number;
  log?: Logger;
  metrics?: ControllerMetrics;
  notifier?: Notifier;
}): Promise<TestControllers> {
  const client = new KubeClient(await loadConnection({ file: opts.kubeconfig }));
  const log = opts.log ?? pino({ level: 'warn' });
  const sources = new GitSources({ cacheDir: opts.cacheDir, fetchIntervalMs: opts.fetchIntervalMs ?? 1000 });
  const resolver = new ClusterResolver(client, FLEET_NAMESPACE);
  const clusterStatus = new ClusterStatusController({
    mgmt: client,
    resolver,
    log,
    intervalMs: 1000,
    ...(opts.metrics ? { metrics: opts.metrics } : {}),
  });
  const pollIntervalMs = opts.pollIntervalMs ?? 2000;
  const apps = opts.apps
    ? new ApplicationController({
        client,
        clusters: resolver,
        namespace: opts.namespace,
        sources,
        pollIntervalMs,
        healthTimeoutMs: opts.healthTimeoutMs ?? 30_000,
        renderOptions: { kustomizeBinary: toolPath('kustomize'), helmBinary: toolPath('helm') },
        ...(opts.metrics ? { metrics: opts.metrics } : {}),
        ...(opts.notifier ? { notifier: opts.notifier } : {}),
        log,
      })
    : undefined;
  const appsets = opts.appsets
    ? new ApplicationSetController({
        client,
        namespace: opts.namespace,
        sources,
        clusters: clusterStatus,
        pollIntervalMs,
        log,
      })
    : undefined;
  for (const c of [clusterStatus, apps, appsets]) c?.start();
  return {
    client,
    clusterStatus,
    ...(apps ? { apps } : {}),
    ...(appsets ? { appsets } : {}),
    stop: () => {
      for (const c of [appsets, apps, clusterStatus]) c?.stop();
      client.close();
    },
  };
}
