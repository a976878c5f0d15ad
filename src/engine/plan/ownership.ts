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

/** Argo CD's annotation tracking: `<app>:<group>/<kind>:<namespace>/<name>` (app `<ns>_<name>` outside its namespace). */
export const ARGO_TRACKING_ANNOTATION = 'argocd.argoproj.io/tracking-id';
/** Argo CD's label tracking (its default before v3) and Helm's convention: the app or release name. */
export const ARGO_INSTANCE_LABEL = 'app.kubernetes.io/instance';
/** Labels Flux's kustomize-controller and helm-controller put on what they apply. */
const FLUX_NAME_LABELS = ['kustomize.toolkit.fluxcd.io/name', 'helm.toolkit.fluxcd.io/name'] as const;

/** What another tool's tracking marks on a live object say about `owner` (`<namespace>/<name>`). */
export type Adoption =
  /** The marks name this Application: it may take the object over in place (no re-create). */
  | { adopt: true; by: string }
  /** The marks name another app of that tool: the object is foreign and is never touched. */
  | { adopt: false; by: string };

/**
 * Whether a live object gitfleet does not own was deployed by Argo CD or Flux for the same app, so
 * a migrated Application adopts it where it stands (same UID, no restart) without `Takeover=true`.
 * The app is matched by name: Argo CD's Applications and Flux's Kustomizations/HelmReleases live
 * in their own namespaces (argocd, flux-system), never in the namespace the gitfleet Application is
 * created in, so the namespace cannot be part of the match; Argo's `<namespace>_<name>` form is
 * accepted too. An Argo tracking id must also name the object itself (Argo's own rule: a copied
 * manifest carrying another object's id is not tracked). A tracking id or Flux label naming another
 * app makes the object foreign. The instance label alone never does, since Helm charts set it to
 * their release name. Undefined: no marks (gitfleet's own rules apply, `Takeover=true` adopts).
 */
export function adoptionOf(live: KubeObject, owner: string): Adoption | undefined {
  if (ownerOf(live) !== undefined) return undefined;
  const slash = owner.indexOf('/');
  const appNs = owner.slice(0, slash);
  const app = owner.slice(slash + 1);
  const names = new Set([app, `${appNs}_${app}`]);
  const tracking = live.metadata.annotations?.[ARGO_TRACKING_ANNOTATION];
  if (tracking !== undefined) {
    const colon = tracking.indexOf(':');
    const trackedApp = colon < 0 ? tracking : tracking.slice(0, colon);
    const by = `Argo CD tracking-id ${JSON.stringify(tracking)}`;
    if (!names.has(trackedApp)) return { adopt: false, by };
    // A tracking id of another object (a manifest copied with its annotation) names no owner here.
    if (tracking.slice(colon + 1) !== trackingTarget(live)) return undefined;
    return { adopt: true, by };
  }
  for (const label of FLUX_NAME_LABELS) {
    const v = live.metadata.labels?.[label];
    if (v === undefined) continue;
    const by = `Flux label ${label}=${v}`;
    return names.has(v) || v === app ? { adopt: true, by } : { adopt: false, by };
  }
  const instance = live.metadata.labels?.[ARGO_INSTANCE_LABEL];
  if (instance === app) return { adopt: true, by: `label ${ARGO_INSTANCE_LABEL}=${instance}` };
  return undefined;
}

/** `<group>/<kind>:<namespace>/<name>` of an object, as Argo CD writes it after the app name. */
function trackingTarget(o: KubeObject): string {
  const slash = o.apiVersion.indexOf('/');
  const group = slash < 0 ? '' : o.apiVersion.slice(0, slash);
  return `${group}/${o.kind}:${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;
}
