import type { Logger } from 'pino';
import {
  API_VERSION,
  applicationPath,
  isAutomated,
  isCascadeFinalizer,
  REFRESH_ANNOTATION,
  REFRESH_REQUESTED_ANNOTATION,
  TERMINATE_ANNOTATION,
  type Application,
  type ApplicationStatus,
  type ConditionType,
  type HistoryEntry,
  type IgnoreDifference,
  type OperationState,
  type SyncPhase,
  type ResourceStatus,
} from '../../api/application.js';
import { formatObjectRef, groupOf } from '../../core/object-ref.js';
import { GitfleetError } from '../../core/errors.js';
import type { KubeClient } from '../../kube/client.js';
import { Informer } from '../../kube/informer.js';
import type { ObjectCache } from '../../kube/informer-view.js';
import type { Project } from '../../api/project.js';
import type { KubeObject } from '../../kube/types.js';
import { InventoryCache, InventoryStore } from '../../engine/inventory/store.js';
import type { Manifest } from '../../engine/manifest.js';
import { pruneStale } from '../../engine/prune/prune.js';
import { RenderCache, type RenderOptions } from '../../engine/render/index.js';
import { normalizeRepoUrl, type GitSources } from '../../engine/source/index.js';
import { afterSync, compareApp, type Comparison } from '../../engine/sync/compare.js';
import { syncNext, type SyncStepResult } from '../../engine/sync/sync.js';
import { CompareMemo } from '../../engine/sync/memo.js';
import type { ChangeSetEntry } from '../../engine/apply/changeset.js';
import { ClusterResolver, InvalidDestinationError, type ResolvedDestination } from '../clusters.js';
import { currentCopy } from './app-read.js';
import { recordEvent } from '../events.js';
import { appLabelsOf, appStateAfterFailure, timedRender, type ControllerMetrics } from '../metrics.js';
import {
  assessGovernance,
  assessSource,
  formatPolicyResults,
  hubNamespaces,
  protectedViolations,
  impersonatedUser,
  loadProject,
  runningSyncGate,
  syncGate,
  type GovernanceVerdict,
  type SourceVerdict,
  type SyncGate,
} from '../../governance/index.js';
import { auditRecordOf, recordSafely, type AuditSink } from '../../governance/audit/index.js';
import type { HubKey } from '../../governance/hub-key.js';
import { isSelfManagement } from '../../governance/self-management.js';
import type { Notifier } from '../notify/notifier.js';
import type { NotificationTrigger } from '../../api/notification.js';
import { formatUnsupportedFields, unsupportedApplicationFields } from '../../api/application-fields.js';
import { WorkQueue } from '../queue.js';
import { OwnedObjectsWatch, type OwnedChange } from './owned-watch.js';
import { renderApp, resolveAppSource, type PrepareDeps, type RenderInputs } from './prepare.js';
import { changedByPush, sameRenderInputs, type TriageApp } from './push-triage.js';
import { CredentialReads, sourceCredentials } from '../credentials.js';
import {
  failureCondition,
  primarySourceInPlace,
  revisionsOf,
  withSourcesViolations,
} from './multi-source.js';
import { HealthConfig, healthChecksHealth, healthCheckRefs } from './health-config.js';
import { registerChartCacheMetrics } from './chart-cache-metrics.js';
import { HealthChecksWatch } from './health-checks-watch.js';
import { isWorse } from '../../engine/health/index.js';
import { decide } from './decide.js';
import {
  ContinuationCache,
  nextLookMs,
  rebaseOperation,
  WAKE_SPACING_MS,
  wakeDelayMs,
  appFingerprint,
  endedQuiet,
  quietEligible,
  quietLook,
  type QuietRecord,
} from './continuation.js';
import { entryOf } from '../../engine/inventory/inventory.js';
import { changesOf, finishedOperation, progressOf, stepOf, toOperationResource } from './operation.js';
import {
  boundStatus,
  healthAfterFailure,
  onlyReconciledAtMoved,
  parseDuration,
  removeCondition,
  retryDelayMs,
  retryWaitOf,
  runningOperation,
  setCondition,
  syncStatusAfterFailure,
} from './status.js';
import { secretMaskOf, type SecretMask } from '../../engine/diff/mask.js';

export interface ApplicationControllerOptions {
  /** Client of the management cluster, where Applications live. */
  client: KubeClient;
  /** Reconcile only Applications in this namespace; all namespaces when absent. */
  namespace?: string;
  /** Namespace holding cluster registration Secrets; default gitfleet-system. */
  controllerNamespace?: string;
  sources: GitSources;
  /** How often every Application is re-checked against Git (and the repo fetched); default 3 min. */
  pollIntervalMs?: number;
  renderOptions?: RenderOptions;
  /** Applications reconciled at once; default 4. */
  concurrency?: number;
  /** Longest wait for a wave to become healthy; default 5 min. */
  healthTimeoutMs?: number;
  /** Shared destination clients; one is made from `client` when absent. */
  clusters?: ClusterResolver;
  /** Where to report Prometheus metrics; none when absent. */
  metrics?: ControllerMetrics;
  /** Sends notifications for sync results, drift and degraded health; none when absent. */
  notifier?: Notifier;
  /**
   * Whether this controller drives an Application. The hub answers false for apps on agent-mode
   * clusters (their agent drives them) and on clusters sharded to another hub replica. Apps it
   * refuses are left untouched, status included. All when absent.
   */
  responsibleFor?: (app: Application) => boolean;
  /** Where every sync operation is recorded (append-only audit trail); none when absent. */
  audit?: AuditSink;
  /** The hub's key: verifies the requester the hub API signed on a sync request (audit). */
  hubKey?: HubKey;
  /** A shared cache of the Applications in `namespace` (all when unset); an informer is made when absent. */
  informer?: ObjectCache<Application>;
  log: Logger;
}

type Key = string; // `<namespace>/<name>` = the owner string

/**
 * Reconciles Applications: source → render → compare → (auto)sync → status, continuously. Drift
 * in destination clusters arrives through watches on owned objects; pushes through `onPush`.
 */
