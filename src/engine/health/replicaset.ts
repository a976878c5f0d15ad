import type { KubeObject } from '../../kube/types.js';
import { rolloutNotObserved } from './generation.js';
import { condition, num } from './read.js';
import type { HealthResult } from './types.js';

/**
 * Health of an `apps/ReplicaSet`: `ReplicaFailure=True` (e.g. a quota or admission refusal while
 * creating pods) is Degraded; fewer available replicas than `spec.replicas` (default 1) is
 * Progressing; otherwise Healthy.
 */
export function replicaSetHealth(obj: KubeObject): HealthResult {
  const unobserved = rolloutNotObserved(obj);
  if (unobserved) return unobserved;

  const failure = condition(obj, 'ReplicaFailure');
  if (failure?.status === 'True') {
    return {
      status: 'Degraded',
      message: failure.message ?? failure.reason ?? 'ReplicaSet cannot create pods',
    };
  }

  const desired = num(obj, 'spec', 'replicas') ?? 1;
  const available = num(obj, 'status', 'availableReplicas') ?? 0;
  if (available < desired) {
    return {
      status: 'Progressing',
      message: `ReplicaSet: ${available} of ${desired} replicas are available`,
    };
  }
  return { status: 'Healthy' };
}
