import type { KubeObject } from '../../kube/types.js';
import { str } from './read.js';
import type { HealthResult, HealthStatus } from './types.js';
import { healthOrder } from './types.js';

/**
 * gitfleet.dev (and argoproj.io) Application as a child of another app (app-of-apps): the child's
 * own reported health, so the parent is Healthy only once every child is. A child that has not
 * reported health yet, or whose status describes an older spec, is Progressing; a child that is
 * OutOfSync is Progressing too (it has not yet applied what its parent just changed).
 */
export function applicationHealth(obj: KubeObject): HealthResult {
  // An Application that owns itself (gitfleet's self-management: the chart renders the Application
  // installing it): its health is the one being computed, so it cannot wait for it.
  if (
    obj.metadata.annotations?.['gitfleet.dev/owner'] ===
    `${obj.metadata.namespace ?? ''}/${obj.metadata.name}`
  )
    return { status: 'Healthy', message: 'Application: manages itself' };
  const generation = Number(obj.metadata.generation ?? NaN);
  const observed = Number(
    (obj.status as { observedGeneration?: unknown } | undefined)?.observedGeneration ?? NaN,
  );
  if (Number.isFinite(generation) && Number.isFinite(observed) && observed < generation) {
    return { status: 'Progressing', message: 'Application: waiting for its controller to observe the spec' };
  }
  const health = str(obj, 'status', 'health', 'status');
  if (health === undefined || !(healthOrder as readonly string[]).includes(health)) {
    return { status: 'Progressing', message: 'Application: waiting for it to report health' };
  }
  const message = str(obj, 'status', 'health', 'message');
  if (health === 'Healthy' && str(obj, 'status', 'sync', 'status') === 'OutOfSync') {
    return { status: 'Progressing', message: 'Application: OutOfSync' };
  }
  return message ? { status: health as HealthStatus, message } : { status: health as HealthStatus };
}
