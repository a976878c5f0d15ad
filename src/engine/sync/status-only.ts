import { isDeepStrictEqual } from 'node:util';
import type { KubeObject } from '../../kube/types.js';

/** Top-level fields whose changes the API server records in metadata.generation (or are metadata). */
const GENERATION_TRACKED = new Set(['apiVersion', 'kind', 'metadata', 'spec']);

/**
 * Whether `now` differs from `then` (the live object an earlier comparison or apply found equal to
 * `desired`) only where gitfleet declares nothing: its status, resourceVersion, managedFields. Then
 * a server-side dry-run would find `desired` equal again and is skipped. It holds only when
 *  - the object is the same one (uid), not being deleted;
 *  - `desired` declares nothing outside metadata and spec, and the API server counts spec changes in
 *    metadata.generation (a number on both copies, unchanged): a hand edit of the spec raises it;
 *  - every metadata field `desired` declares (each declared label and annotation, finalizers, …) is
 *    as it was: metadata edits do not raise the generation, so they are compared here.
 * Kinds without a generation (ConfigMap, Secret, ServiceAccount) never qualify: they are compared.
 */
export function onlyStatusMoved(then: KubeObject, now: KubeObject, desired: KubeObject): boolean {
  if (!then.metadata.uid || then.metadata.uid !== now.metadata.uid) return false;
  if (now.metadata.deletionTimestamp) return false;
  const g0 = then.metadata.generation;
  const g1 = now.metadata.generation;
  if (typeof g0 !== 'number' || typeof g1 !== 'number' || g0 !== g1) return false;
  if (Object.keys(desired).some((k) => !GENERATION_TRACKED.has(k))) return false;
  const declared = desired.metadata as Record<string, unknown>;
  const before = then.metadata as Record<string, unknown>;
  const after = now.metadata as Record<string, unknown>;
  for (const k of Object.keys(declared)) {
    if (k === 'name' || k === 'namespace') continue;
    if (k === 'labels' || k === 'annotations') {
      // Per declared key: others' keys (the Deployment controller's revision annotation) are not
      // gitfleet's and never drift; a declared key edited or removed by hand is.
      const mine = (declared[k] ?? {}) as Record<string, string>;
      const b = (before[k] ?? {}) as Record<string, string>;
      const a = (after[k] ?? {}) as Record<string, string>;
      if (Object.keys(mine).some((l) => b[l] !== a[l])) return false;
    } else if (!isDeepStrictEqual(before[k], after[k])) return false;
  }
  return true;
}
