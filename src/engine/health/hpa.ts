import type { KubeObject } from '../../kube/types.js';
import { conditions, toCondition, type Condition } from './read.js';
import type { HealthResult } from './types.js';

/**
 * autoscaling/v1 has no `status.conditions`; the API server carries the v2 conditions in this
 * annotation as a JSON list.
 */
const v1ConditionsAnnotation = 'autoscaling.alpha.kubernetes.io/conditions';

/** False-condition reasons that mean the autoscaler cannot do its job until something is fixed. */
const failureReasons = new Set(['InvalidSelector', 'InvalidMetricSourceType']);

function isFailure(c: Condition): boolean {
  if (c.status !== 'False' || c.reason === undefined) return false;
  // FailedGetScale, FailedUpdateScale, FailedGetResourceMetric, FailedGetExternalMetric, ...
  return c.reason.startsWith('Failed') || failureReasons.has(c.reason);
}

/** The HPA's conditions from `status.conditions`, else from the autoscaling/v1 annotation. */
function hpaConditions(obj: KubeObject): Condition[] {
  const fromStatus = conditions(obj);
  if (fromStatus.length > 0) return fromStatus;
  const annotation = obj.metadata.annotations?.[v1ConditionsAnnotation];
  if (annotation === undefined) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(annotation);
  } catch {
    // A garbled annotation tells us nothing; treat it as "no conditions yet".
    return [];
  }
  if (!Array.isArray(parsed)) return [];
  return parsed.map(toCondition).filter((c): c is Condition => c !== undefined);
}

/**
 * Health of an `autoscaling/HorizontalPodAutoscaler` (v1 and v2):
 * - no conditions yet is Progressing (the controller has not evaluated it);
 * - `AbleToScale` or `ScalingActive` False with a failure reason (`FailedGetScale`,
 *   `FailedGetResourceMetric`, `InvalidSelector`, …) is Degraded;
 * - `ScalingActive=False` with `ScalingDisabled` (target scaled to zero on purpose) is Suspended;
 * - `ScalingActive=True` is Healthy whatever `ScalingLimited` says (hitting min/max is normal);
 *   back-off reasons on `AbleToScale=False` are normal cool-down, not failures;
 * - otherwise Progressing (waiting for metrics).
 */
export function hpaHealth(obj: KubeObject): HealthResult {
  const all = hpaConditions(obj);
  if (all.length === 0)
    return { status: 'Progressing', message: 'HorizontalPodAutoscaler has no conditions yet' };

  const failed = all.find((c) => (c.type === 'AbleToScale' || c.type === 'ScalingActive') && isFailure(c));
  if (failed) {
    return { status: 'Degraded', message: `${failed.type}: ${failed.message ?? failed.reason ?? 'False'}` };
  }
  const active = all.find((c) => c.type === 'ScalingActive');
  if (active?.status === 'False' && active.reason === 'ScalingDisabled') {
    return { status: 'Suspended', message: active.message ?? 'Scaling is disabled' };
  }
  if (active?.status === 'True') return { status: 'Healthy' };
  return {
    status: 'Progressing',
    message: active?.message ?? 'HorizontalPodAutoscaler is waiting for scaling to become active',
  };
}
