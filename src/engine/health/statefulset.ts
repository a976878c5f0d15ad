import type { KubeObject } from '../../kube/types.js';
import { rolloutNotObserved } from './generation.js';
import { num, str } from './read.js';
import type { HealthResult } from './types.js';

/**
 * Health of an `apps/StatefulSet`, following `kubectl rollout status`:
 * - `OnDelete` is Healthy once the spec is observed (pods change only when someone deletes them);
 * - fewer ready replicas than desired is Progressing;
 * - a partitioned rolling update is Healthy once the ordinals at or above the partition are updated;
 * - otherwise Healthy once `currentRevision` has caught up with `updateRevision`.
 * `spec.replicas` defaults to 1.
 */
export function statefulSetHealth(obj: KubeObject): HealthResult {
  const unobserved = rolloutNotObserved(obj);
  if (unobserved) return unobserved;

  if (str(obj, 'spec', 'updateStrategy', 'type') === 'OnDelete') {
    return { status: 'Healthy', message: 'StatefulSet uses OnDelete; pods are replaced manually' };
  }

  const desired = num(obj, 'spec', 'replicas') ?? 1;
  const ready = num(obj, 'status', 'readyReplicas') ?? 0;
  if (ready < desired) {
    return {
      status: 'Progressing',
      message: `StatefulSet rollout: ${ready} of ${desired} replicas are ready`,
    };
  }

  const partition = num(obj, 'spec', 'updateStrategy', 'rollingUpdate', 'partition') ?? 0;
  if (partition > 0) {
    // Only ordinals >= partition are updated, so the rollout is done when those are.
    const expected = Math.max(desired - partition, 0);
    const updated = num(obj, 'status', 'updatedReplicas') ?? 0;
    if (updated < expected) {
      return {
        status: 'Progressing',
        message: `StatefulSet partitioned rollout: ${updated} of ${expected} replicas have been updated`,
      };
    }
    return { status: 'Healthy', message: `StatefulSet partitioned rollout complete: ${updated} updated` };
  }

  const currentRevision = str(obj, 'status', 'currentRevision');
  const updateRevision = str(obj, 'status', 'updateRevision');
  if (updateRevision !== undefined && currentRevision !== updateRevision) {
    const updated = num(obj, 'status', 'updatedReplicas') ?? 0;
    return {
      status: 'Progressing',
      message: `StatefulSet rollout: ${updated} of ${desired} replicas at revision ${updateRevision}`,
    };
  }
  return { status: 'Healthy' };
}
