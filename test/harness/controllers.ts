import { createHash } from 'node:crypto';
import { pino, type Logger } from 'pino';
import type { ApplicationController } from '../../src/controllers/application/controller.js';
import type { ApplicationSetController } from '../../src/controllers/applicationset/controller.js';
import type { ClusterStatusController } from '../../src/controllers/cluster/health.js';
import type { ControllerMetrics } from '../../src/controllers/metrics.js';
import type { Notifier } from '../../src/controllers/notify/notifier.js';
import type { AuditStore } from '../../src/governance/audit/index.js';
import { startHub, type RunningHub } from '../../src/hub/start.js';
import { KubeClient, loadConnection } from '../../src/kube/index.js';
import { toolPath } from './tools.js';

/** The controllers a test runs in-process against the hub cluster, scoped to its own namespace. */
export interface TestControllers {
  client: KubeClient;
  clusterStatus: ClusterStatusController;
  apps?: ApplicationController;
  /** The ApplicationSet controller (this lone replica leads its own shard group at once). */
  appsets?: ApplicationSetController;
  /** The hub itself, for tests that look at membership or metrics. */
  hub: RunningHub;
  stop(): void;
}

let replicas = 0;

/**
 * Runs the product's own composition root (`startHub`, as `gitfleet controller` does) in this
 * process, scoped to the test's namespace and to a shard group of its own (so parallel test files
 * never shard Applications between them): Cluster status, leader election and, as asked, the
 * Application and ApplicationSet controllers, sharing one client and one set of Git mirrors.
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
  audit?: AuditStore;
}): Promise<TestControllers> {
  const client = new KubeClient(await loadConnection({ file: opts.kubeconfig }));
  const log = opts.log ?? pino({ level: 'warn' });
  const hub = await startHub({
    client,
    log,
    namespace: opts.namespace,
    sources: { cacheDir: opts.cacheDir, fetchIntervalMs: opts.fetchIntervalMs ?? 1000 },
    pollIntervalMs: opts.pollIntervalMs ?? 2000,
    controllers: { applications: !!opts.apps, applicationSets: !!opts.appsets },
    healthTimeoutMs: opts.healthTimeoutMs ?? 30_000,
    renderOptions: { kustomizeBinary: toolPath('kustomize'), helmBinary: toolPath('helm') },
    clusterCheckIntervalMs: 1000,
    membership: {
      identity: `test-${process.pid}-${++replicas}`,
      // A label value (≤ 63 characters) whatever the namespace's length.
      group: `test-${createHash('sha256').update(opts.namespace).digest('hex').slice(0, 16)}`,
      leaseSeconds: 15,
    },
    ...(opts.metrics ? { metrics: opts.metrics } : {}),
    ...(opts.notifier ? { notifier: opts.notifier } : {}),
    ...(opts.audit ? { audit: opts.audit } : {}),
  });
  return {
    client,
    clusterStatus: hub.clusterStatus,
    ...(hub.applications ? { apps: hub.applications } : {}),
    get appsets() {
      return hub.applicationSets;
    },
    hub,
    stop: () => {
      void hub.stop().finally(() => client.close());
    },
  };
}
