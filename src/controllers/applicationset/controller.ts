import type { Logger } from 'pino';
import {
  API_VERSION,
  CASCADE_FINALIZER,
  destinationClusterName,
  isAutomated,
  isCascadeFinalizer,
  type Application,
  sourceOf,
} from '../../api/application.js';
import {
  APPLICATIONSET_LABEL,
  ROLLOUT_APPROVED_ANNOTATION,
  ROLLOUT_PAUSED_ANNOTATION,
  type ApplicationSet,
} from '../../api/applicationset.js';
import { SELF_MANAGEMENT_ANNOTATION } from '../../governance/self-management.js';
import { GitfleetError } from '../../core/errors.js';
import type { GitSources } from '../../engine/source/index.js';
import type * as FleetEngine from '../../fleet/index.js';
import type {
  FleetPorts,
  GeneratorSpec,
  Params,
  RolloutApp,
  RolloutDecision,
  RolloutState,
} from '../../fleet/index.js';
import type { KubeClient } from '../../kube/client.js';
import { Informer } from '../../kube/informer.js';
import type { KubeObject } from '../../kube/types.js';
import type { ClusterStatusController } from '../cluster/health.js';
import { recordEvent } from '../events.js';
import type { Notifier } from '../notify/notifier.js';
import type { AuditSink } from '../../governance/audit/index.js';
import { WorkQueue } from '../queue.js';
import { setCondition } from '../application/status.js';
import { replaceStatus } from '../status-write.js';
import { sourceCredentials } from '../credentials.js';
import { fleetPorts } from './ports.js';
import { runRolloutGate } from '../delivery/gate.js';
import { finishedGate, reportGate } from '../delivery/gate-report.js';
import type { ControllerMetrics } from '../metrics.js';

let fleetEngine: Promise<typeof FleetEngine> | undefined;
/**
 * The generators, templates and roll-out planner, loaded when the first ApplicationSet is
 * reconciled: a hub that has none (many run Applications only) does not hold them.
 */
const loadFleetEngine = (): Promise<typeof FleetEngine> => (fleetEngine ??= import('../../fleet/index.js'));

const MANAGER = 'gitfleet-applicationset';

export interface ApplicationSetControllerOptions {
  client: KubeClient;
  namespace?: string;
  sources: GitSources;
  clusters: ClusterStatusController;
  /** Re-generation interval (Git generators); default 3 min. */
  pollIntervalMs?: number;
  log: Logger;
  /** Sends RolloutHalted notifications; none when absent. */
  notifier?: Notifier;
  /** Where finished roll-out gate analyses are recorded; none when absent. */
  audit?: AuditSink;
  /** Reports roll-out phases (gitfleet_appset_rollout_halted); none when absent. */
  metrics?: ControllerMetrics;
  /** Replaces the real ports (tests of pure behaviour only). */
  ports?: (namespace: string) => FleetPorts;
}

/**
 * Turns ApplicationSets into Applications: generate parameter sets, render the template once
 * per set, then create, update or delete Applications as the policy allows. Any generator or
 * template error changes nothing and is reported on the ApplicationSet.
 */
export class ApplicationSetController {
  readonly #o: ApplicationSetControllerOptions;
  readonly #queue: WorkQueue;
  #informer: Informer | undefined;