export class ApplicationController {
  readonly #o: Required<
    Omit<
      ApplicationControllerOptions,
      | 'namespace'
      | 'renderOptions'
      | 'clusters'
      | 'metrics'
      | 'notifier'
      | 'responsibleFor'
      | 'audit'
      | 'informer'
      | 'hubKey'
    >
  > &
    Pick<
      ApplicationControllerOptions,
      | 'namespace'
      | 'renderOptions'
      | 'metrics'
      | 'notifier'
      | 'responsibleFor'
      | 'audit'
      | 'informer'
      | 'hubKey'
    >;
  readonly #queue: WorkQueue;
  readonly #clusters: ClusterResolver;
  readonly #renderCache = new RenderCache();
  /** Custom health in CEL (the cluster-wide ConfigMap), read lazily and cached for seconds. */
  #healthConfig: HealthConfig | undefined;
  readonly #watches = new Map<KubeClient, OwnedObjectsWatch>();
  /** Decoded `secretRef` credentials, so an unchanged Secret is not read again every poll. */
  readonly #credentialReads: CredentialReads;
  /** Per destination: the inventories' versions, so an unchanged one is not read again. */
  readonly #inventories = new Map<KubeClient, InventoryCache>();
  /** Watches of `spec.healthChecks` objects, per destination client as the identity that reads them. */
  readonly #healthChecks = new Map<KubeClient, HealthChecksWatch>();
  /** Since when each app is Progressing with no operation (epoch ms): its fallback re-check backs off. */
  readonly #progressingSince = new Map<Key, number>();
  /** Apps whose last look ended with an operation running or Progressing (continuation.ts wakeDelayMs). */
  readonly #settling = new Set<Key>();
  /** Apps whose last look ended with an operation running: their objects' changes move it on (#wake). */
  readonly #operating = new Set<Key>();
  /** Comparison memos per destination and identity acted as (a lost permission shows once the object changes). */
  readonly #memos = new Map<KubeClient, Map<string, CompareMemo>>();
  /** Apps that must see Git as of a moment (a push, a refresh): key → that moment. */
  readonly #forceFetch = new Map<Key, number>();
  readonly #refreshSeen = new Map<Key, string>();
  /** What of each Application last triggered a reconcile; status-only updates (our own writes) do not. */
  readonly #seen = new Map<Key, string>();
  /** The resourceVersion each app's last status write answered (app-read.ts currentCopy). */
  readonly #written = new Map<Key, string>();
  /** The revision and render a running operation's next look reuses. */
  readonly #continuing: ContinuationCache;
  /** Apps being reconciled now, and when each app's last reconcile ended (owned-object wake-ups). */
  readonly #reconciling = new Set<Key>();
  readonly #lastEnded = new Map<Key, number>();
  /** When an app was last woken at once by a foreign write (#wake). */
  readonly #lastForeign = new Map<Key, number>();
  /** What each app's last render read (push-triage.ts). */
  readonly #inputs = new Map<Key, RenderInputs>();
  /** Apps whose last full look ended settled, for the polls that may stop at the fetch (continuation.ts). */
  readonly #quiet = new Map<Key, QuietRecord>();
  /** Push triages under way (idle() waits for them: their apps are not queued yet). */
  readonly #triaging = new Set<Promise<void>>();
  #informer: ObjectCache<Application> | undefined;
  #projects: Informer<Project> | undefined;

