import { formatObjectRef } from '../../core/object-ref.js';
import type { KubeClient } from '../../kube/client.js';
import { isNotFound } from '../../kube/errors.js';
import type { ObjectRef } from '../../core/object-ref.js';
import type { SecretMask } from '../diff/mask.js';
import type { ChangeSetEntry } from '../apply/changeset.js';
import { refOfEntry, type InventoryEntry } from '../inventory/inventory.js';
import { kindRank } from '../plan/order.js';
import { isOwnedBy, ownerOf } from '../plan/ownership.js';
import { syncOptions } from '../plan/annotations.js';

/** How a pruned object's dependents go (Argo CD's `PrunePropagationPolicy`). */
export type PropagationPolicy = 'Foreground' | 'Background' | 'Orphan';

export interface PruneOptions {
  owner: string;
  /** Default Background (as Argo CD's default `PrunePropagationPolicy=background`; hooks use their own). */
  propagationPolicy?: PropagationPolicy;
  /** When false, nothing is deleted: candidates are reported and kept in the inventory. */
  enabled: boolean;
  dryRun: boolean;
  /** Collects the values of live Secrets read, so messages leaving the engine can mask them. */
  secrets?: SecretMask;
  signal?: AbortSignal;
}

export interface PruneResult {
  changes: ChangeSetEntry[];
  /** Candidates that still exist and stay tracked (prune disabled, or deletion failed). */
  kept: InventoryEntry[];
}

/**
 * Deletes prune candidates in reverse apply order. An object is deleted only if it still exists
 * and its owner annotation names exactly this owner; `Prune=false` objects are left alone and
 * forgotten. Not-found counts as already deleted.
 */
export async function pruneStale(
  client: KubeClient,
  candidates: InventoryEntry[],
  opts: PruneOptions,
): Promise<PruneResult> {
  const changes: ChangeSetEntry[] = [];
  const kept: InventoryEntry[] = [];
  const ordered = [...candidates].sort((a, b) => kindRank(b.kind) - kindRank(a.kind));
  for (const entry of ordered) {
    const ref = refOfEntry(entry);
    let live;
    try {
      live = await client.getOrUndefined(ref, opts.signal);
    } catch (e) {
      // The kind may be gone (its CRD was pruned first); nothing left to delete.
      if (isNotFound(e) || (e instanceof Error && 'code' in e && e.code === 'kube.UnknownKind')) continue;
      throw e;
    }
    if (!live) continue;
    opts.secrets?.add(live);
    if (!isOwnedBy(live, opts.owner)) {
      const who = ownerOf(live);
      changes.push({
        ref,
        action: 'skipped',
        message: `${formatObjectRef(ref)} is ${who ? `owned by ${who}` : 'not managed by gitfleet'}; not pruned`,
      });
      continue;
    }
    if (syncOptions(live).get('Prune') === 'false') {
      changes.push({ ref, action: 'skipped', message: 'Prune=false' });
      continue;
    }
    if (!opts.enabled) {
      changes.push({ ref, action: 'skipped', message: 'requires pruning (prune is off)' });
      kept.push(entry);
      continue;
    }
    if (opts.dryRun) {
      changes.push({ ref, action: 'deleted', message: 'dry run' });
      continue;
    }
    try {
      await deleteExactly(client, ref, live.metadata.uid, opts.signal, opts.propagationPolicy);
      changes.push({ ref, action: 'deleted' });
    } catch (e) {
      kept.push(entry);
      changes.push({
        ref,
        action: 'failed',
        message: `${formatObjectRef(ref)}: prune failed: ${e instanceof Error ? e.message : String(e)}`,
      });
    }
  }
  return { changes, kept };
}

/**
 * Deletes the object whose ownership was just checked, and only that one: the UID precondition
 * makes the API server refuse (409) if the name now belongs to an object created since. Returns
 * false when it is already gone.
 */
export async function deleteExactly(
  client: KubeClient,
  ref: ObjectRef,
  uid: string | undefined,
  signal?: AbortSignal,
  propagationPolicy: PropagationPolicy = 'Background',
): Promise<boolean> {
  try {
    await client.request({
      method: 'DELETE',
      path: await client.objectPath(ref, signal),
      body: {
        kind: 'DeleteOptions',
        apiVersion: 'v1',
        propagationPolicy,
        ...(uid ? { preconditions: { uid } } : {}),
      },
      signal,
    });
    return true;
  } catch (e) {
    if (isNotFound(e)) return false;
    throw e;
  }
}
