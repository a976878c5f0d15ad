// Argo CD's `ignoreApplicationDifferences[].jqPathExpressions`: Argo removes the fields each
// expression selects from both the generated and the existing Application before comparing them.
// Here every expression is turned into the JSON pointers it selects, in the existing Application
// and in the generated one, and handed to `ignoreDifferences` like `jsonPointers`: the existing
// value is kept, or the field stays absent. jq runs through the engine's wrapper (argv array,
// empty environment, 1 s timeout, bounded output; src/engine/diff/jq.ts).

import { jqPaths, type JqOptions } from '../engine/diff/jq.js';
import type { KubeObject } from '../kube/types.js';
import { TemplateError } from './errors.js';

export interface AppSetIgnoreRule {
  name?: string;
  jsonPointers?: string[];
  jqPathExpressions?: string[];
}

/**
 * The rules with each jqPathExpression replaced by the pointers it selects in `desired` and
 * `existing` (a rule naming another Application is left as it is). Throws a TemplateError naming
 * `spec.ignoreApplicationDifferences[i].jqPathExpressions[j]` when jq cannot evaluate it.
 */
export async function withJqPointers(
  rules: readonly AppSetIgnoreRule[] | undefined,
  desired: KubeObject,
  existing: KubeObject | undefined,
  opts: JqOptions = {},
): Promise<{ name?: string; jsonPointers?: string[] }[] | undefined> {
  if (!rules || !existing || !rules.some((r) => r.jqPathExpressions?.length)) return rules?.slice();
  const out: { name?: string; jsonPointers?: string[] }[] = [];
  for (const [i, rule] of rules.entries()) {
    const { jqPathExpressions, ...rest } = rule;
    if (!jqPathExpressions?.length || (rule.name && rule.name !== desired.metadata.name)) {
      out.push(rest);
      continue;
    }
    const pointers = new Set(rule.jsonPointers ?? []);
    for (const [j, expr] of jqPathExpressions.entries()) {
      try {
        for (const obj of [existing, desired])
          for (const p of await jqPaths(expr, obj, opts)) pointers.add(p);
      } catch (e) {
        throw new TemplateError(
          `spec.ignoreApplicationDifferences[${i}].jqPathExpressions[${j}]`,
          e instanceof Error ? e.message : String(e),
        );
      }
    }
    out.push({ ...rest, jsonPointers: [...pointers] });
  }
  return out;
}
