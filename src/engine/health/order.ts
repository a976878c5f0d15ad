import { healthOrder, type HealthStatus } from './types.js';

/** True when `a` is strictly worse than `b` in {@link healthOrder}; equal statuses are not worse. */
export function isWorse(a: HealthStatus, b: HealthStatus): boolean {
  return healthOrder.indexOf(a) > healthOrder.indexOf(b);
}

/** The worst status in `statuses`; `Healthy` for an empty list (nothing is unwell). */
export function worst(statuses: HealthStatus[]): HealthStatus {
  let result: HealthStatus = 'Healthy';
  for (const status of statuses) {
    if (isWorse(status, result)) result = status;
  }
  return result;
}
