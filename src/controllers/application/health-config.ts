import type { Logger } from 'pino';
import type { HealthCheckRef } from '../../api/application.js';
import type { Project } from '../../api/project.js';
import {
  assessHealth,
  HealthCheckExprCache,
  healthCheckExprsFromConfigMap,
  isWorse,
  type HealthAssessor,
  type HealthResult,
} from '../../engine/health/index.js';
import type { KubeClient } from '../../kube/client.js';
import { Informer } from '../../kube/informer.js';
import type { KubeObject } from '../../kube/types.js';
import type { ObjectRef } from '../../core/object-ref.js';
import type { HealthCheckObjects } from './health-checks-watch.js';

/** The cluster-wide ConfigMap (in the controller's namespace) holding `healthCheckExprs`. */
export const HEALTH_CHECKS_CONFIGMAP = 'gitfleet-health-checks';
/**
 * How long one read of the ConfigMap serves every reconcile while its watch has not listed (or
 * cannot): edits apply within this. Once the watch has listed, a read serves until it changes.
 */
const CONFIG_TTL_MS = 5_000;

/**
 * Custom health in CEL for the Application controller: the `healthCheckExprs` of the ConfigMap
 * {@link HEALTH_CHECKS_CONFIGMAP} in the controller's namespace, compiled once per change. A broken
 * entry is logged once (naming the kind and the ConfigMap) and its kind keeps the built-in health.
 */
export class HealthConfig {
  readonly #cache: HealthCheckExprCache;
  readonly #log: Logger;
  /** The last read: when, the ConfigMap's resourceVersion then (null: there was none), the result. */
  #read: { at: number; version: string | null; overrides: ReadonlyMap<string, HealthAssessor> } | undefined;
  /** Metadata-only watch of the ConfigMap: says whether the last read is still current. */
  #watch: Informer | undefined;
  /** The read in flight: concurrent reconciles (one per worker) share it instead of a GET each. */
  #reading: Promise<ReadonlyMap<string, HealthAssessor>> | undefined;
  /** Compiled rules per Project (name → cache), so each Project's broken entry is reported once. */
  readonly #projects = new Map<string, HealthCheckExprCache>();
  /** The last merge per Project, reused while neither the ConfigMap nor the Project changed. */
  readonly #merged = new Map<
    string,
    {
      base: ReadonlyMap<string, HealthAssessor>;
      own: ReadonlyMap<string, HealthAssessor>;
      merged: ReadonlyMap<string, HealthAssessor>;
    }
  >();

