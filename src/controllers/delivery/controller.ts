/**
 * The delivery controller: drives the Canaries of one cluster (the hub's own or a push-mode
 * destination's, see push-clusters.ts; the agent's on an agent). Per Canary, one reconcile: read target and slots → advance the current
 * step's analysis → decide (pure, src/delivery/canary.ts) → write slots and traffic → write status
 * (conditionally on resourceVersion) → notify. The state machine lives only in status, so a
 * restart resumes at the saved step; the conditional write makes a promotion happen once.
 */
import type { Logger } from 'pino';
import { API_VERSION } from '../../api/application.js';
import {
  ABORT_ANNOTATION,
  PROMOTE_ANNOTATION,
  type AnalysisTemplate,
  type Canary,
  type CanaryStatus,
} from '../../api/delivery.js';
import { decide } from '../../delivery/canary.js';
import { advanceRun, bindRef } from '../../delivery/run.js';
import type { AuditSink } from '../../governance/audit/index.js';
import type { KubeClient } from '../../kube/client.js';
import { isConflict, isNotFound } from '../../kube/errors.js';
import { Informer } from '../../kube/informer.js';
import { OWNER_ANNOTATION } from '../../engine/plan/ownership.js';
import type { Notifier } from '../notify/notifier.js';
import { WorkQueue } from '../queue.js';
import { analysisAuditRecord } from './audit.js';
import { AppliedCache, applyPlan, observeSlots, templateHash, type TargetDeployment } from './slots.js';

export interface DeliveryControllerOptions {
  /** Client of the cluster whose Canaries this controller drives. */
  client: KubeClient;
  /** The cluster's name, given to analyses as `cluster`. */
  cluster: string;
  log: Logger;
  notifier?: Notifier;
  /**
   * Drive only Canaries whose owning Application (owner annotation `<ns>/<app>`) is in this
   * namespace, as the hub's Application controller is scoped; all when absent.
   */
  appNamespace?: string;
  /** The Application's synced revision, for the `revision` argument; the template hash otherwise. */
  appRevision?: (namespace: string, name: string) => Promise<string | undefined>;
  /**
   * Whether this controller drives the Canaries of the owning Application `<namespace>/<name>`
   * (the hub: only the controller of the cluster the app is addressed to, since two registered
   * clusters may be one API server). All when absent.
   */
  drives?: (namespace: string, name: string) => Promise<boolean>;
  /** Re-examine every Canary this often even without changes (default 30 s). */
  resyncMs?: number;
  concurrency?: number;
  /** Where each finished analysis run is recorded (operation `analysis`); none when absent. */
  audit?: AuditSink;
  /**
   * Client of the cluster holding the Applications (the hub's management cluster), when it is not
   * `client`: a push-mode destination's controller reads the owning app's project and repository there.
   */
  appClient?: KubeClient;
}

export class DeliveryController {
  readonly #o: DeliveryControllerOptions;
  readonly #informer: Informer<Canary>;
  readonly #queue: WorkQueue;
  #gatewayApi: boolean | undefined;
  readonly #applied = new AppliedCache();
  /**
   * The resourceVersion of this controller's last status write per Canary. Its watch event needs
   * no reconcile: the reconcile that wrote it has already queued the next look. Without this,
   * every measurement cost two reconciles.
   */
  readonly #ownWrites = new Map<string, string>();
  /** Reconciles that ran to their end, per Canary: a test proves a restarted controller looked. */
  readonly #looked = new Map<string, number>();

