import type { KubeObject } from '../../kube/types.js';
import { num } from './read.js';
import type { HealthResult } from './types.js';

/**
 * `Progressing` while the workload controller has not yet seen the latest spec
 * (`status.observedGeneration < metadata.generation`): until then every other status field
 * describes the previous spec and would report a stale Healthy. A missing observedGeneration on an
 * object that has a generation counts as 0 (the controller has not written status yet); an object
 * without `metadata.generation` (e.g. a rendered manifest) is not judged by this rule.
 */
export function rolloutNotObserved(obj: KubeObject): HealthResult | undefined {
  const generation = num(obj, 'metadata', 'generation');
  if (generation === undefined) return undefined;
  const observed = num(obj, 'status', 'observedGeneration') ?? 0;
  if (observed >= generation) return undefined;
  return {
    status: 'Progressing',
    message: `${obj.kind}: waiting for rollout to be observed (observed generation ${observed} of ${generation})`,
  };
}
