import type { KubeObject } from '../../kube/types.js';
import { str } from './read.js';
import type { HealthResult } from './types.js';

/**
 * Health of a core `PersistentVolumeClaim`: `Bound` is Healthy, `Lost` (its volume is gone) is
 * Degraded, `Pending` or no phase yet is Progressing.
 */
export function pvcHealth(obj: KubeObject): HealthResult {
  switch (str(obj, 'status', 'phase')) {
    case 'Bound':
      return { status: 'Healthy' };
    case 'Lost':
      return { status: 'Degraded', message: 'PersistentVolumeClaim lost its volume' };
    default:
      return { status: 'Progressing', message: 'PersistentVolumeClaim is waiting to be bound' };
  }
}
