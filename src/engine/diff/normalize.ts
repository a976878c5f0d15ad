import type { KubeObject } from '../../kube/types.js';

/** Metadata the server owns: never part of what Git declares, so never part of a diff. */
const SERVER_METADATA = [
  'managedFields',
  'resourceVersion',
  'generation',
  'uid',
  'creationTimestamp',
  'selfLink',
  'deletionGracePeriodSeconds',
];
const SERVER_ANNOTATIONS = [
  'kubectl.kubernetes.io/last-applied-configuration',
  'deployment.kubernetes.io/revision',
];

/**
 * A copy of `obj` without server-owned metadata and without `status`, ready to compare. Keeps
 * everything else, so a diff shows exactly what a user could have changed.
 */
export function normalizeForDiff(obj: KubeObject): KubeObject {
  const copy = structuredClone(obj);
  const meta = copy.metadata as Record<string, unknown>;
  for (const k of SERVER_METADATA) delete meta[k];
  const ann = copy.metadata.annotations;
  if (ann) {
    for (const k of SERVER_ANNOTATIONS) delete ann[k];
    if (Object.keys(ann).length === 0) delete copy.metadata.annotations;
  }
  delete (copy as Record<string, unknown>).status;
  return copy;
}

/**
 * Removes the value at a JSON pointer (RFC 6901) if present. Used by ignoreDifferences on both
 * sides of a comparison.
 */
export function removePointer(obj: unknown, pointer: string): void {
  if (pointer === '' || pointer === '/') return;
  const parts = pointer
    .replace(/^\//, '')
    .split('/')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  let cur: unknown = obj;
  for (let i = 0; i < parts.length - 1; i++) {
    const key = parts[i] ?? '';
    if (Array.isArray(cur)) cur = cur[Number(key)];
    else if (cur && typeof cur === 'object') cur = (cur as Record<string, unknown>)[key];
    else return;
  }
  const last = parts[parts.length - 1] ?? '';
  if (Array.isArray(cur)) {
    // Blank the slot instead of splicing: later pointers into the same list keep their indices.
    const idx = Number(last);
    if (Number.isInteger(idx) && idx < cur.length) cur[idx] = undefined;
  } else if (cur && typeof cur === 'object') {
    delete (cur as Record<string, unknown>)[last];
  }
}
