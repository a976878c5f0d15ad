import type { KubeObject } from '../../kube/types.js';
import { rolloutNotObserved } from './generation.js';
import { num, str } from './read.js';
import type { HealthResult } from './types.js';

/**
 * Health of an `apps/DaemonSet`, following `kubectl rollout status`: `OnDelete` is Healthy once
 * the spec is observed; otherwise Progressing until every scheduled node runs an updated pod and
 * every scheduled pod is available. A DaemonSet that matches no node (desired 0) is Healthy.
 */
export function daemonSetHealth(obj: KubeObject): HealthResult {
  const unobserved = rolloutNotObserved(obj);
  if (unobserved) return unobserved;

  if (str(obj, 'spec', 'updateStrategy', 'type') === 'OnDelete') {
    return { status: 'Healthy', message: 'DaemonSet uses OnDelete; pods are replaced manually' };
  }

  const desired = num(obj, 'status', 'desiredNumberScheduled') ?? 0;
  const updated = num(obj, 'status', 'updatedNumberScheduled') ?? 0;
  const available = num(obj, 'status', 'numberAvailable') ?? 0;
  if (updated < desired) {
    return {
      status: 'Progressing',
      message: `DaemonSet rollout: ${updated} of ${desired} pods have been updated`,
    };
  }
  if (available < desired) {
    return {
      status: 'Progressing',
      message: `DaemonSet rollout: ${available} of ${desired} updated pods are available`,
    };
  }
  return { status: 'Healthy' };
}
