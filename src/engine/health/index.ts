/**
 * Health assessment: pure functions from a live object to a {@link HealthResult}.
 *
 * How it works:
 * - `assessHealth` first answers Progressing "Pending deletion" for an object being deleted, then
 *   asks the caller's override for the object's group/kind, then the built-in assessor from a
 *   table keyed by group/kind (one file per kind), and for any other kind reads standard
 *   `status.conditions` (Ready, Reconciling, Stalled). Kinds with no health, such as ConfigMap or
 *   a custom resource without conditions, give `undefined`, never a guessed Healthy.
 * - Workloads (Deployment, StatefulSet, DaemonSet, ReplicaSet) are Progressing until their
 *   controller has observed the current generation; after that they follow `kubectl rollout
 *   status`.
 * - Statuses are ordered Healthy < Suspended < Progressing < Missing < Degraded < Unknown;
 *   `isWorse`/`worst` compare them and `aggregateHealth` reports the worst of a group.
 */
export { healthOrder, type HealthAssessor, type HealthResult, type HealthStatus } from './types.js';
export { isWorse, worst } from './order.js';
export { aggregateHealth } from './aggregate.js';
export { assessHealth, type AssessHealthOptions } from './assess.js';
export { groupKindKey, groupKindOf } from './dispatch.js';
export {
  compileHealthCheckExprs,
  HealthCheckExprCache,
  healthCheckExprsFromConfigMap,
  type HealthCheckExpr,
} from './cel.js';
