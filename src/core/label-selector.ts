/**
 * A Kubernetes label selector (`matchLabels` and `matchExpressions`, ANDed), as every resource of
 * gitfleet spells it (Project destinations, ApplicationSet generators and roll-out steps,
 * notification rules). Structural, so each API type's own selector fits.
 */
export interface LabelSelector {
  matchLabels?: Readonly<Record<string, string>>;
  matchExpressions?: readonly { key: string; operator: string; values?: readonly string[] }[];
}

/**
 * Whether `labels` satisfy `selector`, with Kubernetes semantics: every `matchLabels` entry and
 * every expression must hold; `NotIn` and `DoesNotExist` also hold when the key is absent. An
 * undefined or empty selector matches everything; an unknown operator or an `In` without values
 * matches nothing (see {@link selectorProblem} to reject such selectors up front). The one matcher
 * of the code base.
 */
export function matchesSelector(
  labels: Readonly<Record<string, string>>,
  selector: LabelSelector | undefined,
): boolean {
  if (!selector) return true;
  for (const [key, value] of Object.entries(selector.matchLabels ?? {}))
    if (!Object.hasOwn(labels, key) || labels[key] !== value) return false;
  for (const req of selector.matchExpressions ?? []) {
    const present = Object.hasOwn(labels, req.key);
    const value = present ? labels[req.key] : undefined;
    const values = req.values ?? [];
    switch (req.operator) {
      case 'In':
        if (value === undefined || !values.includes(value)) return false;
        break;
      case 'NotIn':
        if (value !== undefined && values.includes(value)) return false;
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
export function selectorProblem(selector: LabelSelector | undefined): string | undefined {
  for (const [i, req] of (selector?.matchExpressions ?? []).entries()) {
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
        return `${where}: unknown operator "${req.operator}"`;
    }
  }
  return undefined;
}
