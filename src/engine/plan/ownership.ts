import { createHash } from 'node:crypto';
import type { KubeObject } from '../../kube/types.js';

/** Annotation naming the Application that owns an object: `<namespace>/<name>` of the Application. */
export const OWNER_ANNOTATION = 'gitfleet.dev/owner';
/**
 * Label carrying a hash of the owner: label values are limited to 63 characters and a small
 * alphabet, so the owner itself cannot be the value. Watches select on it.
 */
export const OWNER_LABEL = 'gitfleet.dev/owner-id';
/** Label on everything gitfleet manages, so one watch per kind covers every Application. */
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY_VALUE = 'gitfleet';

/** The label value identifying an owner. */
export function ownerId(owner: string): string {
  return createHash('sha256').update(owner).digest('hex').slice(0, 16);
}

/** Whether a live object's owner annotation names exactly `owner`. The only test prune trusts. */
export function isOwnedBy(obj: KubeObject, owner: string): boolean {
  return obj.metadata.annotations?.[OWNER_ANNOTATION] === owner;
}

/** The owner annotation of a live object, if any. */
export function ownerOf(obj: KubeObject): string | undefined {
  return obj.metadata.annotations?.[OWNER_ANNOTATION];
}

/** A copy of `obj` stamped with the owner annotation and labels. Never mutates its input. */
export function stampOwner(obj: KubeObject, owner: string): KubeObject {
  return {
    ...obj,
    metadata: {
      ...obj.metadata,
      labels: { ...obj.metadata.labels, [OWNER_LABEL]: ownerId(owner), [MANAGED_BY_LABEL]: MANAGED_BY_VALUE },
      annotations: { ...obj.metadata.annotations, [OWNER_ANNOTATION]: owner },
    },
  };
}
