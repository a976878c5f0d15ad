import { formatObjectRef } from '../../core/object-ref.js';
import { refOf, type KubeClient } from '../../kube/client.js';
import { KubeApiError } from '../../kube/errors.js';
import type { KubeObject } from '../../kube/types.js';
import { diffObjects, type IgnoreRule } from '../diff/diff.js';
import { jqIgnoredPointers } from '../diff/jq.js';
import type { SecretMask } from '../diff/mask.js';
import type { AssessHealthOptions } from '../health/index.js';
import { adoptionOf, ownerOf } from '../plan/ownership.js';
import type { SyncTask } from '../plan/plan.js';
import type { ChangeSetEntry } from './changeset.js';
import { respectIgnored } from './respect-ignore.js';

export const FIELD_MANAGER = 'gitfleet';

export interface ApplyObjectOptions {
  owner: string;
  /**
   * Server-side apply with force for objects adopted with Takeover. Objects this owner already
   * owns are always applied with force: Git is the source of truth for the fields it declares, so
   * a hand edit (which makes `kubectl-edit` the manager of a field) must not block self-heal.
   */
  forceConflicts: boolean;
  /** Adopt objects that exist without this owner's annotation. Default false: they are refused. */
  takeover: boolean;
  ignore: IgnoreRule[];
  /** Argo CD's `RespectIgnoreDifferences=true`: ignored fields keep their live values (respect-ignore.ts). */
  respectIgnoreDifferences?: boolean;
  /** Argo CD's Application-level `Replace=true`: every existing object is replaced (PUT); `Replace=false` on an object wins. */
  replace?: boolean;
  dryRun: boolean;
  /** Collects the values of every live Secret read, so messages leaving the engine can mask them. */
  secrets?: SecretMask;
  /** Custom health checks: what the comparison memo keeps of an applied object depends on them. */
  health?: AssessHealthOptions;
  signal?: AbortSignal;
}

/** What comparing one desired object with the cluster found. */
export interface Comparison {
  live: KubeObject | undefined;
  predicted: KubeObject;
  modified: boolean;
  diff: string;
  /** Set when the live object belongs to someone else and may not be touched. */
  refusal?: string;
  /** What is applied: the task's object, with live values at ignored fields under RespectIgnoreDifferences. */
  desired: KubeObject;
  /** No dry-run was made (the object is absent): `predicted` is the desired object as written. */
  unverified?: boolean;
}

/**
 * Compares a desired object with the cluster by server-side apply dry-run: the predicted object
 * carries every default and webhook mutation, so only real differences remain.
 */
export async function compareObject(
  client: KubeClient,
  task: SyncTask,
  opts: ApplyObjectOptions,
  /**
   * The live object as a watch cache holds it, or as the caller just read it (compare.ts decides
   * when that is current): no GET. `null`: the caller's read found it absent.
   */
  cached?: KubeObject | null,
): Promise<Comparison> {
  const ref = refOf(task.object);
  const live = cached === null ? undefined : (cached ?? (await client.getOrUndefined(ref, opts.signal)));
  opts.secrets?.add(live);
  const refusal = live ? ownershipRefusal(live, task, opts) : undefined;
  if (live && refusal)
    return { live, predicted: task.object, modified: true, diff: '', refusal, desired: task.object };
  // An absent object needs no dry-run: it is created whatever the dry-run says, and the apply's
  // answer (or its error, naming the object) is the result. One request per new object saved.
  if (!live)
    return {
      live: undefined,
      predicted: task.object,
      modified: true,
      diff: '+ (new object)',
      desired: task.object,
      unverified: true,
    };
  const jqLive = await jqIgnoredPointers(opts.ignore, live, { signal: opts.signal });
  const desired = opts.respectIgnoreDifferences
    ? respectIgnored(task.object, live, opts.ignore, jqLive)
    : task.object;
  let predicted: KubeObject;
  try {
    predicted = await client.apply(desired, {
      fieldManager: FIELD_MANAGER,
      force: shouldForce(live, task, opts),
      dryRun: true,
      signal: opts.signal,
    });
  } catch (e) {
    if (e instanceof KubeApiError && e.status === 404 && task.object.metadata.namespace) {
      // The namespace does not exist yet (created earlier in this sync, or CreateNamespace):
      // there is nothing to compare with, the object is simply missing.
      return { live: undefined, predicted: task.object, modified: true, diff: '+ (new object)', desired };
    }
    throw e;
  }
  const jqPredicted = await jqIgnoredPointers(opts.ignore, predicted, { signal: opts.signal });
  const d = diffObjects(live, predicted, opts.ignore, { live: jqLive, predicted: jqPredicted });
  return { live, predicted, modified: d.modified, diff: d.text, desired };
}

/** Applies one object unless it is unchanged; returns the change. Errors name the object. */
export async function applyObject(
  client: KubeClient,
  task: SyncTask,
  opts: ApplyObjectOptions,
): Promise<ChangeSetEntry> {
  return (await applyTask(client, task, opts)).entry;
}

