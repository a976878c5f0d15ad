// Kubernetes label-selector matching, used for cluster labels and for the post-selector that
// filters any generator's parameter sets.

import { flattenParams } from '../params.js';
import { matchesSelector } from '../../core/label-selector.js';
import type { LabelSelector, Params } from '../types.js';

// The one matcher (and check) of Kubernetes label selectors lives in core.
export { matchesSelector, selectorProblem } from '../../core/label-selector.js';

/** Keeps the parameter sets whose flattened params (`metadata.labels.env`, …) match `sel`. */
export function filterBySelector(sets: Params[], sel: LabelSelector | undefined): Params[] {
  if (!sel) return sets;
  return sets.filter((params) => matchesSelector(flattenParams(params), sel));
}
