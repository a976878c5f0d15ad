import type { KubeObject } from '../../kube/types.js';
import { condition } from './read.js';
import type { HealthResult } from './types.js';

/**
 * Health of an `apiextensions.k8s.io/CustomResourceDefinition`: `NamesAccepted=False` (a name
 * conflicts with another CRD) is Degraded; `Established=True` (the API server serves it) is
 * Healthy; anything else is Progressing.
 */
export function crdHealth(obj: KubeObject): HealthResult {
  const names = condition(obj, 'NamesAccepted');
  if (names?.status === 'False') {
    return {
      status: 'Degraded',
      message: names.message ?? names.reason ?? 'CustomResourceDefinition names not accepted',
    };
  }
  if (condition(obj, 'Established')?.status === 'True') return { status: 'Healthy' };
  return { status: 'Progressing', message: 'CustomResourceDefinition is not established yet' };
}
