import type { KubeObject } from '../../kube/types.js';
import { bool, condition } from './read.js';
import type { HealthResult } from './types.js';

/**
 * Health of a `batch/Job`: `Failed=True` (or `FailureTarget=True`, which newer clusters set while
 * the failed job's pods are still being cleaned up) is Degraded; `Complete=True` is Healthy;
 * `spec.suspend` is Suspended; anything else is still running, so Progressing.
 */
export function jobHealth(obj: KubeObject): HealthResult {
  const failed = condition(obj, 'Failed') ?? condition(obj, 'FailureTarget');
  if (failed?.status === 'True') {
    return { status: 'Degraded', message: failed.message ?? failed.reason ?? 'Job failed' };
  }
  const complete = condition(obj, 'Complete');
  if (complete?.status === 'True') {
    return { status: 'Healthy', message: complete.message ?? 'Job completed' };
  }
  if (bool(obj, 'spec', 'suspend') === true) {
    return { status: 'Suspended', message: 'Job is suspended' };
  }
  return { status: 'Progressing', message: 'Job is running' };
}
