import type { Logger } from 'pino';
import { API_VERSION, CASCADE_FINALIZER, type Application } from '../../api/application.js';
import {
  APPLICATIONSET_LABEL,
  ROLLOUT_APPROVED_ANNOTATION,
  ROLLOUT_PAUSED_ANNOTATION,
  type ApplicationSet,
} from '../../api/applicationset.js';
import { GitfleetError } from '../../core/errors.js';
import type { GitSources } from '../../engine/source/index.js';
import {
  generate,
  planRollout,
  renderTemplate,
  type FleetPorts,
  type GeneratorSpec,
  type RolloutApp,
  type RolloutDecision,
  type RolloutState,
} from '../../fleet/index.js';
import type { KubeClient } from '../../kube/client.js';
import { Informer } from '../../kube/informer.js';
import type { KubeObject } from '../../kube/types.js';
import type { ClusterStatusController } from '../cluster/health.js';
import { recordEvent } from '../events.js';
import type { Notifier } from '../notify/notifier.js';
import { WorkQueue } from '../queue.js';
import { setCondition } from '../application/status.js';
import { replaceStatus } from '../status-write.js';
import { sourceCredentials } from '../credentials.js';
import { fleetPorts } from './ports.js';

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
    const { client } = this.#o;
    const set = await client.getOrUndefined<ApplicationSet>({
      apiVersion: API_VERSION,
      kind: 'ApplicationSet',
      namespace,
      name,
    });
    if (!set || set.metadata.deletionTimestamp) return;
    const now = new Date().toISOString();
    const policy = set.spec.syncPolicy?.applicationsSync ?? 'sync';
    const goTemplate = !!set.spec.goTemplate;
    const ports =
      this.#o.ports?.(namespace) ??
      fleetPorts({
        mgmt: client,
        namespace,
        sources: this.#o.sources,
        clusters: () => this.#o.clusters.list(),
      });

    // 1. Generate and render everything before touching anything.
    let desired: Application[];
    try {
      desired = [];
      for (const [i, g] of set.spec.generators.entries()) {
        const params = await generate(g as GeneratorSpec, ports, { goTemplate }).catch((e: unknown) => {
          throw prefix(e, `ApplicationSet ${k}: spec.generators[${i}]`);
        });
        for (const p of params) {
          let rendered: ApplicationSet['spec']['template'];
          try {
            rendered = renderTemplate(set.spec.template, p, {
              goTemplate,
              goTemplateOptions: set.spec.goTemplateOptions ?? [],
            });
          } catch (e) {
            throw prefix(e, `ApplicationSet ${k}: spec.template`);
          }
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
      const message = e instanceof Error ? e.message : String(e);
      await this.#status(
        set,
        setCondition(
          set.status?.conditions,
          { type: 'ErrorOccurred', status: 'True', reason: 'ApplicationGenerationError', message },
          now,
        ),
        set.status?.applications ?? [],
      );
      await recordEvent(client, set, 'Warning', 'ApplicationGenerationError', message);
      this.#queue.addAfter(k, this.#o.pollIntervalMs ?? 180_000);
      return;
    }

    // 2. Reconcile Applications against what was generated.
    const existing = new Map<string, Application>();
    for (const a of (await client.list<Application>(API_VERSION, 'Application', { namespace })).items)
      existing.set(a.metadata.name, a);
    let rollout: RolloutState | undefined;
    let recheckMs = this.#o.pollIntervalMs ?? 180_000;
    if (set.spec.strategy?.type === 'RollingSync' && desired.length > 0) {
      try {
        const decision = await this.#planRollout(set, desired, existing);
        rollout = decision.state;
        for (const app of desired) {
          const pin = decision.pins.get(app.metadata.name);
          if (pin) app.spec.source.targetRevision = pin;
        }
        if (decision.recheckMs !== undefined) recheckMs = Math.min(recheckMs, decision.recheckMs);
      } catch (e) {
        const message = `ApplicationSet ${k}: roll-out: ${e instanceof Error ? e.message : String(e)}`;
        const failed = setCondition(
          set.status?.conditions,
          { type: 'ErrorOccurred', status: 'True', reason: 'RolloutError', message },
          now,
        );
        await this.#status(set, failed, set.status?.applications ?? []);
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
      await client.apply(app, { fieldManager: MANAGER, force: true });
      if (!cur) created.push(app.metadata.name);
    }
    if (policy === 'sync' || policy === 'create-delete') {
      const keep = new Set(desired.map((a) => a.metadata.name));
      for (const a of existing.values()) {
        if (!ownedBy(a, set) || keep.has(a.metadata.name)) continue;
        if (set.spec.syncPolicy?.preserveResourcesOnDeletion) await this.#dropCascade(a);
        await client.delete({
          apiVersion: API_VERSION,
          kind: 'Application',
          namespace,
          name: a.metadata.name,
        });
      }
    }
    const conditions = errors.length
      ? setCondition(
          set.status?.conditions,
          {
            type: 'ErrorOccurred',
            status: 'True',
            reason: 'ApplicationNameCollision',
            message: errors.join('; '),
          },
          now,
        )
      : setCondition(
          set.status?.conditions,
          {
            type: 'ErrorOccurred',
            status: 'False',
            reason: 'ApplicationSetUpToDate',
            message: `${desired.length} Application(s) generated`,
          },
          now,
        );
    const listed = desired.map((a) => ({
      name: a.metadata.name,
      ...(rollout ? { revision: a.spec.source.targetRevision } : {}),
    }));
    await this.#status(set, conditions, listed, rollout);
    if (created.length)
      await recordEvent(client, set, 'Normal', 'ApplicationsCreated', `created ${created.join(', ')}`);
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
   * Resolves the template's revision to a commit and asks the planner which commit each
   * Application is pinned to: the roll-out moves clusters step by step by pinning.
   */
  async #planRollout(
    set: ApplicationSet,
    desired: Application[],
    existing: Map<string, Application>,
  ): Promise<RolloutDecision> {
    const first = desired[0];
    if (!first) throw new Error('no Applications');
    const src = first.spec.source;
    const ns = set.metadata.namespace ?? '';
    const creds = await sourceCredentials(this.#o.client, ns, src);
    await this.#o.sources.fetch(src.repoURL, creds);
    const latest = (await this.#o.sources.resolve(src.repoURL, src.targetRevision ?? 'HEAD', creds)).sha;
    const labels = new Map(this.#o.clusters.list().map((c) => [c.metadata.name, c.metadata.labels ?? {}]));
    const apps: RolloutApp[] = desired.map((a) => {
      const cur = existing.get(a.metadata.name);
      const cluster = a.spec.destination.name ?? 'in-cluster';
      const degraded = cur?.status?.resources?.find((r) => r.health?.status === 'Degraded');
      return {
        name: a.metadata.name,
        cluster,
        clusterLabels: labels.get(cluster) ?? {},
        ...(cur?.spec.source.targetRevision ? { pinned: cur.spec.source.targetRevision } : {}),
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
    return planRollout({
      steps: set.spec.strategy?.rollingSync.steps ?? [],
      apps,
      latest,
      previous: set.status?.rollout,
      paused: set.metadata.annotations?.[ROLLOUT_PAUSED_ANNOTATION] === 'true',
      approvedStep: Number.isInteger(approved) ? approved : -1,
      now: Date.now(),
    });
  }

  #toApplication(set: ApplicationSet, t: ApplicationSet['spec']['template']): Application {
    let finalizers = t.metadata.finalizers ?? [CASCADE_FINALIZER];
    if (set.spec.syncPolicy?.preserveResourcesOnDeletion)
      finalizers = finalizers.filter((f) => f !== CASCADE_FINALIZER);
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

  async #dropCascade(a: Application): Promise<void> {
    const finalizers = ((a.metadata.finalizers as string[] | undefined) ?? []).filter(
      (f) => f !== CASCADE_FINALIZER,
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

function prefix(e: unknown, where: string): Error {
  const msg = e instanceof Error ? e.message : String(e);
  return new GitfleetError(e instanceof GitfleetError ? e.code : 'applicationset.Error', `${where}: ${msg}`, {
    cause: e,
  });
}