  constructor(o: DeliveryControllerOptions) {
    this.#o = o;
    this.#informer = new Informer<Canary>(o.client, {
      apiVersion: API_VERSION,
      kind: 'Canary',
      dropManagedFields: true,
    });
    this.#queue = new WorkQueue({
      handler: (key) => this.#reconcile(key),
      // Reconciles mostly wait on the apiserver and the metric providers: at 8, 100 canaries
      // measuring every second got 74 measurements in 20 s at 4% of a core (bench/delivery).
      concurrency: o.concurrency ?? 32,
      onError: (key, err) => {
        o.log.warn({ canary: key, err: String(err) }, 'canary reconcile failed');
        this.#queue.addAfter(key, 2000);
      },
    });
  }

  start(): void {
    this.#informer.on('event', (ev) => {
      if (ev.type === 'added' || ev.type === 'modified') {
        const key = keyOf(ev.object);
        if (ev.type === 'modified' && this.#ownWrites.get(key) === ev.object.metadata.resourceVersion) return;
        if (this.#mine(ev.object)) this.#queue.add(key);
      } else if (ev.type === 'deleted') {
        this.#ownWrites.delete(keyOf(ev.object));
        this.#looked.delete(keyOf(ev.object));
        this.#applied.forget(`${ev.object.metadata.uid ?? ''}/`);
      } else if (ev.type === 'synced') {
        for (const c of this.#informer.list()) if (this.#mine(c)) this.#queue.add(keyOf(c));
      }
    });
    this.#informer.start();
  }

  stop(): void {
    this.#queue.stop();
    this.#informer.stop();
  }

  /** How many reconciles of this Canary ran to their end since this controller started. */
  looked(namespace: string, name: string): number {
    return this.#looked.get(`${namespace}/${name}`) ?? 0;
  }

  /** Reconciles one Canary now (tests, the API after a promote). */
  enqueue(namespace: string, name: string): void {
    this.#queue.add(`${namespace}/${name}`);
  }

  #mine(c: Canary): boolean {
    if (this.#o.appNamespace === undefined) return true;
    return c.metadata.annotations?.[OWNER_ANNOTATION]?.startsWith(`${this.#o.appNamespace}/`) ?? false;
  }

  async #hasGatewayApi(): Promise<boolean> {
    if (this.#gatewayApi !== undefined) return this.#gatewayApi;
    try {
      await this.#o.client.resource('gateway.networking.k8s.io/v1', 'HTTPRoute');
      this.#gatewayApi = true;
    } catch {
      // Asked again later: the CRDs may be installed after the hub started.
      setTimeout(() => (this.#gatewayApi = undefined), 60_000).unref();
      this.#gatewayApi = false;
    }
    return this.#gatewayApi;
  }

  async #reconcile(key: string): Promise<void> {
    const [namespace, name] = key.split('/') as [string, string];
    const kube = this.#o.client;
    // The watch's copy once listed (a GET per reconcile was a fifth of the requests at 100
    // canaries): a copy that lags behind a write only makes the conditional status write fail
    // with a conflict, and the reconcile runs again on what was written.
    const canary = this.#informer.synced
      ? structuredClone(this.#informer.get(namespace, name))
      : await kube.getOrUndefined<Canary>({ apiVersion: API_VERSION, kind: 'Canary', namespace, name });
    if (!canary || canary.metadata.deletionTimestamp || !this.#mine(canary)) return;
    const owner = canary.metadata.annotations?.[OWNER_ANNOTATION];
    const [appNs, app] = owner?.includes('/') ? (owner.split('/') as [string, string]) : [namespace, name];
    if (this.#o.drives && !(await this.#o.drives(appNs, app))) return;
    const where = `Canary ${namespace}/${name}`;
    const spec = canary.spec;
    if (!spec.strategy.canary === !spec.strategy.blueGreen) {
      await this.#fail(canary, `${where}: spec.strategy needs exactly one of canary or blueGreen`);
      return;
    }
    // The target and the slots at once (nothing this reconcile does before applyPlan changes the
    // slots): at 100 canaries, a reconcile's waits on the apiserver, not CPU, bounded the queue.
    const [target, slots] = await Promise.all([
      kube.getOrUndefined<TargetDeployment>({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        namespace,
        name: spec.targetRef.name,
      }),
      observeSlots(kube, canary),
    ]);
    if (!target) {
      await this.#fail(
        canary,
        `${where}: spec.targetRef: Deployment ${namespace}/${spec.targetRef.name} not found`,
      );
      this.#queue.addAfter(key, 5000);
      return;
    }
    const hash = templateHash(target);
    const now = new Date();
    let status: CanaryStatus | undefined = canary.status?.phase ? canary.status : undefined;
    let analysisNext: number | undefined;
    /** An analysis run this reconcile finished: recorded once its status write succeeded. */
    let finished:
      | { run: NonNullable<CanaryStatus['analysis']>; step: number; templates: string[]; revision: string }
      | undefined;
    const input = async (st: CanaryStatus | undefined) =>
      decide({
        spec,
        status: st,
        generation: canary.metadata.generation,
        targetHash: hash,
        slots,
        ...(canary.metadata.annotations?.[PROMOTE_ANNOTATION]
          ? { promote: canary.metadata.annotations[PROMOTE_ANNOTATION] }
          : {}),
        ...(canary.metadata.annotations?.[ABORT_ANNOTATION]
          ? { abort: canary.metadata.annotations[ABORT_ANNOTATION] }
          : {}),
        now,
      });
    let d = await input(status);
    if (d.analysis) {
      // The current step is an analysis: take the measurements that are due, then decide again on them.
      const before = d.status.analysis?.phase;
      const step = d.status.currentStep;
      const templates = d.analysis.templates.map((t) => t.templateName);
      const revision = (await this.#o.appRevision?.(appNs, app).catch(() => undefined)) ?? hash;
      try {
        const bound = await bindRef(
          d.analysis,
          spec.args,
          { app, cluster: this.#o.cluster, namespace, revision },
          (t) =>
            kube.getOrUndefined<AnalysisTemplate>({
              apiVersion: API_VERSION,
              kind: 'AnalysisTemplate',
              namespace,
              name: t,
            }),
        );
        const adv = await advanceRun(d.status.analysis, bound, (_b, n) => ({
          kube,
          namespace,
          jobName: `${name}-${d.status.canaryHash ?? hash}-${step}-${n}`.slice(0, 63).replace(/-+$/, ''),
          jobLabels: { 'gitfleet.dev/canary': name },
        }));
        status = { ...d.status, analysis: adv.run };
        analysisNext = adv.nextInMs;
      } catch (err) {
        status = {
          ...d.status,
          analysis: {
            phase: 'Error',
            startedAt: now.toISOString(),
            message: String(err instanceof Error ? err.message : err),
            metrics: [],
          },
        };
      }
      if (status.analysis?.phase === 'Error' && status.analysis.metrics.length === 0)
        status.analysis.metrics.push({
          name: 'templates',
          phase: 'Error',
          count: 0,
          successful: 0,
          failed: 0,
          inconclusive: 0,
          errors: 1,
          consecutiveErrors: 1,
          measurements: [
            { value: '', verdict: 'Error', at: now.toISOString(), message: status.analysis.message ?? '' },
          ],
        });
      const after = status.analysis;
      if (after && after.phase !== 'Running' && (before === undefined || before === 'Running'))
        finished = { run: after, step, templates, revision };
      d = await input(status);
    }
    await applyPlan(kube, canary, target, hash, d.plan, await this.#hasGatewayApi(), slots, this.#applied);
    const next = withConditions(d.status);
    if (JSON.stringify(next) !== JSON.stringify(canary.status)) {
      try {
        const written = await kube.replaceStatus<Canary>(
          { apiVersion: API_VERSION, kind: 'Canary', namespace, name },
          next,
          canary.metadata.resourceVersion ? { resourceVersion: canary.metadata.resourceVersion } : {},
        );
        if (written.metadata.resourceVersion) this.#ownWrites.set(key, written.metadata.resourceVersion);
      } catch (err) {
        // Someone else wrote first (another replica, a user's request): decide again on what they wrote.
        if (isConflict(err) || isNotFound(err)) {
          this.#queue.addAfter(key, 200);
          return;
        }
        throw err;
      }
      if (finished) void this.#audit(canary, appNs, app, finished, now);
      for (const n of d.notify) {
        this.#o.log.info({ canary: key, trigger: n.trigger }, n.message);
        void kube.recordEvent(
          canary,
          n.trigger === 'CanaryPromoted' ? 'Normal' : 'Warning',
          n.trigger,
          n.message,
          'gitfleet-delivery',
        );
        this.#o.notifier?.notify({
          trigger: n.trigger,
          namespace: appNs,
          app,
          labels: canary.metadata.labels ?? {},
          message: `Canary ${namespace}/${name}: ${n.message}`,
          revision: d.status.canaryHash ?? d.status.stableHash ?? hash,
        });
      }
    }
    const waits = [d.requeueMs, analysisNext].filter((x): x is number => x !== undefined);
    const inFlight = !['Initialized', 'Succeeded', 'Failed', 'Aborted'].includes(d.status.phase);
    const after = waits.length ? Math.min(...waits) : inFlight ? 2000 : (this.#o.resyncMs ?? 30_000);
    this.#queue.addAfter(key, Math.max(after, 100));
    this.#looked.set(key, (this.#looked.get(key) ?? 0) + 1);
  }

  /** Writes one finished run to the audit trail; a store failure is logged, never retried into a loop. */
  async #audit(
    c: Canary,
    appNs: string,
    app: string,
    f: { run: NonNullable<CanaryStatus['analysis']>; step: number; templates: string[]; revision: string },
    now: Date,
  ): Promise<void> {
    const sink = this.#o.audit;
    if (!sink) return;
    const namespace = c.metadata.namespace as string;
    try {
      // The Application names the project and repository; on an agent it lives in the hub, not here.
      const a = await (this.#o.appClient ?? this.#o.client)
        .getOrUndefined<KubeObjectLike & { spec?: { project?: string; source?: { repoURL?: string } } }>({
          apiVersion: API_VERSION,
          kind: 'Application',
          namespace: appNs,
          name: app,
        })
        .catch(() => undefined);
      await sink.record(
        analysisAuditRecord({
          subject: `Canary ${namespace}/${c.metadata.name} step ${f.step}`,
          appNamespace: appNs,
          app,
          project: a?.spec?.project ?? '',
          repoURL: a?.spec?.source?.repoURL ?? '',
          cluster: this.#o.cluster,
          namespace,
          revision: f.revision,
          templates: f.templates,
          run: f.run,
          now,
        }),
      );
    } catch (err) {
      this.#o.log.warn(
        { canary: `${namespace}/${c.metadata.name}`, err: String(err) },
        'audit record of an analysis failed',
      );
    }
  }

  async #fail(c: Canary, message: string): Promise<void> {
    const st: CanaryStatus = {
      ...(c.status ?? { currentStep: 0, canaryWeight: 0 }),
      phase: c.status?.phase ?? 'Failed',
      health: 'Degraded',
      message,
    };
    if (JSON.stringify(withConditions(st)) === JSON.stringify(c.status)) return;
    await this.#o.client
      .replaceStatus(
        {
          apiVersion: API_VERSION,
          kind: 'Canary',
          namespace: c.metadata.namespace as string,
          name: c.metadata.name,
        },
        withConditions(st),
      )
      .catch(() => undefined);
  }
}

function keyOf(c: KubeObjectLike): string {
  return `${c.metadata.namespace ?? ''}/${c.metadata.name}`;
}
type KubeObjectLike = { metadata: { namespace?: string; name: string } };

/** A Ready condition, so the Application's generic health shows the Canary's (Degraded with why). */
function withConditions(s: CanaryStatus): CanaryStatus & { conditions: unknown[] } {
  const ready = s.health === 'Healthy';
  const reason =
    s.health === 'Degraded'
      ? s.phase === 'Aborted'
        ? 'Aborted'
        : 'RolledBack'
      : ready
        ? 'Stable'
        : 'Progressing';
  const { conditions: _drop, ...rest } = s as CanaryStatus & { conditions?: unknown };
  return {
    ...rest,
    conditions: [
      {
        type: 'Ready',
        status: ready ? 'True' : 'False',
        reason,
        message: s.message ?? '',
        ...(s.observedGeneration !== undefined ? { observedGeneration: s.observedGeneration } : {}),
      },
      ...(s.health === 'Degraded'
        ? [{ type: 'Stalled', status: 'True', reason, message: s.message ?? '' }]
        : []),
    ],
  };
}