  constructor(opts: ApplicationControllerOptions) {
    this.#o = {
      controllerNamespace: 'gitfleet-system',
      pollIntervalMs: 180_000,
      concurrency: 4,
      healthTimeoutMs: 300_000,
      ...opts,
    };
    this.#continuing = new ContinuationCache(this.#o.pollIntervalMs);
    this.#credentialReads = new CredentialReads(this.#o.client);
    // The chart/OCI archive cache this controller's renders fill, on the same registry.
    if (opts.metrics) registerChartCacheMetrics(opts.metrics.registry);
    this.#clusters = opts.clusters ?? new ClusterResolver(opts.client, this.#o.controllerNamespace);
    this.#queue = new WorkQueue({
      concurrency: this.#o.concurrency,
      handler: (k, run) => this.#timed(k, run.periodic),
      // Fairness: a destination cluster that has not answered (yet, or any more) gets one worker,
      // so a frozen cluster's apps cannot occupy the workers every other cluster needs.
      groupOf: (k) => this.#destinationOf(k),
      groupLimit: (cluster) => (this.#clusters.degraded(cluster) ? 1 : Infinity),
      onWait: (_k, ms) => this.#o.metrics?.queueWait.observe({ controller: 'application' }, ms / 1000),
      onError: (k, e) => {
        this.#o.log.error({ app: k, err: e instanceof Error ? e.message : String(e) }, 'reconcile failed');
        this.#queue.addAfter(k, 5000);
      },
    });
  }

  start(): void {
    this.#informer =
      this.#o.informer ??
      new Informer(this.#o.client, {
        apiVersion: API_VERSION,
        kind: 'Application',
        namespace: this.#o.namespace,
        dropManagedFields: true,
      });
    this.#informer.on('event', (ev) => {
      if (ev.type === 'error') this.#o.log.warn({ err: String(ev.error) }, 'application watch error');
      else if (ev.type === 'deleted') {
        this.#seen.delete(keyOf(ev.object));
        this.#written.delete(keyOf(ev.object));
        for (const w of this.#watches.values()) w.release(keyOf(ev.object));
        this.#continuing.delete(keyOf(ev.object));
        this.#progressingSince.delete(keyOf(ev.object));
        this.#settling.delete(keyOf(ev.object));
        this.#operating.delete(keyOf(ev.object));
        this.#lastEnded.delete(keyOf(ev.object));
        this.#lastForeign.delete(keyOf(ev.object));
        this.#inputs.delete(keyOf(ev.object));
        this.#quiet.delete(keyOf(ev.object));
        for (const w of this.#healthChecks.values()) w.forget(keyOf(ev.object));
      } else if (ev.type !== 'synced' && this.#changed(ev.object)) {
        // A refresh asked through the API (annotation) means "look at Git now", not at the cache.
        const asked = ev.object.metadata.annotations?.[REFRESH_REQUESTED_ANNOTATION];
        const k = keyOf(ev.object);
        if (asked && this.#refreshSeen.get(k) !== asked) {
          if (this.#refreshSeen.has(k) || ev.type === 'modified') this.#forceFetch.set(k, Date.now());
          this.#refreshSeen.set(k, asked);
        }
        this.#queue.add(k);
      }
    });
    this.#informer.start();
    // A Project change (a rule, a window, a policy) re-examines its Applications at once, not at
    // the next poll. Errors (no Project CRD yet) are retried by the informer itself.
    this.#projects = new Informer<Project>(this.#o.client, {
      apiVersion: API_VERSION,
      kind: 'Project',
      namespace: this.#o.controllerNamespace,
      dropManagedFields: true,
    });
    this.#projects.on('event', (ev) => {
      if (ev.type === 'error' || ev.type === 'synced') return;
      for (const a of this.#informer?.list() ?? [])
        if (((a as Application).spec?.project ?? 'default') === ev.object.metadata.name)
          this.#queue.add(keyOf(a));
    });
    this.#projects.start();
  }

  stop(): void {
    this.#informer?.stop();
    this.#projects?.stop();
    this.#queue.stop();
    for (const w of this.#watches.values()) w.stop();
    for (const c of this.#inventories.values()) c.stop();
    this.#credentialReads.stop();
    this.#healthConfig?.stop();
    for (const w of this.#healthChecks.values()) w.stop();
  }

  #changed(o: KubeObject): boolean {
    const fingerprint = appFingerprint(o as Application);
    if (this.#seen.get(keyOf(o)) === fingerprint) return false;
    this.#seen.set(keyOf(o), fingerprint);
    return true;
  }

  /** A push webhook arrived: fetch at once and reconcile exactly the Applications using these repositories. */
  onPush(repoUrls: string[]): string[] {
    const wanted = new Set(repoUrls.map(normalizeRepoUrl));
    const hit: string[] = [];
    const judged: TriageApp[] = [];
    const since = Date.now();
    for (const app of this.#informer?.list() ?? []) {
      const a = app as Application;
      if (
        [a.spec?.source, ...(a.spec?.sources ?? [])].some(
          (s) => s?.repoURL && wanted.has(normalizeRepoUrl(s.repoURL)),
        )
      ) {
        const k = keyOf(a);
        this.#forceFetch.set(k, since);
        hit.push(k);
        if (!this.#o.responsibleFor || this.#o.responsibleFor(a)) {
          const inputs = this.#inputs.get(k);
          judged.push({ key: k, app: a, ...(inputs ? { inputs } : {}) });
        } else this.#queue.add(k, { background: true }); // driven elsewhere: dropped at once
      }
    }
    // Every app moves to the new commit. Git first says which the push changed (push-triage.ts):
    // those run first, with every worker free; the others follow in the background lane.
    if (judged.length) {
      const t = this.#triage(judged, since).finally(() => this.#triaging.delete(t));
      this.#triaging.add(t);
    }
    return hit;
  }

  async #triage(apps: TriageApp[], since: number): Promise<void> {
    let first: string[];
    try {
      first = await changedByPush(
        {
          sources: this.#o.sources,
          credentials: (app) =>
            sourceCredentials(
              this.#o.client,
              app.metadata.namespace ?? '',
              app.spec.source ?? { repoURL: '' },
              this.#o.controllerNamespace,
              this.#credentialReads,
            ),
        },
        apps,
        since,
      );
    } catch {
      first = apps.map((a) => a.key);
    }
    for (const k of first) this.#queue.add(k);
    for (const a of apps) this.#queue.add(a.key, { background: true });
    this.#o.log.info(
      { apps: apps.length, first: first.length, ms: Date.now() - since },
      'push: apps whose files changed go first',
    );
  }

  /** Requests an immediate refresh (fetch + compare) of one Application. */
  refresh(key: Key): void {
    this.#forceFetch.set(key, Date.now());
    this.#queue.add(key);
  }

  async idle(): Promise<void> {
    await Promise.all(this.#triaging);
    return this.#queue.idle();
  }

  /** Re-examines every known Application, e.g. after `responsibleFor` changed its answers. */
  requeueAll(): void {
    for (const o of this.#informer?.list() ?? []) this.#queue.add(keyOf(o));
  }

  #destinationOf(key: Key): string {
    const [namespace = '', name = ''] = key.split('/');
    const a = this.#informer?.get(namespace, name) as Application | undefined;
    return this.#clusters.knownName(a?.spec?.destination);
  }

  async #timed(key: Key, periodic = false): Promise<void> {
    const m = this.#o.metrics;
    m?.queueDepth.set({ controller: 'application' }, this.#queue.length);
    const end = m?.reconcileTimer(key);
    this.#reconciling.add(key);
    try {
      const quiet = await this.#reconcile(key, periodic);
      // `quiet`: a poll that stopped at the fetch (continuation.ts QuietRecord).
      end?.({ outcome: quiet ? 'quiet' : 'ok' });
    } catch (e) {
      end?.({ outcome: 'error' });
      throw e;
    } finally {
      this.#reconciling.delete(key);
      this.#lastEnded.set(key, Date.now());
    }
  }

  /**
   * An object the app owns or awaits changed: look again soon (continuation.ts wakeDelayMs). A
   * write by someone else (`drift`: a hand edit) is looked at now, not after the spacing that bounds
   * a roll-out's bursts of status updates (nor after a push's background update of the app, which
   * may have just run).
   *
   * A change that moves the app's health at most (`moved`: a roll-out's status writes, the echo of
   * gitfleet's own apply, an object of spec.healthChecks) waits in the queue's background lane
   * unless an operation awaits it: apps with work to do (a first sync, drift, a push) go first, and
   * a look that only reports a roll-out's progress takes a worker when none of them waits. In a cold
   * start the later apps' syncs, whose roll-outs take longest, no longer queue behind the earlier
   * apps' health looks (bench/README, session 14).
   */
  #wake(owner: Key, change: OwnedChange = 'moved'): void {
    if (this.#o.namespace && !owner.startsWith(`${this.#o.namespace}/`)) return;
    // At once at most once per spacing: a controller fighting over a field must not make a hot loop.
    const now = Date.now();
    if (change === 'drift' && now - (this.#lastForeign.get(owner) ?? 0) >= WAKE_SPACING_MS) {
      this.#lastForeign.set(owner, now);
      return this.#queue.add(owner);
    }
    const ended = this.#lastEnded.get(owner);
    const delay = wakeDelayMs({
      reconciling: this.#reconciling.has(owner),
      settling: this.#settling.has(owner),
      ...(ended !== undefined ? { lastEndedAt: ended } : {}),
      now: Date.now(),
    });
    this.#queue.addAfter(owner, delay, {
      background: change === 'moved' && !this.#operating.has(owner),
    });
  }

  /** Returns true when the look was a quiet poll (nothing compared, nothing written). */
  async #reconcile(key: Key, periodic: boolean): Promise<boolean> {
    const [namespace = '', name = ''] = key.split('/');
    const client = this.#o.client;
    // Apps driven elsewhere (agents, other replicas) are dropped from the cache's copy, with no read.
    const cached = this.#informer?.get(namespace, name) as Application | undefined;
    if (cached && this.#o.responsibleFor && !this.#o.responsibleFor(cached)) {
      this.#o.metrics?.appGone(namespace, name);
      return false;
    }
    // Unchanged since this controller's own last status write: the cache's copy, no read.
    const app =
      currentCopy(cached, this.#written.get(key)) ??
      (await client.getOrUndefined<Application>({
        apiVersion: API_VERSION,
        kind: 'Application',
        namespace,
        name,
      }));
    if (!app) return false;
    if (this.#o.responsibleFor && !this.#o.responsibleFor(app)) {
      // Another replica (or the app's agent) drives it now: this one stops reporting it.
      this.#o.metrics?.appGone(namespace, name);
      return false;
    }
    if (app.metadata.deletionTimestamp) {
      await this.#finalize(app);
      return false;
    }

    // The stages edit this draft and return what happened as data; only #report writes it.
    const now = new Date().toISOString();
    const status: ApplicationStatus = structuredClone(app.status ?? {});
    status.observedGeneration = app.metadata.generation;
    // Asked to look (a push, a refresh): the status says when, even if nothing else changed.
    const asked = this.#forceFetch.has(key);
    const t0 = performance.now();
    const prepared = await this.#prepare(app, status, now, periodic);
    const t1 = performance.now();
    const outcome = prepared.kind === 'prepared' ? await this.#operate(app, status, now, prepared) : prepared;
    const t2 = performance.now();
    await this.#report(app, status, outcome, now, asked);
    // Where a reconcile's wall time went, for operators chasing latency (debug level only).
    this.#o.log.debug(
      {
        app: key,
        outcome: outcome.kind,
        prepareMs: Math.round(t1 - t0),
        operateMs: Math.round(t2 - t1),
        reportMs: Math.round(performance.now() - t2),
      },
      'reconciled',
    );
    return outcome.kind === 'quiet';
  }

  /**
   * Prepare stage: destination, refused fields, dependencies, project checks, source, render,
   * policies and the comparison. Nothing in the destination changes here; the first failure stops
   * the reconcile (returned, not written).
   */
  async #prepare(
    app: Application,
    status: ApplicationStatus,
    now: string,
    periodic = false,
  ): Promise<Prepared | Stopped> {
    const key = keyOf(app);
    const namespace = app.metadata.namespace ?? '';
    const client = this.#o.client;
    // destination.server (Argo CD's form) names a registered Cluster by its API URL. Resolved
    // first: every later stage (project, sync windows, engine) then sees the one cluster it means.
    try {
      resolveDestinationInPlace(app, await this.#clusters.destination(app.spec.destination ?? {}));
    } catch (e) {
      return failed(e instanceof InvalidDestinationError ? 'InvalidSpecError' : 'DestinationFailed', e);
    }
    const spec = app.spec;

    // Argo CD fields gitfleet does not implement are refused by name before anything is fetched,
    // rendered or applied: an app that silently lost one of them would deploy something else.
    const unsupported = unsupportedApplicationFields(app);
    if (unsupported.length) {
      const e = new GitfleetError('spec.Unsupported', formatUnsupportedFields(unsupported));
      return failed('InvalidSpecError', e);
    }
    const noSource = primarySourceInPlace(app); // multi-source: spec.source = the first rendered source
    if (noSource) return failed('InvalidSpecError', noSource);
    status.conditions = removeCondition(status.conditions, 'InvalidSpecError');

    // dependsOn: wait until every dependency is Healthy.
    for (const dep of spec.dependsOn ?? []) {
      const d = await client.getOrUndefined<Application>({
        apiVersion: API_VERSION,
        kind: 'Application',
        namespace,
        name: dep.name,
      });
      if (d?.status?.health?.status !== 'Healthy') {
        status.conditions = setCondition(
          status.conditions,
          {
            type: 'DependencyNotReady',
            status: 'True',
            reason: 'DependencyNotReady',
            message: `waiting for Application ${namespace}/${dep.name} to be Healthy (is ${d?.status?.health?.status ?? 'missing'})`,
          },
          now,
        );
        return { kind: 'waiting', requeueMs: 5000 };
      }
    }
    status.conditions = removeCondition(status.conditions, 'DependencyNotReady');

    // Governance first: a project that does not admit this app's namespace, repository or
    // destination costs no fetch with the app's credentials and no render.
    let early: SourceVerdict;
    try {
      early = await assessSource({
        mgmt: client,
        controllerNamespace: this.#o.controllerNamespace,
        app,
        ...(this.#projects ? { projects: this.#projects } : {}),
      });
      // Multi-source: every source's repository, each refusal naming its index.
      const violations = withSourcesViolations(app, early.project, early.violations);
      if (violations.length) throw new GitfleetError('project.Violation', violations.join('; '));
    } catch (e) {
      return failed('ProjectViolation', e);
    }

    // Source and render: any failure here changes nothing in the destination.
    let sha: string;
    let manifests: Manifest[];
    /** An earlier revision whose render read the same Git objects as this one (rebaseOperation). */
    let rendersAs: string | undefined;
    // A running operation's next look reuses the revision and render it runs with (nothing asked
    // for a fetch, the Application unchanged, within one poll interval).
    const reuse = this.#forceFetch.has(key)
      ? undefined
      : this.#continuing.get(key, app, status.operationState);
    if (reuse) ({ sha, manifests } = reuse);
    else {
      const resolvedAt = Date.now();
      // A push or a refresh asked for this fetch: never a quiet poll, even if it found no new commit.
      const askedFetch = this.#forceFetch.has(key);
      try {
        // After a push, one fetch that started after it serves every app of the repository: the
        // first app fetches, the others find the mirror already as new as the push.
        const since = this.#forceFetch.get(key);
        this.#forceFetch.delete(key);
        sha = (await resolveAppSource(this.#prepareDeps(), app, since)).sha;
        status.conditions = removeCondition(status.conditions, 'SourceFailed');
      } catch (e) {
        return failed(failureCondition(e, 'SourceFailed'), e);
      }
      // A poll with nothing else behind it that found the commit the last full look compared.
      if (
        periodic &&
        !askedFetch &&
        quietLook(this.#quiet.get(key), { fingerprint: appFingerprint(app), sha, nowMs: Date.now() })
      )
        return { kind: 'quiet' };
      const renderedAt = Date.now();
      try {
        const revision = sha;
        // The last render's inputs stay known while this one runs: a push meanwhile judges the app
        // by them (push-triage.ts) instead of counting it as never rendered.
        const before = this.#inputs.get(key);
        let after: RenderInputs | undefined;
        manifests = await timedRender(this.#o.metrics, app, () =>
          renderApp(this.#prepareDeps(), app, revision, (inputs) => (after = inputs)),
        ).catch((e: unknown) => {
          this.#inputs.delete(key);
          throw e;
        });
        if (after) this.#inputs.set(key, after);
        else this.#inputs.delete(key);
        if (before && after && sameRenderInputs(before, after)) rendersAs = before.sha;
        this.#o.log.debug(
          {
            app: key,
            revision: sha,
            objects: manifests.length,
            sourceMs: renderedAt - resolvedAt,
            renderMs: Date.now() - renderedAt,
          },
          'rendered',
        );
        status.conditions = removeCondition(status.conditions, 'RenderFailed');
      } catch (e) {
        return failed(failureCondition(e, 'RenderFailed'), e, { revision: sha });
      }
      this.#continuing.set(key, app, { sha, manifests }, resolvedAt);
    }
    // Messages from here on may echo the render's Secret values (API-server errors do): masked.
    const secrets = secretMaskOf(manifests.map((m) => m.object));
    const seen = { revision: sha, secrets };

    const destAt = performance.now();
    let dest: KubeClient;
    try {
      dest = await this.#clusters.resolve(spec.destination.name);
      status.conditions = removeCondition(status.conditions, 'DestinationFailed');
    } catch (e) {
      return failed('DestinationFailed', e, seen);
    }
    // Governance: the project decides which sources, destinations and kinds are allowed, which
    // policies the manifests must meet and as whom the engine acts, before anything is compared
    // or applied.
    let governance: GovernanceVerdict;
    try {
      governance = await assessGovernance({
        mgmt: client,
        controllerNamespace: this.#o.controllerNamespace,
        app,
        manifests,
        dest,
        // Read once per reconcile: the Project the pre-fetch checks passed with.
        ...(early.project ? { project: early.project } : {}),
      });
      if (governance.violations.length)
        throw new GitfleetError('project.Violation', governance.violations.join('; '));
      status.conditions = removeCondition(status.conditions, 'ProjectViolation');
    } catch (e) {
      return failed('ProjectViolation', e, seen);
    }
    if (governance.policy.length) status.policy = governance.policy;
    else delete status.policy;
    const enforced = governance.policy.filter((r) => r.mode === 'enforce');
    if (enforced.length) {
      const e = new GitfleetError('policy.Violation', formatPolicyResults(enforced));
      return failed('PolicyViolation', e, seen);
    }
    status.conditions = removeCondition(status.conditions, 'PolicyViolation');
    const warned = governance.policy.filter((r) => r.mode === 'warn');
    status.conditions = warned.length
      ? setCondition(
          status.conditions,
          {
            type: 'PolicyWarning',
            status: 'True',
            reason: 'PolicyWarning',
            message: formatPolicyResults(warned),
          },
          now,
        )
      : removeCondition(status.conditions, 'PolicyWarning');
    // The inventory is gitfleet's own bookkeeping in gitfleet-system: kept as the controller, so a
    // project's ServiceAccount needs no rights there. Everything else acts as the project says.
    const comparedAt = performance.now();
    const inventory = new InventoryStore(dest, this.#inventoryCache(dest));
    const destAs = governance.impersonate ? dest.impersonating(governance.impersonate) : dest;
    const ignore = spec.ignoreDifferences ?? [];
    const defaultNamespace = spec.destination.namespace ?? namespace;

    this.#healthConfig ??= new HealthConfig(this.#o.client, this.#o.controllerNamespace, this.#o.log);
    const health = { overrides: await this.#healthConfig.overrides(early.project) };
    const healthWatch = this.#healthChecksWatch(destAs);
    let cmp: Comparison;
    try {
      cmp = await compareApp(
        // A running operation's comparison reads the objects the watch holds in full (no GET).
        {
          owner: key,
          manifests,
          defaultNamespace,
          ignore,
          health,
          fromWatch: status.operationState?.phase === 'Running',
        },
        // Objects unchanged (watched resourceVersion) since they compared equal cost no request.
        {
          client: destAs,
          inventory,
          memo: this.#memo(dest, governance.impersonate),
          versions: this.#watch(dest),
        },
      );
      // spec.healthChecks: objects outside the app whose health the app's health waits for. Watched
      // (as the identity that reads them), so their change wakes the app and no GET is needed.
      healthWatch.track(key, healthCheckRefs(spec.healthChecks, defaultNamespace));
      const external = await healthChecksHealth(
        destAs,
        spec.healthChecks,
        defaultNamespace,
        health.overrides,
        healthWatch,
      );
      if (external && isWorse(external.status, cmp.health.status)) cmp = { ...cmp, health: external };
      status.conditions = removeCondition(status.conditions, 'ComparisonError');
      this.#o.log.debug(
        {
          app: key,
          governanceMs: Math.round(comparedAt - destAt),
          compareMs: Math.round(performance.now() - comparedAt),
        },
        'compared',
      );
    } catch (e) {
      return failed('ComparisonError', e, seen);
    }
    // Objects to prune come from the inventory, not from Git: the protected rules hold for them
    // too, so nothing of the hub's is deleted by an app that once owned it.
    const hubNsPrune = hubNamespaces(this.#o.controllerNamespace);
    // gitfleet's own installation prunes its own objects (src/governance/self-management.ts).
    const protectedPrunes = protectedViolations(
      cmp.resources
        .filter((r) => r.diff === 'requires pruning')
        .map(({ ref }) => ({
          group: groupOf(ref.apiVersion),
          kind: ref.kind,
          name: ref.name,
          ...(ref.namespace ? { namespace: ref.namespace } : {}),
        }))
        .filter(() => !isSelfManagement(app, hubNsPrune)),
      hubNsPrune,
    );
    if (protectedPrunes.length) {
      const e = new GitfleetError('project.Violation', `refusing to prune: ${protectedPrunes.join('; ')}`);
      return failed('ProjectViolation', e, seen);
    }
    return {
      kind: 'prepared',
      sha,
      manifests,
      secrets,
      dest,
      destAs,
      inventory,
      governance,
      ignore,
      defaultNamespace,
      health,
      cmp,
      watched: healthWatch.covers(key),
      ...(rendersAs !== undefined ? { rendersAs } : {}),
    };
  }

  /**
   * Operate stage: decide (pure) what to do with the operation, then do it — end, cancel, gate by
   * sync window, run the next sync step — with its audit record, events, history and
   * notifications. Returns the comparison after the step and what the requeue must respect.
   */
  async #operate(app: Application, status: ApplicationStatus, now: string, p: Prepared): Promise<Outcome> {
    const key = keyOf(app);
    const namespace = app.metadata.namespace ?? '';
    const name = app.metadata.name;
    const client = this.#o.client;
    const spec = app.spec;
    const log = this.#o.log.child({ app: key });
    const { sha, manifests, dest, destAs, inventory, governance, ignore, defaultNamespace, health } = p;
    const seen = { revision: sha, secrets: p.secrets };
    const owner = key;
    let cmp = p.cmp;
    let retryAfterMs: number | undefined;

    // `automated.enabled: false` keeps the settings but turns automation off (Argo CD 2.14+).
    const auto = isAutomated(spec.syncPolicy) ? spec.syncPolicy?.automated : undefined;
    const requested = app.metadata.annotations?.[REFRESH_ANNOTATION];
    const terminate = app.metadata.annotations?.[TERMINATE_ANNOTATION];
    const terminateRequested = terminate !== undefined && terminate !== status.handledTerminateRequest;
    if (terminateRequested) status.handledTerminateRequest = terminate;
    // A commit that leaves this app's rendered files alone does not cancel its running operation.
    const rebased = rebaseOperation(status.operationState, sha, p.rendersAs);
    if (rebased) status.operationState = rebased;
    const retryWaitMs = retryWaitOf(status.operationState, spec.syncPolicy?.retry?.backoff, Date.now());
    const decision = decide({
      op: status.operationState,
      revision: sha,
      compared: cmp.status,
      lastSync: status.sync?.status,
      auto,
      syncRequest: requested !== undefined && requested !== status.handledSyncRequest ? requested : undefined,
      terminateRequested,
      retryLimit: spec.syncPolicy?.retry?.limit ?? 5,
      retryWaiting: retryWaitMs > 0,
    });
    // A retry held back by its backoff is looked at again when the backoff ends.
    if (decision.action === 'none' && retryWaitMs > 0) retryAfterMs = retryWaitMs;
    const drift = decision.action !== 'continue' && decision.action !== 'end' && decision.drift;
    const notify = (trigger: NotificationTrigger, message: string): void =>
      this.#o.notifier?.notify({
        trigger,
        namespace,
        app: name,
        labels: app.metadata.labels ?? {},
        message,
        revision: sha,
      });
    // DriftDetected: a condition while the drift lasts, one notification per drift (not per look).
    const drifting = status.conditions?.some((c) => c.type === 'DriftDetected' && c.status === 'True');
    if (drift) {
      const drifted = cmp.resources
        .filter((r) => r.status === 'OutOfSync')
        .map((r) => formatObjectRef(r.ref));
      const message = `changed outside Git: ${drifted.slice(0, 5).join(', ')}${drifted.length > 5 ? ` and ${drifted.length - 5} more` : ''}`;
      if (!drifting) {
        this.#o.metrics?.driftDetected.inc();
        notify('DriftDetected', message);
      }
      status.conditions = setCondition(
        status.conditions,
        { type: 'DriftDetected', status: 'True', reason: 'DriftDetected', message },
        now,
      );
    }

    // The operation's end, whoever ends it: audit, metrics, notification, history, events, retry.
    const finish = async (
      result: {
        phase: 'Succeeded' | 'Failed';
        message: string;
        changes: ChangeSetEntry[];
        syncPhase?: SyncPhase;
      },
      op: OperationState,
      revision: string,
    ): Promise<void> => {
      const manualOp = op.syncRequest !== undefined;
      status.operationState = {
        ...finishedOperation(op, result),
        ...(manualOp ? { syncRequest: op.syncRequest } : {}),
      };
      // Audit before status: a crash between the two leaves a recorded sync, never an unrecorded one.
      await recordSafely(
        this.#o.audit,
        () =>
          auditRecordOf({
            app,
            revision,
            manual: manualOp,
            startedAt: new Date(op.startedAt),
            finishedAt: new Date(),
            result,
            manifests,
            ...(this.#o.hubKey ? { hubKey: this.#o.hubKey } : {}),
          }),
        (e) => log.error({ err: e instanceof Error ? e.message : String(e) }, 'audit record failed'),
      );
      this.#o.metrics?.synced(app, result.phase);
      notify(result.phase === 'Succeeded' ? 'SyncSucceeded' : 'SyncFailed', result.message);
      if (manualOp) status.handledSyncRequest = op.syncRequest;
      if (result.phase === 'Succeeded') {
        if (drift) this.#o.metrics?.driftHealed.inc();
        const commit = await this.#o.sources.commitInfo(spec.source.repoURL, revision).catch(() => undefined);
        status.history = pushHistory(
          status.history,
          {
            revision,
            deployedAt: new Date().toISOString(),
            source: spec.source,
            ...(commit ? { author: commit.author, message: commit.message } : {}),
          },
          spec.revisionHistoryLimit ?? 10,
        );
        await recordEvent(
          client,
          app,
          'Normal',
          'SyncSucceeded',
          `synced ${revision.slice(0, 12)}: ${result.message}`,
        );
        log.info(
          { revision, changes: result.changes.filter((c) => c.action !== 'unchanged').length },
          'sync succeeded',
        );
      } else {
        await recordEvent(
          client,
          app,
          'Warning',
          'SyncFailed',
          `sync of ${revision.slice(0, 12)} failed: ${result.message}`,
        );
        log.warn({ revision, message: result.message }, 'sync failed');
        const retry = retryDelayMs(op.retryCount ?? 0, spec.syncPolicy?.retry?.backoff);
        retryAfterMs = Math.min(retryAfterMs ?? Infinity, retry);
      }
    };

    let operating: { manual: boolean; retryCount: number; resume?: OperationState } | undefined;
    const running = status.operationState;
    if (decision.action === 'end' && running) {
      await finish(
        { phase: 'Failed', message: decision.message, changes: changesOf(running) },
        running,
        running.revision ?? sha,
      );
    } else if (decision.action === 'continue' && running) {
      operating = {
        manual: running.syncRequest !== undefined,
        retryCount: running.retryCount ?? 0,
        resume: running,
      };
    } else if (decision.action === 'start') {
      if (decision.cancel && running)
        await finish(
          { phase: 'Failed', message: decision.cancel, changes: changesOf(running) },
          running,
          running.revision ?? sha,
        );
      operating = { manual: decision.manual, retryCount: decision.retryCount };
    }

    // Sync windows: a new operation the project's windows forbid now waits (automated) or is
    // refused (manual) with a condition naming the window and when it changes. A running one is
    // stopped when a window closes on it, unless every window that now forbids it has syncOverrun
    // (Argo CD's rule, governance/windows.ts runningSyncGate).
    let gate: SyncGate = { allowed: true };
    const windowTarget = {
      application: name,
      cluster: spec.destination.name ?? 'in-cluster',
      // Argo CD's windows may list clusters by API URL: the resolved one.
      ...(spec.destination.server ? { server: spec.destination.server } : {}),
      namespace: defaultNamespace,
    };
    if (operating?.resume) {
      const resume = operating.resume;
      let verdict: SyncGate;
      try {
        verdict = runningSyncGate(
          governance.project,
          windowTarget,
          new Date(),
          operating.manual,
          new Date(resume.startedAt),
        );
      } catch (e) {
        return failed('ProjectViolation', e, seen);
      }
      if (!verdict.allowed) {
        operating = undefined;
        const message = `sync stopped: ${verdict.reason ?? 'sync window closed'}`;
        await finish(
          { phase: 'Failed', message, changes: changesOf(resume) },
          resume,
          resume.revision ?? sha,
        );
        status.conditions = setCondition(
          status.conditions,
          { type: 'SyncWindowBlocked', status: 'True', reason: 'SyncWindowBlocked', message },
          now,
        );
      }
    } else if (operating) {
      try {
        gate = syncGate(governance.project, windowTarget, new Date(), operating.manual);
      } catch (e) {
        return failed('ProjectViolation', e, seen);
      }
      if (!gate.allowed) {
        const manual = operating.manual;
        operating = undefined;
        const message = `${manual ? 'manual' : 'automated'} sync blocked: ${gate.reason ?? 'sync window'}`;
        status.conditions = setCondition(
          status.conditions,
          { type: 'SyncWindowBlocked', status: 'True', reason: 'SyncWindowBlocked', message },
          now,
        );
        // A refused manual request is answered, not queued: it must not fire hours later. Someone
        // asked for it, so the refusal is part of the audit trail (nothing was applied).
        if (manual) {
          status.handledSyncRequest = requested;
          const at = new Date();
          await recordSafely(
            this.#o.audit,
            () =>
              auditRecordOf({
                app,
                revision: sha,
                manual: true,
                startedAt: at,
                finishedAt: at,
                result: { phase: 'Failed', message: `refused: ${message}`, changes: [] },
                manifests,
                ...(this.#o.hubKey ? { hubKey: this.#o.hubKey } : {}),
              }),
            (e) => log.error({ err: e instanceof Error ? e.message : String(e) }, 'audit record failed'),
          );
        }
      } else status.conditions = removeCondition(status.conditions, 'SyncWindowBlocked');
    } else if (!operating) status.conditions = removeCondition(status.conditions, 'SyncWindowBlocked');

    if (operating) {
      const opts = new Set(spec.syncPolicy?.syncOptions ?? []);
      const op: OperationState = operating.resume ?? {
        ...runningOperation(sha, new Date().toISOString(), operating.retryCount),
        ...(operating.manual && requested !== undefined ? { syncRequest: requested } : {}),
      };
      let step: SyncStepResult;
      try {
        step = await syncNext(
          {
            owner,
            manifests,
            defaultNamespace,
            prune: operating.manual ? true : !!auto?.prune,
            allowEmpty: !!auto?.allowEmpty,
            createNamespace: opts.has('CreateNamespace=true'),
            ...(spec.syncPolicy?.managedNamespaceMetadata
              ? { namespaceMetadata: spec.syncPolicy.managedNamespaceMetadata }
              : {}),
            forceConflicts: opts.has('ForceConflicts=true') || opts.has('ServerSideApply=force'),
            ...prunePropagation(opts),
            respectIgnoreDifferences: opts.has('RespectIgnoreDifferences=true'),
            replace: opts.has('Replace=true'),
            ignore,
            // spec.timeout: the app's own bound on waiting for health (the CRD checks its grammar).
            healthTimeoutMs: spec.timeout ? parseDuration(spec.timeout) : this.#o.healthTimeoutMs,
            health,
          },
          {
            client: destAs,
            inventory,
            memo: this.#memo(dest, governance.impersonate),
            prepared: cmp.prepared,
            // The comparison's dry-run is the apply's unless live values are merged in first.
            ...(opts.has('RespectIgnoreDifferences=true') ? {} : { compared: cmp.objects }),
          },
          operating.resume
            ? { progress: progressOf(operating.resume), changes: changesOf(operating.resume) }
            : {},
        );
      } catch (e) {
        step = {
          phase: 'Failed',
          message: e instanceof Error ? e.message : String(e),
          changes: [],
          inventory: [],
          progress: { step: 0 },
          applied: new Map(),
          pruned: new Set(),
          steps: 0,
          syncPhase: 'Sync',
          awaited: [],
        };
      }
      // The state after the step is the comparison: nothing is compared a second time.
      cmp = afterSync(cmp, step, health);
      if (step.inventory.length) this.#watch(dest).ensure(step.inventory);
      else this.#watch(dest).ensure(await inventory.load(owner));
      // An awaited step (hooks included, which no inventory lists) is woken by its objects' events.
      if (step.phase === 'Running') {
        this.#watch(dest).ensure(manifests.map((m) => entryOf(m.object)));
        // The awaited step's kinds are held in full while it waits: its wake-ups read nothing
        // (owned-watch.ts); released below once the operation no longer runs.
        this.#watch(dest).ensure(step.awaited, { full: true, owner });
      }
      if (step.phase === 'Running') {
        status.operationState = {
          ...op,
          message: step.message,
          syncPhase: step.syncPhase,
          resources: step.changes.map(toOperationResource),
          step: stepOf(step),
        };
      } else
        await finish(
          { phase: step.phase, message: step.message, changes: step.changes, syncPhase: step.syncPhase },
          op,
          sha,
        );
    } else {
      // No operation ran: the inventory is the one the comparison planned with (read once).
      this.#watch(dest).ensure(cmp.prepared.previous);
    }
    // No operation of this app waits any more: the kinds only it awaited go back to metadata only.
    if (status.operationState?.phase !== 'Running') this.#watch(dest).release(owner);
    // Healed (a sync, or a hand edit undone), or Git moved on: what drifted is no longer drift.
    if (cmp.status === 'Synced' || (status.sync?.revision !== undefined && status.sync.revision !== sha))
      status.conditions = removeCondition(status.conditions, 'DriftDetected');
    if (cmp.health.status === 'Degraded' && status.health?.status !== 'Degraded') {
      notify('HealthDegraded', cmp.health.message ?? 'an object is Degraded');
    }
    if (cmp.status === 'OutOfSync' && status.sync?.status === 'Synced') {
      const drifted = cmp.resources
        .filter((r) => r.status === 'OutOfSync')
        .map((r) => formatObjectRef(r.ref));
      await recordEvent(
        client,
        app,
        'Normal',
        'OutOfSync',
        `out of sync: ${drifted.slice(0, 5).join(', ')}${drifted.length > 5 ? ` and ${drifted.length - 5} more` : ''}`,
      );
    }
    return {
      kind: 'reconciled',
      cmp,
      revision: sha,
      watched: p.watched,
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
      ...(gate.retryAt ? { windowChangesAt: gate.retryAt } : {}),
    };
  }

  /**
   * Report stage, the only writer of status: the outcome of the stages becomes conditions, sync
   * and health, the status is written once, metrics follow it, and the next look is scheduled.
   */
  async #report(
    app: Application,
    status: ApplicationStatus,
    outcome: Outcome,
    now: string,
    asked: boolean,
  ): Promise<void> {
    const key = keyOf(app);
    const namespace = app.metadata.namespace ?? '';
    const name = app.metadata.name;
    if (outcome.kind === 'quiet') {
      // Nothing to write: the status stands as the last full look wrote it.
      const next = nextLookMs({
        op: undefined,
        health: 'Healthy',
        watched: true,
        now: Date.now(),
        healthTimeoutMs: this.#o.healthTimeoutMs,
        pollIntervalMs: this.#o.pollIntervalMs,
        random: Math.random(),
      });
      this.#queue.addAfter(key, next, { periodic: true });
      return;
    }
    this.#quiet.delete(key);
    if (outcome.kind === 'waiting') {
      await this.#writeStatus(app, status);
      this.#queue.addAfter(key, outcome.requeueMs);
      return;
    }
    if (outcome.kind === 'failed') return this.#reportFailure(app, status, outcome, now);
    const { cmp, revision } = outcome;
    status.sync = { status: cmp.status, revision, ...revisionsOf(app, revision) };
    status.health = {
      status: cmp.health.status,
      ...(cmp.health.message ? { message: cmp.health.message } : {}),
    };
    status.resources = cmp.resources.map(toResourceStatus);
    status.reconciledAt = new Date().toISOString();
    status.conditions = removeCondition(status.conditions, 'SyncError');
    // A poll that found everything as it was writes nothing (reconciledAt moves every 10 minutes).
    await this.#writeStatus(app, status, !asked);
    this.#o.metrics?.appState(namespace, name, cmp.status, cmp.health.status, appLabelsOf(app));
    const running = status.operationState?.phase === 'Running';
    this.#continuing.keepIf(key, running);
    // A failed operation is retried after its backoff (the queue keeps the earliest due time).
    if (outcome.retryAfterMs !== undefined) this.#queue.addAfter(key, outcome.retryAfterMs);
    // A running operation, and a Progressing app, are woken by their objects' watch events (no
    // worker waits on health); this is the fallback, backing off (continuation.ts nextLookMs).
    const timeout = app.spec.timeout ? parseDuration(app.spec.timeout) : this.#o.healthTimeoutMs;
    const nowMs = Date.now();
    if (running || cmp.health.status !== 'Progressing') this.#progressingSince.delete(key);
    else if (!this.#progressingSince.has(key)) this.#progressingSince.set(key, nowMs);
    if (running || cmp.health.status === 'Progressing') this.#settling.add(key);
    else this.#settling.delete(key);
    if (running) this.#operating.add(key);
    else this.#operating.delete(key);
    const since = this.#progressingSince.get(key);
    const next = nextLookMs({
      op: status.operationState,
      health: cmp.health.status,
      ...(since !== undefined ? { progressingSince: since } : {}),
      watched: outcome.watched,
      now: nowMs,
      healthTimeoutMs: timeout,
      pollIntervalMs: this.#o.pollIntervalMs,
      random: Math.random(),
    });
    if (
      quietEligible(app) &&
      endedQuiet({
        sync: cmp.status,
        health: cmp.health.status,
        operationPhase: status.operationState?.phase,
        conditions: status.conditions?.length ?? 0,
        retrying: outcome.retryAfterMs !== undefined,
        waitingForWindow: outcome.windowChangesAt !== undefined,
        watched: outcome.watched,
      })
    )
      this.#quiet.set(key, { fingerprint: appFingerprint(app), sha: revision, fullAt: Date.now() });
    this.#queue.addAfter(key, next, { periodic: true });
    // A blocked sync is retried the moment its window changes (the queue keeps the earliest).
    if (outcome.windowChangesAt)
      this.#queue.addAfter(
        key,
        Math.min(next, Math.max(1000, outcome.windowChangesAt.getTime() - Date.now())),
      );
  }

  /** A stage failed: its condition, Unknown sync, the event and a backoff that respects the destination. */
  async #reportFailure(
    app: Application,
    status: ApplicationStatus,
    f: StageFailure,
    now: string,
  ): Promise<void> {
    const { type, error: e, seen } = f;
    const raw = e instanceof Error ? e.message : String(e);
    const message = seen.secrets ? seen.secrets.mask(raw) : raw;
    status.conditions = setCondition(status.conditions, { type, status: 'True', reason: type, message }, now);
    this.#o.metrics?.stageFailed(app, type);
    // Nothing was compared with Git as of now: the last Synced (an older revision, or a cluster
    // that no longer answers) must not stand as if it were current.
    status.sync = syncStatusAfterFailure(seen.revision);
    status.health = healthAfterFailure(type, status.health, message);
    status.reconciledAt = now;
    await this.#writeStatus(app, status);
    appStateAfterFailure(this.#o.metrics, app, status);
    await recordEvent(this.#o.client, app, 'Warning', type, message);
    this.#o.log.warn({ app: keyOf(app), condition: type, message }, 'reconcile stage failed');
    const transient = e instanceof GitfleetError ? e.transient : true;
    // A destination that did not answer backs off (all its apps with it) instead of being retried hot.
    const cluster = app.spec.destination.name;
    this.#clusters.reportFailure(cluster, e);
    const backoff = this.#clusters.retryAfterMs(cluster);
    this.#queue.addAfter(keyOf(app), transient ? Math.max(10_000, backoff) : this.#o.pollIntervalMs);
  }

  #prepareDeps(): PrepareDeps {
    return {
      client: this.#o.client,
      controllerNamespace: this.#o.controllerNamespace,
      sources: this.#o.sources,
      renderCache: this.#renderCache,
      credentialReads: this.#credentialReads,
      ...(this.#o.renderOptions ? { renderOptions: this.#o.renderOptions } : {}),
      ...(this.#o.metrics ? { metrics: this.#o.metrics } : {}),
    };
  }

  /** The destination client acting as the project's ServiceAccount for this app, if it names one. */
  async #actingAs(app: Application, dest: KubeClient): Promise<KubeClient> {
    const project = await loadProject(
      this.#o.client,
      this.#o.controllerNamespace,
      app.spec.project ?? 'default',
    );
    if (!project) return dest;
    const user = impersonatedUser(
      project,
      app.spec.destination.name ?? 'in-cluster',
      app.spec.destination.namespace ?? app.metadata.namespace ?? '',
      app.spec.destination.server,
    );
    return user ? dest.impersonating(user) : dest;
  }

  async #finalize(app: Application): Promise<void> {
    // gitfleet's cascade finalizer or Argo CD's (any propagation variant): same deletion.
    if (!((app.metadata.finalizers ?? []) as string[]).some(isCascadeFinalizer)) return;
    const owner = keyOf(app);
    let target: ResolvedDestination;
    try {
      target = await this.#clusters.destination(app.spec.destination ?? {});
    } catch (e) {
      // A destination that never resolved never had anything applied through it: nothing to
      // delete, so the deletion completes instead of waiting for a cluster that does not exist.
      const neverApplied = !app.status?.operationState && !app.status?.history?.length;
      if (!(e instanceof InvalidDestinationError && neverApplied)) throw e;
      await this.#dropCascadeFinalizers(app);
      return;
    }
    resolveDestinationInPlace(app, target);
    const dest = await this.#clusters.resolve(target.name);
    const store = new InventoryStore(dest, this.#inventoryCache(dest));
    // The hub's own objects are never deleted by an app, even one whose inventory lists them.
    const hubNs = hubNamespaces(this.#o.controllerNamespace);
    const entries = (await store.load(owner)).filter((e) => {
      const refused = protectedViolations([e], hubNs);
      if (refused.length) this.#o.log.warn({ app: owner, refused }, 'not deleting a protected object');
      return !refused.length;
    });
    const r = await pruneStale(await this.#actingAs(app, dest), entries, {
      owner,
      enabled: true,
      dryRun: false,
    });
    if (r.kept.length)
      throw new GitfleetError('finalize.PruneFailed', `could not delete ${r.kept.length} owned object(s)`, {
        transient: true,
      });
    await store.remove(owner);
    for (const memo of this.#memos.get(dest)?.values() ?? []) memo.forgetOwner(owner);
    await this.#dropCascadeFinalizers(app);
    this.#o.log.info(
      { app: owner, deleted: r.changes.filter((c) => c.action === 'deleted').length },
      'application deleted with its resources',
    );
  }

  /** Removes every cascade finalizer (gitfleet's and Argo CD's), keeping any other. */
  async #dropCascadeFinalizers(app: Application): Promise<void> {
    const finalizers = ((app.metadata.finalizers ?? []) as string[]).filter((f) => !isCascadeFinalizer(f));
    await this.#o.client.request({
      method: 'PATCH',
      path: applicationPath(app.metadata.namespace ?? '', app.metadata.name),
      body: { metadata: { finalizers, resourceVersion: app.metadata.resourceVersion } },
      contentType: 'application/merge-patch+json',
    });
  }

  async #writeStatus(app: Application, status: ApplicationStatus, unlessUnchanged = false): Promise<void> {
    // Bounded: a status over etcd's request limit would be refused, history and all.
    const bounded = boundStatus(status);
    if (unlessUnchanged && onlyReconciledAtMoved(app.status, bounded, Date.now())) return;
    const answer = await this.#o.client.replaceStatus<Application | undefined>(
      applicationPath(app.metadata.namespace ?? '', app.metadata.name),
      bounded,
    );
    const rv = answer?.metadata?.resourceVersion;
    if (rv) this.#written.set(keyOf(app), rv);
    else this.#written.delete(keyOf(app));
  }

  #memo(dest: KubeClient, identity: string | undefined): CompareMemo {
    let byIdentity = this.#memos.get(dest);
    if (!byIdentity) this.#memos.set(dest, (byIdentity = new Map()));
    let m = byIdentity.get(identity ?? '');
    if (!m) byIdentity.set(identity ?? '', (m = new CompareMemo()));
    return m;
  }

  #healthChecksWatch(destAs: KubeClient): HealthChecksWatch {
    let w = this.#healthChecks.get(destAs);
    if (!w) {
      w = new HealthChecksWatch(destAs, (owner) => this.#wake(owner));
      this.#healthChecks.set(destAs, w);
    }
    return w;
  }

  #inventoryCache(dest: KubeClient): InventoryCache {
    let c = this.#inventories.get(dest);
    if (!c) this.#inventories.set(dest, (c = new InventoryCache(dest)));
    return c;
  }

  #watch(dest: KubeClient): OwnedObjectsWatch {
    let w = this.#watches.get(dest);
    if (!w) {
      w = new OwnedObjectsWatch(dest, (owner, change) => this.#wake(owner, change));
      this.#watches.set(dest, w);
    }
    return w;
  }
}