/**
 * Applies one object unless it is unchanged, and returns the change with the object as the API
 * server answered (the post-apply state; the live object when unchanged). `known` is what this
 * reconcile's comparison already found for it: then nothing is read or dry-run again, and an
 * unchanged object costs no request at all.
 */
export async function applyTask(
  client: KubeClient,
  task: SyncTask,
  opts: ApplyObjectOptions,
  known?: Comparison,
): Promise<{ entry: ChangeSetEntry; live?: KubeObject }> {
  const ref = refOf(task.object);
  const base = { ref, hook: task.hook || undefined };
  try {
    const cmp = known ?? (await compareObject(client, task, opts));
    if (cmp.refusal) return { entry: { ...base, action: 'failed', message: cmp.refusal } };
    if (!cmp.modified)
      return { entry: { ...base, action: 'unchanged' }, ...(cmp.live ? { live: cmp.live } : {}) };
    if (opts.dryRun) {
      // A dry-run sync still asks the API server whether a new object would be admitted.
      // (Its namespace may be created by this very sync: a 404 then says nothing about the object.)
      if (cmp.unverified)
        await client
          .apply(cmp.desired, { fieldManager: FIELD_MANAGER, force: true, dryRun: true, signal: opts.signal })
          .catch((e: unknown) => {
            if (!(e instanceof KubeApiError && e.status === 404 && task.object.metadata.namespace)) throw e;
          });
      return {
        entry: { ...base, action: cmp.live ? 'configured' : 'created', diff: cmp.diff, message: 'dry run' },
      };
    }
    const replace = task.options.get('Replace') ?? (opts.replace ? 'true' : 'false');
    let live: KubeObject;
    if (replace === 'true' && cmp.live) {
      const body = {
        ...cmp.desired,
        metadata: { ...cmp.desired.metadata, resourceVersion: cmp.live.metadata.resourceVersion },
      };
      live = await client.request<KubeObject>({
        method: 'PUT',
        path: await client.objectPath(ref, opts.signal),
        body,
        signal: opts.signal,
        query: { fieldManager: FIELD_MANAGER },
      });
    } else {
      live = await client.apply(cmp.desired, {
        fieldManager: FIELD_MANAGER,
        force: shouldForce(cmp.live, task, opts),
        signal: opts.signal,
      });
    }
    opts.secrets?.add(live);
    return { entry: { ...base, action: cmp.live ? 'configured' : 'created', diff: cmp.diff }, live };
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    return { entry: { ...base, action: 'failed', message: `${formatObjectRef(ref)}: ${msg}` } };
  }
}

/**
 * Why `live` may not be overwritten by this owner, or undefined when it may. Hooks obey the same
 * rule as every other object. An object another Application owns is never taken over, whatever
 * the sync options say: Takeover is written in the tenant's own Git, so honouring it would let one
 * team seize (and then prune) another team's objects. It adopts only objects gitfleet does not
 * manage; handing an object from one Application to another means removing its owner annotation.
 */
export function ownershipRefusal(
  live: KubeObject,
  task: SyncTask,
  opts: Pick<ApplyObjectOptions, 'owner' | 'takeover'>,
): string | undefined {
  const foreign = ownerOf(live);
  if (foreign === opts.owner) return undefined;
  const what = `${formatObjectRef(refOf(task.object))}${task.hook ? ' (a hook)' : ''}`;
  if (foreign)
    return `${what} exists and is owned by ${foreign}; refusing to overwrite or delete it (an object of another Application is never taken over)`;
  // Argo CD's or Flux's tracking marks (ownership.ts adoptionOf): the same app adopts, another app's is foreign.
  const marked = adoptionOf(live, opts.owner);
  if (marked && !marked.adopt)
    return `${what} carries ${marked.by}, another app's; refusing to overwrite or delete it`;
  // A hook is created and deleted by its policies: adopting a stranger's object would let the
  // next BeforeHookCreation delete it, so hooks never adopt.
  if (task.hook)
    return `${what} exists and is not managed by gitfleet; a hook never overwrites or deletes an object it does not own`;
  if (marked || opts.takeover || task.options.get('Takeover') === 'true') return undefined;
  return `${what} exists and is not managed by gitfleet; refusing to overwrite it (set sync option Takeover=true to adopt it)`;
}

/** Whether to apply with force: always for what this owner owns (or hooks), else only when asked. */
function shouldForce(live: KubeObject | undefined, task: SyncTask, opts: ApplyObjectOptions): boolean {
  if (task.options.get('ForceConflicts') === 'false') return false;
  // Hooks reach here only when they are this owner's (or adopted): see ownershipRefusal.
  if (!live || task.hook || ownerOf(live) === opts.owner || adoptionOf(live, opts.owner)?.adopt) return true;
  return opts.forceConflicts || task.options.get('ForceConflicts') === 'true';
}