  constructor(opts: ApplicationSetControllerOptions) {
    this.#o = opts;
    this.#queue = new WorkQueue({
      concurrency: 2,
      handler: (k) => this.#reconcile(k),
      onError: (k, e) => {
        opts.log.error(
          { applicationset: k, err: e instanceof Error ? e.message : String(e) },
          'applicationset reconcile failed',
        );
        this.#queue.addAfter(k, 5000);
      },
    });
  }

  start(): void {
    this.#informer = new Informer(this.#o.client, {
      apiVersion: API_VERSION,
      kind: 'ApplicationSet',
      namespace: this.#o.namespace,
    });
    this.#informer.on('event', (ev) => {
      if (ev.type === 'added' || ev.type === 'modified') this.#queue.add(key(ev.object));
    });
    this.#informer.start();
    // A cluster added, removed or relabelled changes what cluster generators produce.
    this.#o.clusters.onChange(() => this.refreshAll());
  }

  stop(): void {
    this.#informer?.stop();
    this.#queue.stop();
  }

  refreshAll(): void {
    for (const s of this.#informer?.list() ?? []) this.#queue.add(key(s));
  }

  idle(): Promise<void> {
    return this.#queue.idle();
  }

  async #reconcile(k: string): Promise<void> {
    const [namespace = '', name = ''] = k.split('/');
    const set = await this.#o.client.getOrUndefined<ApplicationSet>({
      apiVersion: API_VERSION,
      kind: 'ApplicationSet',
      namespace,
      name,
    });
    if (!set) return;
    if (set.metadata.deletionTimestamp) {
      await this.#finalizeSet(set, k);
      return;
    }
    try {
      await this.#reconcileSet(set, k);
    } catch (e) {
      // Whatever failed (an Application the API server refused, a lost connection), the
      // ApplicationSet says so in its status and in an Event, not only in this log.
      const message = `ApplicationSet ${k}: ${e instanceof Error ? e.message : String(e)}`;
      await this.#failed(set, 'ErrorOccurred', message, 'apply').catch(() => undefined);
      throw e;
    }
  }

  async #reconcileSet(set: ApplicationSet, k: string): Promise<void> {
    const { client } = this.#o;
    const namespace = set.metadata.namespace ?? '';
    const name = set.metadata.name;
    const policy = set.spec.syncPolicy?.applicationsSync ?? 'sync';
    const goTemplate = !!set.spec.goTemplate;
    const goTemplateOptions = set.spec.goTemplateOptions ?? [];
    const poll = Math.min(this.#o.pollIntervalMs ?? 180_000, requeueAfterMs(set) ?? Infinity);

    const {
      applicationSetProblems,
      applyTemplatePatch,
      generate,
      generatorTemplate,
      ignoreDifferences,
      mergeTemplate,
      preserveFields,
      renderTemplate,
      TemplateError,
      withJqPointers,
      withoutTemplate,
    } = await loadFleetEngine();
    // 0. Every field is honoured or refused by name: refuse before generating anything.
    const problems = applicationSetProblems(set.spec);
    // deletionOrder Reverse needs the set to outlive its Applications while they are deleted step
    // by step: a cascade finalizer keeps it until #finalizeSet has removed them.
    if (
      !problems.length &&
      set.spec.strategy?.deletionOrder === 'Reverse' &&
      !(set.metadata.finalizers ?? []).some((f) => isCascadeFinalizer(f))
    ) {
      await client.request({
        method: 'PATCH',
        path: `/apis/${API_VERSION}/namespaces/${namespace}/applicationsets/${name}`,
        body: {
          metadata: {
            finalizers: [...(set.metadata.finalizers ?? []), CASCADE_FINALIZER],
            resourceVersion: set.metadata.resourceVersion,
          },
        },
        contentType: 'application/merge-patch+json',
      });
    }
    if (problems.length) {
      const reason = problems.some((p) => p.reason === 'UnsupportedField')
        ? 'UnsupportedField'
        : 'InvalidSpec';
      const message = `ApplicationSet ${k}: ${problems.map((p) => `${p.field}: ${p.message}`).join('; ')}`;
      await this.#failed(set, reason, message, 'spec');
      this.#queue.addAfter(k, poll);
      return;
    }

    const ports =
      this.#o.ports?.(namespace) ??
      fleetPorts({
        mgmt: client,
        namespace,
        sources: this.#o.sources,
        clusters: () => this.#o.clusters.list(),
      });

    // 1. Generate and render everything before touching anything.
    const desired: Application[] = [];
    const params: Params[][] = [];
    for (const [i, g] of set.spec.generators.entries()) {
      try {
        params.push(
          await generate(withoutTemplate(g) as GeneratorSpec, ports, {
            goTemplate,
            path: `generators[${i}]`,
          }),
        );
      } catch (e) {
        await this.#failed(
          set,
          'ApplicationParamsGenerationError',
          where(e, `ApplicationSet ${k}: spec`),
          'params',
        );
        this.#queue.addAfter(k, poll);
        return;
      }
    }
    try {
      for (const [i, g] of set.spec.generators.entries()) {
        const template = mergeTemplate(set.spec.template, generatorTemplate(g));
        const base = generatorTemplate(g) === undefined ? 'spec.template' : `spec.generators[${i}] template`;
        for (const p of params[i] ?? []) {
          let rendered: ApplicationSet['spec']['template'];
          try {
            rendered = renderTemplate(template, p, { goTemplate, goTemplateOptions });
            if (set.spec.templatePatch)
              rendered = applyTemplatePatch(rendered, set.spec.templatePatch, p, goTemplateOptions);
          } catch (e) {
            throw prefix(
              e,
              // Errors of templatePatch and goTemplateOptions already name their spec field.
              e instanceof TemplateError && /^spec\.(templatePatch|goTemplateOptions)/.test(e.fieldPath)
                ? `ApplicationSet ${k}`
                : `ApplicationSet ${k}: ${base}`,
            );
          }
          // Applications are created only in the ApplicationSet's own namespace: another one
          // would let a tenant write Applications where its Project does not reach.
          const wantNs = rendered.metadata.namespace;
          if (wantNs && wantNs !== namespace)
            throw new GitfleetError(
              'applicationset.Namespace',
              `ApplicationSet ${k}: ${base}.metadata.namespace: "${wantNs}" is not allowed; generated Applications live in the ApplicationSet's namespace "${namespace}"`,
            );
          // gitfleet's own installation (the self-management exemption) is only ever claimed by
          // the ApplicationSet's author: the annotation must be written literally in the template,
          // never produced by a parameter (a Git file or cluster label a tenant controls).
          if (
            rendered.metadata.annotations?.[SELF_MANAGEMENT_ANNOTATION] !== undefined &&
            template.metadata.annotations?.[SELF_MANAGEMENT_ANNOTATION] !== 'true'
          )
            throw new GitfleetError(
              'applicationset.SelfManagement',
              `ApplicationSet ${k}: ${base}.metadata.annotations["${SELF_MANAGEMENT_ANNOTATION}"]: may only be written literally as "true" in the template, not produced by parameters or templatePatch`,
            );
          desired.push(this.#toApplication(set, rendered));
        }
      }
      const seen = new Set<string>();
      for (const a of desired) {
        if (seen.has(a.metadata.name))
          throw new GitfleetError(
            'applicationset.DuplicateName',
            `ApplicationSet ${k}: two parameter sets produce the Application name "${a.metadata.name}"`,
          );
        seen.add(a.metadata.name);
      }
    } catch (e) {
      await this.#failed(
        set,
        'RenderTemplateParamsError',
        e instanceof Error ? e.message : String(e),
        'render',
      );
      this.#queue.addAfter(k, poll);
      return;
    }

    // 2. Reconcile Applications against what was generated.
    const existing = new Map<string, Application>();
    for (const a of (await client.list<Application>(API_VERSION, 'Application', { namespace })).items)
      existing.set(a.metadata.name, a);
    for (const [i, app] of desired.entries()) {
      const cur = existing.get(app.metadata.name);
      if (!cur || !ownedBy(cur, set)) continue;
      try {
        const preserved = preserveFields(app, cur, set.spec.preservedFields);
        desired[i] = ignoreDifferences(
          preserved,
          cur,
          await withJqPointers(set.spec.ignoreApplicationDifferences, preserved, cur),
        );
      } catch (e) {
        await this.#failed(set, 'ApplicationValidationError', where(e, `ApplicationSet ${k}`), 'render');
        this.#queue.addAfter(k, poll);
        return;
      }
    }
    let rollout: RolloutState | undefined;
    let stepOfApp: Map<string, number> | undefined;
    let recheckMs = poll;
    if (set.spec.strategy?.type === 'RollingSync' && desired.length > 0) {
      // Argo CD turns autosync off under RollingSync and syncs each step's Applications itself
      // (prune only where the template's automated asks for it); here a step moves by pinning the
      // revision and the Application syncs it, so one without `automated` gets an empty one.
      for (const a of desired)
        if (!isAutomated(a.spec.syncPolicy)) a.spec.syncPolicy = { ...a.spec.syncPolicy, automated: {} };
      try {
        const decision = await this.#planRollout(set, desired, existing);
        rollout = decision.state;
        stepOfApp = decision.stepOfApp;
        for (const app of desired) {
          const pin = decision.pins.get(app.metadata.name);
          if (pin) sourceOf(app.spec).targetRevision = pin;
        }
        if (decision.recheckMs !== undefined) recheckMs = Math.min(recheckMs, decision.recheckMs);
      } catch (e) {
        await this.#failed(set, 'RolloutError', where(e, `ApplicationSet ${k}: roll-out`), 'rollout');
        this.#queue.addAfter(k, 10_000);
        return;
      }
    }
    const errors: string[] = [];
    const created: string[] = [];
    for (const app of desired) {
      const cur = existing.get(app.metadata.name);
      if (cur && !ownedBy(cur, set)) {
        errors.push(
          `Application ${namespace}/${app.metadata.name} already exists and is not owned by this ApplicationSet; not overwritten`,
        );
        continue;
      }
      if (cur && (policy === 'create-only' || policy === 'create-delete')) continue;
      try {
        await client.apply(app, { fieldManager: MANAGER, force: true });
      } catch (e) {
        throw prefix(e, `${cur ? 'updating' : 'creating'} Application ${namespace}/${app.metadata.name}`);
      }
      if (!cur) created.push(app.metadata.name);
    }
    if (policy === 'sync' || policy === 'create-delete') {
      const keep = new Set(desired.map((a) => a.metadata.name));
      const stale = [...existing.values()].filter((a) => ownedBy(a, set) && !keep.has(a.metadata.name));
      const waiting = await this.#deleteApplications(set, stale);
      if (waiting) recheckMs = Math.min(recheckMs, 2000);
    }
    const listed = desired.map((a) => ({
      name: a.metadata.name,
      ...(rollout ? { revision: sourceOf(a.spec).targetRevision } : {}),
      ...(stepOfApp?.has(a.metadata.name) ? { step: stepOfApp.get(a.metadata.name) } : {}),
    }));
    if (errors.length) {
      await this.#failed(set, 'ApplicationNameCollision', errors.join('; '), 'apply', listed, rollout);
    } else {
      const now = new Date().toISOString();
      let conditions = set.status?.conditions;
      const upToDate = `${desired.length} Application(s) generated and up to date`;
      conditions = setCondition(
        conditions,
        { type: 'ErrorOccurred', status: 'False', reason: 'ApplicationSetUpToDate', message: upToDate },
        now,
      );
      conditions = setCondition(
        conditions,
        {
          type: 'ParametersGenerated',
          status: 'True',
          reason: 'ParametersGenerated',
          message: 'parameters generated for every generator',
        },
        now,
      );
      conditions = setCondition(
        conditions,
        { type: 'ResourcesUpToDate', status: 'True', reason: 'ApplicationSetUpToDate', message: upToDate },
        now,
      );
      if (rollout)
        conditions = setCondition(
          conditions,
          {
            type: 'RolloutProgressing',
            status: rollout.phase === 'Completed' ? 'False' : 'True',
            reason:
              rollout.phase === 'Completed' ? 'ApplicationSetRolloutComplete' : `Rollout${rollout.phase}`,
            message: rollout.message,
          },
          now,
        );
      await this.#status(set, conditions, listed, rollout);
    }
    if (created.length)
      await recordEvent(client, set, 'Normal', 'ApplicationsCreated', `created ${created.join(', ')}`);
    this.#o.metrics?.rolloutPhase(namespace, name, rollout?.phase);
    // A gate's analysis run that finished in this reconcile: AnalysisFailed and the audit entry, once.
    const gateDone = finishedGate(set.status?.rollout, rollout);
    if (gateDone)
      await reportGate(
        {
          client,
          ...(this.#o.notifier ? { notifier: this.#o.notifier } : {}),
          ...(this.#o.audit ? { audit: this.#o.audit } : {}),
          warn: (m) => this.#o.log.warn({ applicationset: k }, m),
        },
        set,
        gateDone,
      );
    if (rollout?.phase === 'Halted' && set.status?.rollout?.phase !== 'Halted') {
      this.#o.notifier?.notify({
        trigger: 'RolloutHalted',
        namespace,
        app: name,
        labels: set.metadata.labels ?? {},
        message: rollout.message,
        revision: rollout.revision,
      });
    }
    if (rollout?.phase === 'WaitingApproval' && set.status?.rollout?.phase !== 'WaitingApproval') {
      this.#o.notifier?.notify({
        trigger: 'ApprovalWaiting',
        kind: 'ApplicationSet',
        namespace,
        app: name,
        labels: set.metadata.labels ?? {},
        message: rollout.message,
        revision: rollout.revision,
      });
    }
    if (rollout && set.status?.rollout?.phase !== rollout.phase) {
      await recordEvent(
        client,
        set,
        rollout.phase === 'Halted' ? 'Warning' : 'Normal',
        `Rollout${rollout.phase}`,
        rollout.message,
      );
    }
    this.#queue.addAfter(k, recheckMs);
  }

  /**
   * Reports a failure Argo CD's way: `ErrorOccurred=True` with the reason, `ParametersGenerated`
   * and `ResourcesUpToDate` as far as the reconcile got, and a Warning Event when the message is
   * new (so a failure retried every poll does not flood the namespace with Events). Nothing else
   * changes: the Applications stay as they were.
   */
  async #failed(
    set: ApplicationSet,
    reason: string,
    message: string,
    stage: 'spec' | 'params' | 'render' | 'rollout' | 'apply',
    applications = set.status?.applications ?? [],
    rollout?: RolloutState,
  ): Promise<void> {
    const now = new Date().toISOString();
    const prev = set.status?.conditions?.find((c) => c.type === 'ErrorOccurred');
    let conditions = setCondition(
      set.status?.conditions,
      { type: 'ErrorOccurred', status: 'True', reason, message },
      now,
    );
    conditions = setCondition(
      conditions,
      stage === 'spec' || stage === 'params'
        ? { type: 'ParametersGenerated', status: 'False', reason, message }
        : {
            type: 'ParametersGenerated',
            status: 'True',
            reason: 'ParametersGenerated',
            message: 'parameters generated for every generator',
          },
      now,
    );
    conditions = setCondition(
      conditions,
      { type: 'ResourcesUpToDate', status: 'False', reason, message },
      now,
    );
    await this.#status(set, conditions, applications, rollout ?? set.status?.rollout);
    if (prev?.status !== 'True' || prev.message !== message || prev.reason !== reason)
      await recordEvent(this.#o.client, set, 'Warning', reason, message);
  }

  /**
   * Resolves the template's revision to a commit and asks the planner which commit each
   * Application is pinned to: the roll-out moves clusters step by step by pinning.
   */
  async #planRollout(
    set: ApplicationSet,
    desired: Application[],
    existing: Map<string, Application>,
  ): Promise<RolloutDecision> {
    const { planRollout } = await loadFleetEngine();
    const first = desired[0];
    if (!first) throw new Error('no Applications');
    const src = sourceOf(first.spec);
    const ns = set.metadata.namespace ?? '';
    const creds = await sourceCredentials(this.#o.client, ns, src);
    await this.#o.sources.fetch(src.repoURL, creds);
    const latest = (await this.#o.sources.resolve(src.repoURL, src.targetRevision ?? 'HEAD', creds)).sha;
    const registered = this.#o.clusters.list();
    const labels = new Map(registered.map((c) => [c.metadata.name, c.metadata.labels ?? {}]));
    const apps: RolloutApp[] = desired.map((a) => {
      const cur = existing.get(a.metadata.name);
      // `destination.server` (Argo CD's form) names the Cluster with that URL, for its labels.
      const cluster = destinationClusterName(a.spec.destination, registered);
      const degraded = cur?.status?.resources?.find((r) => r.health?.status === 'Degraded');
      return {
        name: a.metadata.name,
        labels: a.metadata.labels ?? {},
        cluster,
        clusterLabels: labels.get(cluster) ?? {},
        ...(cur && sourceOf(cur.spec).targetRevision ? { pinned: sourceOf(cur.spec).targetRevision } : {}),
        ...(cur?.status?.sync?.revision ? { syncedRevision: cur.status.sync.revision } : {}),
        synced: cur?.status?.sync?.status === 'Synced',
        ...(cur?.status?.health?.status ? { health: cur.status.health.status } : {}),
        ...(degraded
          ? {
              degradedResource: `${degraded.kind}/${degraded.namespace ? `${degraded.namespace}/` : ''}${degraded.name}${degraded.health?.message ? `: ${degraded.health.message}` : ''}`,
            }
          : {}),
      };
    });
    const approved = Number(set.metadata.annotations?.[ROLLOUT_APPROVED_ANNOTATION] ?? '-1');
    const input = {
      steps: set.spec.strategy?.rollingSync?.steps ?? [],
      apps,
      latest,
      previous: set.status?.rollout,
      paused: set.metadata.annotations?.[ROLLOUT_PAUSED_ANNOTATION] === 'true',
      approvedStep: Number.isInteger(approved) ? approved : -1,
      now: Date.now(),
    };
    const planned = planRollout(input);
    if (!planned.gateWanted) return planned;
    // A step's analysis gate is due: measure it (src/controllers/delivery/gate.ts), then plan on the result.
    const gate = await runRolloutGate(this.#o.client, set, planned.state, planned.gateWanted);
    return planRollout({ ...input, previous: { ...planned.state, gate } });
  }

  #toApplication(set: ApplicationSet, t: ApplicationSet['spec']['template']): Application {
    let finalizers = t.metadata.finalizers ?? [CASCADE_FINALIZER];
    if (set.spec.syncPolicy?.preserveResourcesOnDeletion)
      finalizers = finalizers.filter((f) => !isCascadeFinalizer(f)); // Argo CD's too
    return {
      apiVersion: API_VERSION,
      kind: 'Application',
      metadata: {
        name: t.metadata.name,
        namespace: set.metadata.namespace,
        labels: { ...t.metadata.labels, [APPLICATIONSET_LABEL]: set.metadata.name },
        ...(t.metadata.annotations ? { annotations: t.metadata.annotations } : {}),
        finalizers,
        ownerReferences: [
          {
            apiVersion: API_VERSION,
            kind: 'ApplicationSet',
            name: set.metadata.name,
            uid: set.metadata.uid,
            controller: true,
            blockOwnerDeletion: true,
          },
        ],
      },
      spec: t.spec,
    };
  }

  /**
   * A deleted ApplicationSet holding a cascade finalizer (gitfleet's or Argo CD's, which
   * `deletionOrder: Reverse` adds): its Applications are deleted here, in reverse step order when
   * asked, and the finalizer is removed once they are all gone. Without the finalizer the
   * apiserver's garbage collector deletes them together (ownerReferences), as before.
   */
  async #finalizeSet(set: ApplicationSet, k: string): Promise<void> {
    const mine = (set.metadata.finalizers ?? []).filter((f) => isCascadeFinalizer(f));
    if (!mine.length) return;
    const namespace = set.metadata.namespace ?? '';
    const owned = (
      await this.#o.client.list<Application>(API_VERSION, 'Application', { namespace })
    ).items.filter((a) => ownedBy(a, set));
    if (owned.length) {
      await this.#deleteApplications(set, owned);
      this.#queue.addAfter(k, 1000);
      return;
    }
    const finalizers = (set.metadata.finalizers ?? []).filter((f) => !isCascadeFinalizer(f));
    await this.#o.client.request({
      method: 'PATCH',
      path: `/apis/${API_VERSION}/namespaces/${namespace}/applicationsets/${set.metadata.name}`,
      body: { metadata: { finalizers, resourceVersion: set.metadata.resourceVersion } },
      contentType: 'application/merge-patch+json',
    });
  }

  /**
   * Deletes Applications the set no longer generates (or all of them when the set is deleted).
   * With `deletionOrder: Reverse`, only the last step still present is deleted, and the step
   * before waits until those Applications are gone (reverseDeletionBatch). Returns whether some
   * remain to delete later (the caller looks again soon).
   */
  async #deleteApplications(set: ApplicationSet, apps: Application[]): Promise<boolean> {
    let targets = apps.filter((a) => !a.metadata.deletionTimestamp);
    let remaining = false;
    if (set.spec.strategy?.deletionOrder === 'Reverse' && apps.length) {
      const { reverseDeletionBatch } = await loadFleetEngine();
      const registered = this.#o.clusters.list();
      const labels = new Map(registered.map((c) => [c.metadata.name, c.metadata.labels ?? {}]));
      const batch = reverseDeletionBatch(
        apps.map((a) => ({
          name: a.metadata.name,
          labels: a.metadata.labels ?? {},
          clusterLabels: labels.get(destinationClusterName(a.spec.destination, registered)) ?? {},
          deleting: !!a.metadata.deletionTimestamp,
        })),
        set.spec.strategy.type === 'RollingSync' ? (set.spec.strategy.rollingSync?.steps ?? []) : [],
      );
      const now = new Set(batch.remove);
      targets = targets.filter((a) => now.has(a.metadata.name));
      remaining = apps.length > batch.remove.length;
    }
    for (const a of targets) {
      if (set.spec.syncPolicy?.preserveResourcesOnDeletion) await this.#dropCascade(a);
      await this.#o.client.delete({
        apiVersion: API_VERSION,
        kind: 'Application',
        namespace: a.metadata.namespace ?? '',
        name: a.metadata.name,
      });
    }
    return remaining;
  }

  async #dropCascade(a: Application): Promise<void> {
    const finalizers = ((a.metadata.finalizers as string[] | undefined) ?? []).filter(
      (f) => !isCascadeFinalizer(f),
    );
    await this.#o.client.request({
      method: 'PATCH',
      path: `/apis/${API_VERSION}/namespaces/${a.metadata.namespace}/applications/${a.metadata.name}`,
      body: { metadata: { finalizers } },
      contentType: 'application/merge-patch+json',
    });
  }

  async #status(
    set: ApplicationSet,
    conditions: NonNullable<ApplicationSet['status']>['conditions'],
    applications: NonNullable<ApplicationSet['status']>['applications'],
    rollout?: RolloutState,
  ): Promise<void> {
    await replaceStatus(
      this.#o.client,
      `/apis/${API_VERSION}/namespaces/${set.metadata.namespace}/applicationsets/${set.metadata.name}`,
      {
        conditions,
        applications,
        observedGeneration: set.metadata.generation,
        ...(rollout ? { rollout } : {}),
      },
    );
  }
}

