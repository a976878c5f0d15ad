import type { KubeObject } from '../../kube/types.js';
import { rolloutNotObserved } from './generation.js';
import { bool, condition, num } from './read.js';
import type { HealthResult } from './types.js';

/**
 * Health of an `apps/Deployment`, following `kubectl rollout status`: paused is `Suspended`;
 * an unobserved spec, missing updated replicas, old replicas still running or updated replicas
 * not yet available are `Progressing`; a `ProgressDeadlineExceeded` rollout is `Degraded`.
 * `spec.replicas` defaults to 1, as the API server does.
 */
export function deploymentHealth(obj: KubeObject): HealthResult {
  // Paused first: a paused rollout never progresses, so reporting Progressing would wait forever.
  if (bool(obj, 'spec', 'paused') === true) {
    return { status: 'Suspended', message: 'Deployment is paused' };
  }
  const unobserved = rolloutNotObserved(obj);
  if (unobserved) return unobserved;

  const progressing = condition(obj, 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded') {
    return {
      status: 'Degraded',
      message: progressing.message ?? `Deployment ${obj.metadata.name} exceeded its progress deadline`,
    };
  }

  const desired = num(obj, 'spec', 'replicas') ?? 1;
  const updated = num(obj, 'status', 'updatedReplicas') ?? 0;
  const current = num(obj, 'status', 'replicas') ?? 0;
  const available = num(obj, 'status', 'availableReplicas') ?? 0;
  if (updated < desired) {
    return {
      status: 'Progressing',
      message: `Deployment rollout: ${updated} of ${desired} replicas have been updated`,
    };
  }
  if (current > updated) {
    return {
      status: 'Progressing',
      message: `Deployment rollout: ${current - updated} old replicas are pending termination`,
    };
  }
  if (available < updated) {
    return {
      status: 'Progressing',
      message: `Deployment rollout: ${available} of ${updated} updated replicas are available`,
    };
  }
  return { status: 'Healthy' };
}
