import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * What the controllers report, as Prometheus metrics. Label sets stay bounded: per-Application
 * series are keyed by namespace and name only (one series per app, replaced on state change);
 * errors by a fixed set of reasons; clusters by name.
 */
export class ControllerMetrics {
  readonly registry = new Registry();
  readonly #appInfo = new Gauge({
    name: 'gitfleet_app_info',
    help: 'One series per Application with its current sync and health status (value 1).',
    labelNames: ['namespace', 'name', 'sync_status', 'health_status'] as const,
    registers: [this.registry],
  });
  readonly #appLabels = new Map<string, { sync_status: string; health_status: string }>();
  readonly reconcileDuration = new Histogram({
    name: 'gitfleet_app_reconcile_duration_seconds',
    help: 'Time to reconcile one Application (source, render, compare, sync).',
    labelNames: ['outcome'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
    registers: [this.registry],
  });
  readonly syncs = new Counter({
    name: 'gitfleet_app_sync_total',
    help: 'Syncs run, by phase.',
    labelNames: ['namespace', 'name', 'phase'] as const,
    registers: [this.registry],
  });
  readonly errors = new Counter({
    name: 'gitfleet_reconcile_errors_total',
    help: 'Reconcile stages that failed, by reason (SourceFailed, RenderFailed, ComparisonError, DestinationFailed).',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly gitFetchDuration = new Histogram({
    name: 'gitfleet_git_fetch_duration_seconds',
    help: 'Time of Git fetches that ran (throttled calls are not counted).',
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  readonly gitFetchFailures = new Counter({
    name: 'gitfleet_git_fetch_failures_total',
    help: 'Git fetches that failed.',
    registers: [this.registry],
  });
  readonly driftDetected = new Counter({
    name: 'gitfleet_drift_detected_total',
    help: 'Times a synced Application was found out of sync at the same revision (a change made outside Git).',
    registers: [this.registry],
  });
  readonly driftHealed = new Counter({
    name: 'gitfleet_drift_healed_total',
    help: 'Drift undone by a self-heal sync.',
    registers: [this.registry],
  });
  readonly queueDepth = new Gauge({
    name: 'gitfleet_workqueue_depth',
    help: 'Keys waiting in a controller work queue.',
    labelNames: ['controller'] as const,
    registers: [this.registry],
  });
  readonly clusterReachable = new Gauge({
    name: 'gitfleet_cluster_reachable',
    help: '1 when the cluster answered its last check, else 0.',
    labelNames: ['cluster'] as const,
    registers: [this.registry],
  });

  constructor(opts: { processMetrics?: boolean } = {}) {
    if (opts.processMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: 'gitfleet_' });
  }

  /** Records an Application's state, replacing its previous series so one app is one series. */
  appState(namespace: string, name: string, sync: string, health: string): void {
    const key = `${namespace}/${name}`;
    const prev = this.#appLabels.get(key);
    if (prev && (prev.sync_status !== sync || prev.health_status !== health))
      this.#appInfo.remove({ namespace, name, ...prev });
    this.#appLabels.set(key, { sync_status: sync, health_status: health });
    this.#appInfo.set({ namespace, name, sync_status: sync, health_status: health }, 1);
  }

  /** Drops every series of an Application that no longer exists. */
  appGone(namespace: string, name: string): void {
    const prev = this.#appLabels.get(`${namespace}/${name}`);
    if (prev) this.#appInfo.remove({ namespace, name, ...prev });
    this.#appLabels.delete(`${namespace}/${name}`);
  }
}
