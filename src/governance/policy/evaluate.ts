import type { PolicyResult, Project, ProjectPolicy } from '../../api/project.js';
import { GitfleetError } from '../../core/errors.js';
import type { KubeObject } from '../../kube/types.js';
import { anyWildcard } from '../glob.js';
import { BUILTIN_RULES, type Finding } from './builtins.js';
import { compileCel } from './cel.js';

/** A rendered object and the name it is reported under (`Kind/namespace/name`). */
export interface PolicySubject {
  object: KubeObject;
  ref: string;
}

interface CompiledPolicy {
  policy: ProjectPolicy;
  mode: 'enforce' | 'warn';
  check: (o: KubeObject) => Finding[];
}

/**
 * Validates and compiles a project's policies. A rule that is a bare name must be a built-in (a
 * misspelt built-in is an error, not a CEL variable); anything else is CEL. Errors name the
 * project and field, e.g. `Project team-a: spec.policies[1].rule: …`.
 */
export function compilePolicies(project: Project): CompiledPolicy[] {
  const names = new Set<string>();
  return (project.spec.policies ?? []).map((policy, i) => {
    const at = (f: string): string => `Project ${project.metadata.name}: spec.policies[${i}].${f}`;
    const invalid = (f: string, why: string): GitfleetError =>
      new GitfleetError('project.InvalidSpec', `${at(f)}: ${why}`);
    if (!policy.name) throw invalid('name', 'is required');
    if (names.has(policy.name)) throw invalid('name', `"${policy.name}" is used twice`);
    names.add(policy.name);
    const mode = policy.mode ?? 'enforce';
    if (mode !== 'enforce' && mode !== 'warn')
      throw invalid('mode', `must be enforce or warn, not "${String(mode)}"`);
    const rule = policy.rule.trim();
    const builtin = BUILTIN_RULES[rule];
    let check: (o: KubeObject) => Finding[];
    try {
      if (builtin) check = builtin.compile(policy.parameters ?? {});
      else if (/^[A-Za-z]+$/.test(rule))
        throw new Error(
          `unknown built-in rule "${rule}" (built-ins: ${Object.keys(BUILTIN_RULES).join(', ')})`,
        );
      else
        check = compileCel(rule, {
          field: policy.field ?? '(object)',
          ...(policy.message ? { message: policy.message } : {}),
        });
    } catch (e) {
      throw invalid(
        builtin ? 'parameters' : 'rule',
        e instanceof Error ? (e.message.split('\n')[0] ?? e.message) : String(e),
      );
    }
    return { policy, mode, check };
  });
}

/**
 * Runs every policy of the project on every object its `kinds` select. Pure. Each result names
 * the policy, the object, the field and the mode; enforce results fail a sync, warn results do not.
 */
export function evaluatePolicies(project: Project, subjects: readonly PolicySubject[]): PolicyResult[] {
  const out: PolicyResult[] = [];
  for (const p of compilePolicies(project)) {
    for (const s of subjects) {
      if (p.policy.kinds && !anyWildcard(p.policy.kinds, s.object.kind)) continue;
      for (const f of p.check(s.object))
        out.push({ policy: p.policy.name, object: s.ref, field: f.field, message: f.message, mode: p.mode });
    }
  }
  return out;
}

/** One line per enforced result: `Deployment/ns/web spec.template.spec.containers[0].image: … (policy no-latest)`. */
export function formatPolicyResults(results: readonly PolicyResult[]): string {
  return results.map((r) => `${r.object} ${r.field}: ${r.message} (policy ${r.policy})`).join('; ');
}
