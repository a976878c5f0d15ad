import type { KubeObject } from '../../kube/types.js';

/** Health statuses, best first; `isWorse` follows this order (Missing/Unknown rank as Argo CD does). */
export const healthOrder = ['Healthy', 'Suspended', 'Progressing', 'Missing', 'Degraded', 'Unknown'] as const;
/** One health status; compare with `isWorse`, never by string order. */
export type HealthStatus = (typeof healthOrder)[number];

/** The health of one object or group, with a short human-readable reason when not obvious. */
export interface HealthResult {
  status: HealthStatus;
  /** Why, e.g. `Deployment rollout: 1 of 3 updated replicas are available`; absent when nothing to add. */
  message?: string;
}

/**
 * Assesses one object. `undefined` means the object has no health (not "Healthy"): callers leave
 * it out of aggregates instead of counting it as good.
 */
export type HealthAssessor = (obj: KubeObject) => HealthResult | undefined;
