import type { KubeObject } from '../kube/types.js';

/**
 * The annotation `gitfleet bootstrap` puts on the Application that installs gitfleet itself (and on
 * the Applications its agents ApplicationSet generates).
 */
export const SELF_MANAGEMENT_ANNOTATION = 'gitfleet.dev/self-management';

/**
 * Whether `app` is gitfleet's own installation, exempt from the protected-resource rules
 * (protected.ts) when it applies: the hub namespace, gitfleet's CRDs and RBAC are exactly what it
 * manages. Sound because only an Application that lives in a hub namespace can claim it, and
 * nothing but an admin can put one there: no Application may write into a hub namespace (the
 * `hub-namespace` rule holds for every other app) and an ApplicationSet creates Applications only
 * in its own namespace. The exemption never covers deletion of the app: deleting it leaves the
 * hub running (the controller's finalizer still refuses protected objects).
 */
export function isSelfManagement(app: KubeObject, hubNs: readonly string[]): boolean {
  return (
    app.metadata.annotations?.[SELF_MANAGEMENT_ANNOTATION] === 'true' &&
    hubNs.includes(app.metadata.namespace ?? '')
  );
}
