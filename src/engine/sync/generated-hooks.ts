import { createHash } from 'node:crypto';
import type { ObjectRef } from '../../core/object-ref.js';
import { refOf, type KubeClient } from '../../kube/client.js';
import type { KubeObject } from '../../kube/types.js';
import type { SyncTask } from '../plan/plan.js';
import { isOwnedBy } from '../plan/ownership.js';
import { deleteExactly } from '../prune/prune.js';

/**
 * Hooks written with `metadata.generateName` (Argo CD's sync-waves and helm-hooks examples). Each
 * run is a new object whose name the API server picks, so such a hook is created with POST (server-
 * side apply needs a name), its generated name is kept in the operation's progress so the step can
 * await that very object across reconciles and restarts, and every run carries a label naming the
 * hook's template: BeforeHookCreation finds earlier runs by it, since their names all differ.
 *
 * Render gives such an object the placeholder name `metadata.name = metadata.generateName` so the
 * planner can key it; the placeholder is never sent to the API server.
 */

/** Label whose value identifies a generateName hook's template (owner, phase, kind, namespace, prefix). */
export const HOOK_ID_LABEL = 'gitfleet.dev/hook-id';

/** Whether the object is a generateName hook still carrying render's placeholder name. */
export function isGenerated(obj: KubeObject): boolean {
  const g = obj.metadata.generateName;
  return typeof g === 'string' && g !== '' && obj.metadata.name === g;
}

/** Key of one task in `SyncProgress.generated`: a hook in two phases runs (and is named) twice. */
export function generatedKey(task: SyncTask): string {
  const r = refOf(task.object);
  return `${task.phase}/${r.apiVersion}/${r.kind}/${r.namespace ?? ''}/${r.name}`;
}

/** The hook-id label value: a hash, as label values are short and of a small alphabet. */
export function hookId(owner: string, task: SyncTask): string {
  const r = refOf(task.object);
  const group = r.apiVersion.includes('/') ? r.apiVersion.slice(0, r.apiVersion.indexOf('/')) : '';
  return createHash('sha256')
    .update([owner, task.phase, group, r.kind, r.namespace ?? '', r.name].join('\0'))
    .digest('hex')
    .slice(0, 16);
}

/** Where the task's object lives: its generated name once created, else its own name. */
export function liveRefOf(task: SyncTask, generated: Record<string, string> | undefined): ObjectRef {
  const ref = refOf(task.object);
  if (!isGenerated(task.object)) return ref;
  const name = generated?.[generatedKey(task)];
  return name ? { ...ref, name } : ref;
}

/** POSTs a new run of the hook: no name, generateName kept, labelled with its template's id. */
export async function createGenerated(
  client: KubeClient,
  task: SyncTask,
  owner: string,
  signal?: AbortSignal,
): Promise<KubeObject> {
  const { name: _placeholder, ...metadata } = task.object.metadata;
  const body = {
    ...task.object,
    metadata: { ...metadata, labels: { ...metadata.labels, [HOOK_ID_LABEL]: hookId(owner, task) } },
  };
  // The API server names it; create() is typed for named objects only.
  return client.create(body as unknown as KubeObject, signal);
}

/**
 * BeforeHookCreation for a generateName hook: deletes every earlier run of the same template that
 * this owner owns (found by the hook-id label; an object another owner stamped is left alone).
 * Nothing waits for them to go: the new run gets a name of its own. Returns how many were deleted.
 */
export async function deleteEarlierRuns(
  client: KubeClient,
  task: SyncTask,
  owner: string,
  signal?: AbortSignal,
): Promise<number> {
  const ref = refOf(task.object);
  const selector = `${HOOK_ID_LABEL}=${hookId(owner, task)}`;
  const earlier = (
    await client.list<KubeObject>(ref.apiVersion, ref.kind, {
      ...(ref.namespace ? { namespace: ref.namespace } : {}),
      labelSelector: selector,
      signal,
    })
  ).items.filter((o) => isOwnedBy(o, owner) && !o.metadata.deletionTimestamp);
  let deleted = 0;
  for (const o of earlier)
    if (await deleteExactly(client, { ...ref, name: o.metadata.name }, o.metadata.uid, signal)) deleted++;
  return deleted;
}
