import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Application } from '../api/application.js';

/**
 * The labels every per-Application series carries besides namespace and name, so operators can
 * ask "out of sync by team" or "degraded on prod clusters". Each is bounded by the fleet's size
 * (projects, registered clusters, repositories), never by revisions or messages.
 */
export interface AppLabels {
  project: string;
  dest_cluster: string;
  repo: string;
}

/**
 * A repository URL as a label: credentials, query and fragment dropped (a URL may carry a token
 * in its userinfo or query; those must not reach a metrics endpoint), trailing `.git` and `/` too,
 * so `https://h/r.git` and `https://h/r` count as one repository.
 */
export function repoLabel(url: string | undefined): string {
  if (!url) return '';
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    u.search = '';
    u.hash = '';
    return u
      .toString()
      .replace(/\/+$/, '')
      .replace(/\.git$/, '');
  } catch {
    // scp-like `git@host:org/repo.git`: the user part names no secret, only the path is trimmed.
    return url
      .replace(/[?#].*$/, '')
      .replace(/\/+$/, '')
      .replace(/\.git$/, '');
  }
}

/** The project, destination cluster and repository of an Application, for its series. */
export function appLabelsOf(app: Application): AppLabels {
  const spec = app.spec as Partial<Application['spec']> & { sources?: { repoURL?: string }[] };
  return {
    project: spec.project || 'default',
    dest_cluster: spec.destination?.name || spec.destination?.server || 'in-cluster',
    repo: repoLabel(spec.source?.repoURL ?? spec.sources?.[0]?.repoURL),
  };
}

const KIND = 'Application';

/**
 * What the controllers report, as Prometheus metrics. Label sets stay bounded: per-Application
 * series are keyed by namespace and name plus project, destination cluster and repository (one
 * gitfleet_app_info series per app, replaced on state change, all of an app's series dropped
 * when it goes); errors by a fixed set of reasons; clusters and repositories by name.
 */
/** How often the event-loop lag histogram (`gitfleet_nodejs_eventloop_lag_*`) samples. */
export const EVENT_LOOP_MONITORING_MS = 1000;

export class ControllerMetrics {
  readonly registry = new Registry();
  readonly #appInfo = new Gauge({
    name: 'gitfleet_app_info',
    help: 'One series per Application with its project, destination cluster, repository and current sync and health status (value 1).',
    labelNames: [
      'namespace',
      'name',
      'project',
      'dest_cluster',
      'repo',
      'sync_status',
      'health_status',
    ] as const,
    registers: [this.registry],
  });
  /** The label set of each app's current gitfleet_app_info series, to replace it on change. */
  readonly #appInfoLabels = new Map<string, Record<string, string>>();
  /** Each app's last known project/cluster/repo, for series recorded where only the key is known. */
  readonly #appMeta = new Map<string, AppLabels>();
  /** Per-app counter series recorded, by `namespace/name`. */
  readonly #counted = new Map<string, { metric: Counter<string>; labels: Record<string, string> }[]>();
  readonly reconcileDuration = new Histogram({
    name: 'gitfleet_app_reconcile_duration_seconds',
    help: 'Time to reconcile one Application (source, render, compare, sync), all apps together; outcome quiet: a poll that found the commit of the last full look and stopped after the fetch.',
    labelNames: ['outcome'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
    registers: [this.registry],
  });
  /** Flux's gotk_reconcile_duration_seconds shape: one histogram per object (kind/namespace/name). */
  readonly #reconcileByObject = new Histogram({
    name: 'gitfleet_reconcile_duration_seconds',
    help: 'Time to reconcile one object, per object (kind, namespace, name), as Flux reports gotk_reconcile_duration_seconds.',
    labelNames: ['kind', 'namespace', 'name'] as const,
    buckets: [0.1, 0.5, 1, 5, 30, 120],
    registers: [this.registry],
  });
  readonly #syncs = new Counter({
    name: 'gitfleet_app_sync_total',
    help: 'Syncs run, per Application, by phase.',
    labelNames: ['namespace', 'name', 'project', 'dest_cluster', 'phase'] as const,
    registers: [this.registry],
  });
  readonly #errors = new Counter({
    name: 'gitfleet_reconcile_errors_total',
    help: 'Reconcile stages that failed, per object (kind, namespace, name), by reason (SourceFailed, RenderFailed, ComparisonError, DestinationFailed, ReconcileError, …).',
    labelNames: ['kind', 'namespace', 'name', 'reason'] as const,
    registers: [this.registry],
  });
  readonly #gitFetchDuration = new Histogram({
    name: 'gitfleet_git_fetch_duration_seconds',
    help: 'Time of Git fetches that ran (throttled calls are not counted), by repository.',
    labelNames: ['repo'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  readonly #gitFetchFailures = new Counter({
    name: 'gitfleet_git_fetch_failures_total',
    help: 'Git fetches that failed, by repository.',
    labelNames: ['repo'] as const,
    registers: [this.registry],
  });
  readonly #renderDuration = new Histogram({
    name: 'gitfleet_render_duration_seconds',
    help: 'Time to render an Application’s manifests (cache hits included), by repository.',
    labelNames: ['repo', 'outcome'] as const,
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
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
  readonly queueWait = new Histogram({
    name: 'gitfleet_workqueue_wait_seconds',
    help: 'Time a key waited in a controller work queue between being due and a worker taking it.',
    labelNames: ['controller'] as const,
    buckets: [0.001, 0.01, 0.1, 0.5, 1, 5, 15, 60, 300],
    registers: [this.registry],
  });
  readonly clusterReachable = new Gauge({
    name: 'gitfleet_cluster_reachable',
    help: '1 when the cluster answered its last check, else 0.',
    labelNames: ['cluster'] as const,
    registers: [this.registry],
  });
  readonly #agentHeartbeat = new Gauge({
    name: 'gitfleet_agent_last_heartbeat_timestamp_seconds',
    help: 'When the agent of an agent-mode cluster last talked to the hub (Unix seconds; 0 = never).',
    labelNames: ['cluster'] as const,
    registers: [this.registry],
  });
  readonly #rolloutHalted = new Gauge({
    name: 'gitfleet_appset_rollout_halted',
    help: '1 while an ApplicationSet’s progressive roll-out is Halted, else 0.',
    labelNames: ['namespace', 'name'] as const,
    registers: [this.registry],
  });

  constructor(opts: { processMetrics?: boolean } = {}) {
    if (opts.processMetrics ?? true)
      collectDefaultMetrics({
        register: this.registry,
        prefix: 'gitfleet_',
        // The event-loop lag histogram samples on a timer: prom-client's 10 ms wakes an idle hub a
        // hundred times a second (measured: a third of a quiet 10-app hub's CPU). Once a second
        // still records every stall that spans a tick, and costs nothing measurable.
        eventLoopMonitoringPrecision: EVENT_LOOP_MONITORING_MS,
      });
  }

  /**
   * Records an Application's state, replacing its previous series so one app is one series.
   * `labels` (from `appLabelsOf`) are kept for the app's other series; without them the last
   * known ones (or empty) are used.
   */
  appState(namespace: string, name: string, sync: string, health: string, labels?: AppLabels): void {
    const key = `${namespace}/${name}`;
    if (labels) this.#appMeta.set(key, labels);
    const meta = this.#metaOf(key);
    const next = { namespace, name, ...meta, sync_status: sync, health_status: health };
    const prev = this.#appInfoLabels.get(key);
    if (prev && Object.entries(next).some(([k, v]) => prev[k] !== v)) this.#appInfo.remove(prev);
    this.#appInfoLabels.set(key, next);
    this.#appInfo.set(next, 1);
  }

  /** A sync that ended (or stopped) in `phase`. */
  synced(app: Application, phase: string): void {
    const { namespace = '', name } = app.metadata;
    const meta = this.#remember(app);
    this.#count(this.#syncs, {
      namespace,
      name,
      project: meta.project,
      dest_cluster: meta.dest_cluster,
      phase,
    });
  }

  /** A reconcile stage of the Application failed with `reason` (a condition type). */
  stageFailed(app: Application, reason: string): void {
    this.#remember(app);
    this.#count(this.#errors, {
      kind: KIND,
      namespace: app.metadata.namespace ?? '',
      name: app.metadata.name,
      reason,
    });
  }

  /**
   * Times one reconcile of the app at `key` (`namespace/name`): both the fleet-wide histogram and
   * the per-object one; a reconcile that throws also counts as a ReconcileError.
   */
  reconcileTimer(key: string): (labels: { outcome: 'ok' | 'error' | 'quiet' }) => void {
    const [namespace = '', name = ''] = key.split('/');
    const start = process.hrtime.bigint();
    return ({ outcome }) => {
      const s = Number(process.hrtime.bigint() - start) / 1e9;
      this.reconcileDuration.observe({ outcome }, s);
      this.#reconcileByObject.observe({ kind: KIND, namespace, name }, s);
      if (outcome === 'error')
        this.#count(this.#errors, { kind: KIND, namespace, name, reason: 'ReconcileError' });
    };
  }

  /** Starts timing a Git fetch of `repoURL`; call the result when the fetch ran. */
  gitFetchTimer(repoURL: string): () => void {
    const end = this.#gitFetchDuration.startTimer({ repo: repoLabel(repoURL) });
    return () => void end();
  }

  gitFetchFailed(repoURL: string): void {
    this.#gitFetchFailures.inc({ repo: repoLabel(repoURL) });
  }

  /** Runs `render` for `app`, timing it by the app's repository. */
  async timeRender<T>(app: Application, render: () => Promise<T>): Promise<T> {
    const end = this.#renderDuration.startTimer({ repo: this.#remember(app).repo });
    try {
      const out = await render();
      end({ outcome: 'ok' });
      return out;
    } catch (e) {
      end({ outcome: 'error' });
      throw e;
    }
  }

  /** The last heartbeat of an agent-mode cluster's agent (epoch ms; 0 = never). */
  agentHeartbeat(cluster: string, atMs: number): void {
    this.#agentHeartbeat.set({ cluster }, atMs / 1000);
  }

  /** An ApplicationSet's roll-out phase (undefined when it has no progressive roll-out). */
  rolloutPhase(namespace: string, name: string, phase: string | undefined): void {
    if (phase === undefined) this.#rolloutHalted.remove({ namespace, name });
    else this.#rolloutHalted.set({ namespace, name }, phase === 'Halted' ? 1 : 0);
  }

  /** Drops every per-app series of an Application that no longer exists (or is driven elsewhere). */
  appGone(namespace: string, name: string): void {
    const key = `${namespace}/${name}`;
    const prev = this.#appInfoLabels.get(key);
    if (prev) this.#appInfo.remove(prev);
    this.#appInfoLabels.delete(key);
    this.#appMeta.delete(key);
    this.#reconcileByObject.remove({ kind: KIND, namespace, name });
    for (const { metric, labels } of this.#counted.get(key) ?? []) metric.remove(labels);
    this.#counted.delete(key);
  }

  /** Notes a per-app counter series, so appGone can drop it (prom-client removes exact label sets only). */
  #count(metric: Counter<string>, labels: Record<string, string>): void {
    const key = `${labels.namespace ?? ''}/${labels.name ?? ''}`;
    const seen = this.#counted.get(key) ?? [];
    if (!seen.some((s) => s.metric === metric && sameLabels(s.labels, labels))) seen.push({ metric, labels });
    this.#counted.set(key, seen);
    metric.inc(labels);
  }

  #remember(app: Application): AppLabels {
    const labels = appLabelsOf(app);
    this.#appMeta.set(`${app.metadata.namespace ?? ''}/${app.metadata.name}`, labels);
    return labels;
  }

  #metaOf(key: string): AppLabels {
    return this.#appMeta.get(key) ?? { project: '', dest_cluster: '', repo: '' };
  }
}

/** Runs `render` timed by the app's repository when there are metrics, else just runs it. */
export function timedRender<T>(
  metrics: ControllerMetrics | undefined,
  app: Application,
  render: () => Promise<T>,
): Promise<T> {
  return metrics ? metrics.timeRender(app, render) : render();
}

/** Records the state a failed stage left an app in (its status as written), so alerts see it. */
export function appStateAfterFailure(
  metrics: ControllerMetrics | undefined,
  app: Application,
  status: { sync?: { status: string }; health?: { status: string } },
): void {
  const { namespace = '', name } = app.metadata;
  metrics?.appState(
    namespace,
    name,
    status.sync?.status ?? 'Unknown',
    status.health?.status ?? 'Unknown',
    appLabelsOf(app),
  );
}

function sameLabels(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}
