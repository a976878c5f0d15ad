import type { KubeObject } from '../../kube/types.js';
import { assessorFor, groupKindOf } from './dispatch.js';
import type { HealthAssessor, HealthResult } from './types.js';

/** Options of {@link assessHealth}. */
export interface AssessHealthOptions {
  /**
   * Per-kind health checks keyed by group/kind (`apps/Deployment`, or `Pod` for the core group;
   * see `groupKindKey`). An override that returns `undefined` defers to the built-in assessor; one
   * that throws makes the result `Unknown` with the error's message. Default: none.
   */
  overrides?: ReadonlyMap<string, HealthAssessor>;
}

/**
 * The health of one live object, or `undefined` when its kind has no health (never guessed
 * Healthy). In order: an object with `metadata.deletionTimestamp` is Progressing "Pending
 * deletion"; then the override for its group/kind, if any; then the built-in assessor; then, for
 * kinds without one, the generic `status.conditions` reader. Pure: reads only `obj`.
 */
export function assessHealth(obj: KubeObject, opts: AssessHealthOptions = {}): HealthResult | undefined {
  if (obj.metadata.deletionTimestamp) return { status: 'Progressing', message: 'Pending deletion' };
  const key = groupKindOf(obj);
  const override = opts.overrides?.get(key);
  if (override) {
    try {
      const result = override(obj);
      if (result) return result;
    } catch (err) {
      // A broken custom check must not hide the object or abort the whole assessment.
      return { status: 'Unknown', message: err instanceof Error ? err.message : String(err) };
    }
  }
  return assessorFor(key)?.(obj);
}
