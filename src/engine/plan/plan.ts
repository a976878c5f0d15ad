import { isGenerated } from '../sync/generated-hooks.js';
import { groupOf } from '../../core/object-ref.js';
import type { KubeObject } from '../../kube/types.js';
import { RenderError } from '../errors.js';
import { entryKey, entryOf, staleEntries, type InventoryEntry } from '../inventory/inventory.js';
import type { Manifest, Origin } from '../manifest.js';
import {
  hookDeletePolicies,
  hookPhases,
  isSkipped,
  syncOptions,
  syncWave,
  type HookDeletePolicy,
  type HookPhase,
} from './annotations.js';
import { compareForApply } from './order.js';
import { stampOwner } from './ownership.js';

/** One object to apply, with everything the executor needs to know about it. */
export interface SyncTask {
  object: KubeObject;
  origin: Origin;
  phase: HookPhase;
  wave: number;
  /** Hooks are created for their phase and cleaned up by policy; they are not in the inventory. */
  hook: boolean;
  deletePolicies: HookDeletePolicy[];
  /** Per-resource options from the sync-options annotation (Prune=false, Replace=true, Force=true…). */
  options: Map<string, string>;
}

/** A group of tasks applied together; the executor waits for their health before the next. */
export interface SyncStep {
  phase: HookPhase;
  wave: number;
  tasks: SyncTask[];
}

export interface SyncPlan {
  /** Steps in execution order: PreSync, Sync, PostSync by wave; SyncFail steps run only on failure. */
  steps: SyncStep[];
  syncFail: SyncStep[];
  /** What the Application owns after this sync (normal objects only, never hooks). */
  inventory: InventoryEntry[];
  /** Previous inventory minus desired: candidates for prune (the executor still checks ownership). */
  prune: InventoryEntry[];
}

export interface PlanInput {
  manifests: Manifest[];
  /** Owner written into every object, `<app namespace>/<app name>`. */
  owner: string;
  /** Namespace for namespaced objects that name none. */
  defaultNamespace: string;
  /** Scope from discovery; undefined when the kind is not (yet) served, e.g. a CRD in this sync. */
  isNamespaced: (apiVersion: string, kind: string) => boolean | undefined;
  previousInventory: InventoryEntry[];
}

/**
 * Turns rendered manifests into an ordered plan. Pure: validates, stamps ownership, defaults
 * namespaces, orders by phase → wave → kind → namespace → name, and computes prune candidates.
 * Throws RenderError (file and line) for duplicates and bad annotations; nothing is half-planned.
 */
export function planSync(input: PlanInput): SyncPlan {
  const crdScopes = new Map<string, boolean>();
  for (const m of input.manifests) {
    const o = m.object;
    if (o.kind === 'CustomResourceDefinition' && groupOf(o.apiVersion) === 'apiextensions.k8s.io') {
      const spec = o.spec as { group?: string; names?: { kind?: string }; scope?: string } | undefined;
      if (spec?.group && spec.names?.kind)
        crdScopes.set(`${spec.group}/${spec.names.kind}`, spec.scope === 'Namespaced');
    }
  }
  const namespaced = (o: KubeObject): boolean | undefined =>
    input.isNamespaced(o.apiVersion, o.kind) ?? crdScopes.get(`${groupOf(o.apiVersion)}/${o.kind}`);

  const tasks: SyncTask[] = [];
  const seen = new Map<string, Origin>();
  for (const m of input.manifests) {
    const at = { file: m.origin.file, line: m.origin.line };
    if (isSkipped(m.object)) continue;
    let obj = m.object;
    const scoped = namespaced(obj);
    if (scoped === true && !obj.metadata.namespace)
      obj = { ...obj, metadata: { ...obj.metadata, namespace: input.defaultNamespace } };
    if (scoped === false && obj.metadata.namespace) {
      const { namespace: _dropped, ...meta } = obj.metadata;
      obj = { ...obj, metadata: meta };
    }
    let phases: HookPhase[];
    let wave: number;
    let deletePolicies: HookDeletePolicy[];
    try {
      phases = hookPhases(obj);
      wave = syncWave(obj);
      deletePolicies = hookDeletePolicies(obj);
    } catch (e) {
      throw new RenderError(`${obj.kind}/${obj.metadata.name}: ${(e as Error).message}`, at);
    }
    const hook = phases.length > 0;
    if (!hook && isGenerated(obj))
      throw new RenderError(
        `${obj.kind} ${obj.metadata.name}: metadata.generateName is only supported on hooks of a sync phase; give it a metadata.name`,
        at,
      );
    if (!hook) {
      const key = entryKey(entryOf(obj));
      const first = seen.get(key);
      if (first) {
        throw new RenderError(
          `${obj.kind}/${obj.metadata.namespace ? `${obj.metadata.namespace}/` : ''}${obj.metadata.name} is declared twice (also at ${first.file}:${first.line})`,
          at,
        );
      }
      seen.set(key, at);
    }
    const stamped = stampOwner(obj, input.owner);
    for (const phase of hook ? phases : (['Sync'] as HookPhase[])) {
      tasks.push({
        object: stamped,
        origin: m.origin,
        phase,
        wave,
        hook,
        deletePolicies,
        options: syncOptions(obj),
      });
    }
  }

  // Namespaces and CRDs go before everything, hooks included: the objects of any phase or wave
  // may live in those namespaces or be instances of those CRDs.
  for (const t of tasks) {
    if (!t.hook && isFoundation(t.object)) {
      t.phase = 'PreSync';
      t.wave = Number.MIN_SAFE_INTEGER;
    }
  }
  const phaseRank = (p: HookPhase): number => ['PreSync', 'Sync', 'PostSync', 'SyncFail'].indexOf(p);
  tasks.sort(
    (a, b) =>
      phaseRank(a.phase) - phaseRank(b.phase) || a.wave - b.wave || compareForApply(a.object, b.object),
  );
  const steps: SyncStep[] = [];
  for (const t of tasks) {
    const last = steps[steps.length - 1];
    if (last && last.phase === t.phase && last.wave === t.wave) last.tasks.push(t);
    else steps.push({ phase: t.phase, wave: t.wave, tasks: [t] });
  }
  const inventory = tasks.filter((t) => !t.hook).map((t) => entryOf(t.object));
  return {
    steps: steps.filter((s) => s.phase !== 'SyncFail'),
    syncFail: steps.filter((s) => s.phase === 'SyncFail'),
    inventory,
    prune: staleEntries(input.previousInventory, inventory),
  };
}

function isFoundation(o: KubeObject): boolean {
  return (
    (o.kind === 'Namespace' && o.apiVersion === 'v1') ||
    (o.kind === 'CustomResourceDefinition' && groupOf(o.apiVersion) === 'apiextensions.k8s.io')
  );
}