/** A stage that stopped the reconcile: the condition it sets and what it knew by then (plain data). */
interface StageFailure {
  kind: 'failed';
  type: ConditionType;
  error: unknown;
  /** The revision the source resolved and the render's Secret values, once known. */
  seen: { revision?: string; secrets?: SecretMask };
}

/** A dependency is not Healthy yet: the status says so and the app is looked at again soon. */
interface Waiting {
  kind: 'waiting';
  requeueMs: number;
}

/** A poll found the app as its last full look left it (continuation.ts QuietRecord): nothing to do. */
interface Quiet {
  kind: 'quiet';
}

type Stopped = StageFailure | Waiting | Quiet;

/** What the prepare stage found: the revision, its objects, where and as whom, and the comparison. */
interface Prepared {
  kind: 'prepared';
  sha: string;
  /** An earlier revision whose render read the same Git objects (continuation.ts rebaseOperation). */
  rendersAs?: string;
  manifests: Manifest[];
  secrets: SecretMask;
  dest: KubeClient;
  /** The destination as the project's identity, if it names one. */
  destAs: KubeClient;
  inventory: InventoryStore;
  governance: GovernanceVerdict;
  ignore: IgnoreDifference[];
  defaultNamespace: string;
  health: { overrides: Awaited<ReturnType<HealthConfig['overrides']>> };
  cmp: Comparison;
  /** Whether a watch covers every `spec.healthChecks` object (their change wakes the app). */
  watched: boolean;
}

