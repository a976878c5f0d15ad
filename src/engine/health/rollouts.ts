import type { KubeObject } from '../../kube/types.js';
import { bool, condition, field, list, str } from './read.js';
import type { HealthResult } from './types.js';

/**
 * argoproj.io Rollout, read as the rollouts controller reports it:
 * - `status.observedGeneration` (a string in older versions, a number in newer) below
 *   `metadata.generation`: Progressing (status describes the previous spec);
 * - an `InvalidSpec` condition: Degraded;
 * - paused (`spec.paused` or `status.pauseConditions`) or `status.phase: Paused`: Suspended, since
 *   a canary step waits for a person or an analysis;
 * - otherwise `status.phase` (Healthy, Progressing, Degraded) as written, with `status.message`.
 */
export function rolloutHealth(obj: KubeObject): HealthResult {
  const generation = Number(field(obj, 'metadata', 'generation') ?? NaN);
  const observed = Number(field(obj, 'status', 'observedGeneration') ?? NaN);
  if (Number.isFinite(generation) && (!Number.isFinite(observed) || observed < generation)) {
    return { status: 'Progressing', message: 'Rollout: waiting for the controller to observe the spec' };
  }
  const invalid = condition(obj, 'InvalidSpec');
  if (invalid?.status === 'True') {
    return {
      status: 'Degraded',
      message: `Rollout: invalid spec: ${invalid.message ?? invalid.reason ?? ''}`,
    };
  }
  const phase = str(obj, 'status', 'phase');
  const message = str(obj, 'status', 'message');
  if (
    bool(obj, 'spec', 'paused') === true ||
    list(obj, 'status', 'pauseConditions').length > 0 ||
    phase === 'Paused'
  ) {
    return { status: 'Suspended', message: `Rollout: paused${message ? `: ${message}` : ''}` };
  }
  switch (phase) {
    case 'Healthy':
      return { status: 'Healthy' };
    case 'Degraded':
      return { status: 'Degraded', message: `Rollout: ${message ?? 'degraded'}` };
    default:
      return { status: 'Progressing', message: `Rollout: ${message ?? 'progressing'}` };
  }
}

/**
 * argoproj.io AnalysisRun: Successful is Healthy; Failed and Error Degraded; Inconclusive
 * Suspended (the rollout waits for a person to judge it); Pending, Running or no phase Progressing.
 */
export function analysisRunHealth(obj: KubeObject): HealthResult {
  const phase = str(obj, 'status', 'phase');
  const message = str(obj, 'status', 'message');
  switch (phase) {
    case 'Successful':
      return { status: 'Healthy' };
    case 'Failed':
    case 'Error':
      return { status: 'Degraded', message: `AnalysisRun ${phase}${message ? `: ${message}` : ''}` };
    case 'Inconclusive':
      return { status: 'Suspended', message: `AnalysisRun inconclusive${message ? `: ${message}` : ''}` };
    default:
      return { status: 'Progressing', message: `AnalysisRun ${phase ?? 'Pending'}` };
  }
}