  constructor(
    private readonly client: KubeClient,
    private readonly namespace: string,
    log: Logger,
  ) {
    this.#log = log;
    this.#cache = new HealthCheckExprCache((message) =>
      log.warn({ configMap: HEALTH_CHECKS_CONFIGMAP }, message),
    );
  }

  /**
   * The CEL assessors by group/kind for an app of `project`: the ConfigMap's, with the Project's
   * `spec.healthCheckExprs` winning for the kinds it names (a broken Project entry is reported
   * once and leaves that kind to the ConfigMap's rule or the built-in).
   */
  async overrides(project?: Project): Promise<ReadonlyMap<string, HealthAssessor>> {
    const base = await this.#clusterWide();
    const exprs = project?.spec.healthCheckExprs;
    if (!project || !exprs?.length) return base;
    const name = project.metadata.name;
    let cache = this.#projects.get(name);
    if (!cache) {
      cache = new HealthCheckExprCache((message) => this.#log.warn({ project: name }, message));
      this.#projects.set(name, cache);
    }
    const own = cache.get(exprs, `Project ${name}`);
    const last = this.#merged.get(name);
    if (last && last.base === base && last.own === own) return last.merged;
    const merged = new Map([...base, ...own]);
    this.#merged.set(name, { base, own, merged });
    return merged;
  }

  stop(): void {
    this.#watch?.stop();
  }

  async #clusterWide(): Promise<ReadonlyMap<string, HealthAssessor>> {
    if (!this.#watch) {
      this.#watch = new Informer(this.client, {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        namespace: this.namespace,
        fieldSelector: `metadata.name=${HEALTH_CHECKS_CONFIGMAP}`,
        metadataOnly: true,
      });
      this.#watch.start();
    }
    if (this.#read && this.#watch.synced) {
      const version =
        this.#watch.get(this.namespace, HEALTH_CHECKS_CONFIGMAP)?.metadata.resourceVersion ?? null;
      if (version === this.#read.version) return this.#read.overrides;
    } else if (this.#read && Date.now() - this.#read.at < CONFIG_TTL_MS) return this.#read.overrides;
    this.#reading ??= this.#readClusterWide().finally(() => (this.#reading = undefined));
    return this.#reading;
  }

  async #readClusterWide(): Promise<ReadonlyMap<string, HealthAssessor>> {
    const now = Date.now();
    const cm = await this.client
      .getOrUndefined<KubeObject>({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        namespace: this.namespace,
        name: HEALTH_CHECKS_CONFIGMAP,
      })
      .catch(() => undefined);
    let overrides: ReadonlyMap<string, HealthAssessor> = new Map();
    if (cm) {
      const source = `ConfigMap ${this.namespace}/${HEALTH_CHECKS_CONFIGMAP}`;
      const { exprs, errors } = healthCheckExprsFromConfigMap(cm);
      this.#cache.reportOnce(errors);
      overrides = this.#cache.get(exprs, source);
    }
    // Keep the same map while nothing changed, so the per-Project merges stay reusable.
    if (this.#read && sameMap(this.#read.overrides, overrides)) overrides = this.#read.overrides;
    this.#read = { at: now, version: cm?.metadata.resourceVersion ?? null, overrides };
    return overrides;
  }
}

const sameMap = (a: ReadonlyMap<string, HealthAssessor>, b: ReadonlyMap<string, HealthAssessor>): boolean =>
  a === b || (a.size === 0 && b.size === 0);

/** The objects an app's `spec.healthChecks` names, each with its namespace resolved. */
export function healthCheckRefs(
  refs: readonly HealthCheckRef[] | undefined,
  defaultNamespace: string,
): ObjectRef[] {
  return (refs ?? []).map((r) => ({
    apiVersion: r.apiVersion,
    kind: r.kind,
    namespace: r.namespace ?? defaultNamespace,
    name: r.name,
  }));
}

/**
 * The health of the objects an app's `spec.healthChecks` names (outside the app), read with the
 * app's destination client: the worst of them, Missing for one not found; undefined when none.
 * `watched` (a watch of them as the same identity) answers instead of a GET once it has listed.
 */
export async function healthChecksHealth(
  client: KubeClient,
  refs: readonly HealthCheckRef[] | undefined,
  defaultNamespace: string,
  overrides: ReadonlyMap<string, HealthAssessor>,
  watched?: HealthCheckObjects,
): Promise<HealthResult | undefined> {
  if (!refs?.length) return undefined;
  let result: HealthResult | undefined;
  for (const ref of healthCheckRefs(refs, defaultNamespace)) {
    const name = `${ref.kind}/${ref.namespace}/${ref.name}`;
    const cached = watched?.lookup(ref);
    const live = cached?.known
      ? cached.object
      : await client.getOrUndefined<KubeObject>(ref).catch((e: unknown) => {
          // Cluster-scoped kinds ignore the namespace; an unknown kind is reported, not thrown.
          throw new Error(`spec.healthChecks: ${name}: ${e instanceof Error ? e.message : String(e)}`);
        });
    const h: HealthResult = live
      ? (assessHealth(live, { overrides }) ?? { status: 'Healthy' })
      : { status: 'Missing', message: `healthChecks: ${name} not found` };
    const labelled: HealthResult =
      h.status === 'Healthy'
        ? h
        : { status: h.status, message: `healthChecks: ${name}: ${h.message ?? h.status}` };
    result = result ? worstOf(result, labelled) : labelled;
  }
  return result;
}

function worstOf(a: HealthResult, b: HealthResult): HealthResult {
  return isWorse(b.status, a.status) ? b : a;
}