/** The reconcile ran to its end: the comparison after any sync step and what the requeue respects. */
interface Reconciled {
  kind: 'reconciled';
  cmp: Comparison;
  revision: string;
  /** Whether every change that can end a Progressing health wakes the app (see Prepared). */
  watched: boolean;
  /** An operation ended Failed now: its retry backoff. */
  retryAfterMs?: number;
  /** A new operation waits for a sync window: when the window changes. */
  windowChangesAt?: Date;
}

type Outcome = Stopped | Reconciled;

function failed(type: ConditionType, error: unknown, seen: StageFailure['seen'] = {}): StageFailure {
  return { kind: 'failed', type, error, seen };
}

/**
 * Makes the Application (this reconcile's copy, never written back) name its resolved cluster:
 * `name` is the registered Cluster, `server` its API URL when known.
 */
function resolveDestinationInPlace(app: Application, to: ResolvedDestination): void {
  const { server: _asked, ...rest } = app.spec.destination ?? {};
  app.spec = {
    ...app.spec,
    destination: { ...rest, name: to.name, ...(to.server ? { server: to.server } : {}) },
  };
}

function keyOf(o: KubeObject): Key {
  return `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
}

/** Argo CD's `PrunePropagationPolicy=foreground|background|orphan` (other values are refused earlier). */
function prunePropagation(opts: Set<string>): {
  prunePropagationPolicy?: 'Foreground' | 'Background' | 'Orphan';
} {
  if (opts.has('PrunePropagationPolicy=foreground')) return { prunePropagationPolicy: 'Foreground' };
  if (opts.has('PrunePropagationPolicy=orphan')) return { prunePropagationPolicy: 'Orphan' };
  return {};
}

function toResourceStatus(r: Comparison['resources'][number]): ResourceStatus {
  const slash = r.ref.apiVersion.indexOf('/');
  return {
    group: groupOf(r.ref.apiVersion),
    version: slash < 0 ? r.ref.apiVersion : r.ref.apiVersion.slice(slash + 1),
    kind: r.ref.kind,
    ...(r.ref.namespace ? { namespace: r.ref.namespace } : {}),
    name: r.ref.name,
    status: r.status,
    ...(r.health
      ? { health: { status: r.health.status, ...(r.health.message ? { message: r.health.message } : {}) } }
      : {}),
    ...(r.diff ? { diff: r.diff.length > 4000 ? `${r.diff.slice(0, 3997)}...` : r.diff } : {}),
  };
}

function pushHistory(
  history: HistoryEntry[] | undefined,
  e: Omit<HistoryEntry, 'id'>,
  limit: number,
): HistoryEntry[] {
  const list = history ?? [];
  const id = (list[list.length - 1]?.id ?? -1) + 1;
  return [...list, { id, ...e }].slice(-Math.max(1, limit));
}