function key(o: KubeObject): string {
  return `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
}

function ownedBy(app: Application, set: ApplicationSet): boolean {
  const refs = (app.metadata.ownerReferences as { uid?: string; kind?: string }[] | undefined) ?? [];
  return refs.some((r) => r.kind === 'ApplicationSet' && r.uid === set.metadata.uid);
}

/** The error's message prefixed with where it happened. */
function where(e: unknown, at: string): string {
  return `${at}: ${e instanceof Error ? e.message : String(e)}`;
}

/** The shortest `requeueAfterSeconds` a top-level git or pullRequest generator asks for, in ms. */
function requeueAfterMs(set: ApplicationSet): number | undefined {
  const asked = set.spec.generators
    .flatMap((g) => [g.git, g.pullRequest])
    .map((x) =>
      x && typeof x === 'object' ? (x as { requeueAfterSeconds?: unknown }).requeueAfterSeconds : undefined,
    )
    .filter((n): n is number => typeof n === 'number' && n > 0);
  return asked.length ? Math.min(...asked) * 1000 : undefined;
}

function prefix(e: unknown, where: string): Error {
  const msg = e instanceof Error ? e.message : String(e);
  return new GitfleetError(e instanceof GitfleetError ? e.code : 'applicationset.Error', `${where}: ${msg}`, {
    cause: e,
  });
}
