// Kubernetes label-selector matching, used for cluster labels and for the post-selector that
// filters any generator's parameter sets.

import { flattenParams } from '../params.js';
import type { LabelSelector, Params } from '../types.js';

/**
 * Whether `labels` satisfy `sel`, with Kubernetes semantics: every `matchLabels` entry and every
 * expression must hold; `NotIn` and `DoesNotExist` also hold when the key is absent. An undefined
 * or empty selector matches everything. An `In` without values matches nothing (see
 * {@link selectorProblem} to reject such selectors up front).
 */
export function matchesSelector(labels: Record<string, string>, sel: LabelSelector | undefined): boolean {
  if (!sel) return true;
  for (const [key, value] of Object.entries(sel.matchLabels ?? {})) {
    if (!Object.hasOwn(labels, key) || labels[key] !== value) return false;
  }
  for (const req of sel.matchExpressions ?? []) {
    const present = Object.hasOwn(labels, req.key);
    const value = labels[req.key];
    const values = req.values ?? [];
    switch (req.operator) {
      case 'In':
        if (!present || value === undefined || !values.includes(value)) return false;
        break;
      case 'NotIn':
        if (present && value !== undefined && values.includes(value)) return false;
        break;
      case 'Exists':
        if (!present) return false;
        break;
      case 'DoesNotExist':
        if (present) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

/**
 * What is wrong with a selector, or undefined if it is valid: an unknown operator, `In`/`NotIn`
 * without values, or `Exists`/`DoesNotExist` with values.
 */
export function selectorProblem(sel: LabelSelector | undefined): string | undefined {
  for (const [i, req] of (sel?.matchExpressions ?? []).entries()) {
    const where = `matchExpressions[${i}] (key "${req.key}")`;
    const count = req.values?.length ?? 0;
    switch (req.operator) {
      case 'In':
      case 'NotIn':
        if (count === 0) return `${where}: operator ${req.operator} needs at least one value`;
        break;
      case 'Exists':
      case 'DoesNotExist':
        if (count > 0) return `${where}: operator ${req.operator} takes no values`;
        break;
      default:
        return `${where}: unknown operator "${String(req.operator)}"`;
    }
  }
  return undefined;
}

/** Keeps the parameter sets whose flattened params (`metadata.labels.env`, …) match `sel`. */
export function filterBySelector(sets: Params[], sel: LabelSelector | undefined): Params[] {
  if (!sel) return sets;
  return sets.filter((params) => matchesSelector(flattenParams(params), sel));
}
