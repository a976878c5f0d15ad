import type { KubeObject } from '../../kube/types.js';
import { condition } from './read.js';
import type { HealthResult } from './types.js';

/**
 * Health of an `apiregistration.k8s.io/APIService`: `Available=True` is Healthy, `Available=False`
 * (the backing service does not answer) is Degraded, no or Unknown condition is Progressing.
 */
export function apiServiceHealth(obj: KubeObject): HealthResult {
  const available = condition(obj, 'Available');
  if (available?.status === 'True') return { status: 'Healthy' };
  if (available?.status === 'False') {
    return {
      status: 'Degraded',
      message: available.message ?? available.reason ?? 'APIService is not available',
    };
  }
  return { status: 'Progressing', message: 'APIService is waiting to become available' };
}
