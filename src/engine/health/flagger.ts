import type { KubeObject } from '../../kube/types.js';
import { condition, str } from './read.js';
import type { HealthResult } from './types.js';

/**
 * flagger.app Canary, by `status.phase`: Initialized and Succeeded are Healthy; Failed is Degraded;
 * Waiting and WaitingPromotion are Suspended (a gate waits for approval); Initializing,
 * Progressing, Promoting, Finalising and no phase yet are Progressing.
 */
export function canaryHealth(obj: KubeObject): HealthResult {
  const phase = str(obj, 'status', 'phase');
  const message = condition(obj, 'Promoted')?.message;
  const why = message ? `: ${message}` : '';
  switch (phase) {
    case 'Initialized':
    case 'Succeeded':
      return { status: 'Healthy' };
    case 'Failed':
      return { status: 'Degraded', message: `Canary failed${why}` };
    case 'Waiting':
    case 'WaitingPromotion':
      return { status: 'Suspended', message: `Canary ${phase}${why}` };
    default:
      return { status: 'Progressing', message: `Canary ${phase ?? 'Initializing'}${why}` };
  }
}
