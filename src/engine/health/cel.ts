/**
 * Custom health in CEL, in the shape of Flux's `healthCheckExprs`: per apiVersion/kind, boolean
 * expressions `inProgress`, `failed` and `current` over the live object (its top-level fields
 * `metadata`, `spec`, `status`… are the variables). They are tried in that order and the first
 * true one decides: Progressing, Degraded, Healthy; none true is Progressing. An expression that
 * errors at evaluation (a field not there yet: guard with `has()` or `?.`) counts as false.
 *
 * An expression that does not parse is reported once (naming the kind and where it was set) and
 * its kind falls back to the built-in or generic assessor: one bad rule must not hide the health
 * of everything else. CEL is @marcbachmann/cel-js (no hand-written parser), with optional types.
 */
import { parse as parseYaml } from 'yaml';

import { celEnvironment } from '../../core/cel.js';
import { groupOf } from '../../core/index.js';
import type { KubeObject } from '../../kube/types.js';
import { groupKindKey } from './dispatch.js';
import type { HealthAssessor, HealthResult } from './types.js';

/** One entry of `healthCheckExprs`. */
export interface HealthCheckExpr {
  apiVersion: string;
  kind: string;
  current: string;
  inProgress?: string;
  failed?: string;
}

/** The result of compiling a list: assessors by group/kind, and one message per broken entry. */
export interface CompiledHealthChecks {
  overrides: Map<string, HealthAssessor>;
  errors: string[];
}

type Program = (ctx: Record<string, unknown>) => unknown;

/**
 * Compiles `exprs` (from `source`, e.g. `ConfigMap gitfleet/gitfleet-health-checks` or `Project
 * team-a`). Broken entries are left out and described in `errors`; later entries for the same
 * kind replace earlier ones (a Project's entry overrides the cluster-wide one when appended after).
 */
export function compileHealthCheckExprs(exprs: readonly unknown[], source: string): CompiledHealthChecks {
  const overrides = new Map<string, HealthAssessor>();
  const errors: string[] = [];
  exprs.forEach((raw, i) => {
    const e = raw as Partial<HealthCheckExpr> | null;
    const where = `${source}: healthCheckExprs[${i}]`;
    if (!e || typeof e.apiVersion !== 'string' || typeof e.kind !== 'string') {
      errors.push(`${where}: apiVersion and kind are required`);
      return;
    }
    const key = groupKindKey(groupOf(e.apiVersion), e.kind);
    if (typeof e.current !== 'string' || e.current.trim() === '') {
      errors.push(`${where} (${key}): current is required`);
      return;
    }
    const programs: [keyof HealthCheckExpr, HealthResult['status'], Program][] = [];
    try {
      for (const [field, status] of [
        ['inProgress', 'Progressing'],
        ['failed', 'Degraded'],
        ['current', 'Healthy'],
      ] as const) {
        const text = e[field];
        if (text === undefined) continue;
        if (typeof text !== 'string') throw new Error(`${field} must be a string`);
        try {
          programs.push([field, status, celEnvironment().parse(text) as Program]);
        } catch (err) {
          throw new Error(`${field}: ${firstLine(err)}`);
        }
      }
    } catch (err) {
      errors.push(`${where} (${key}): ${firstLine(err)}; using the built-in health for ${key}`);
      return;
    }
    overrides.set(key, (obj) => evaluate(obj, programs));
  });
  return { overrides, errors };
}

function evaluate(
  obj: KubeObject,
  programs: [keyof HealthCheckExpr, HealthResult['status'], Program][],
): HealthResult {
  // Absent spec/status read as empty maps, so `has(status.x)` works before the controller wrote any.
  const ctx: Record<string, unknown> = { spec: {}, status: {}, ...obj };
  for (const [field, status, program] of programs) {
    let result: unknown;
    try {
      result = program(ctx);
    } catch {
      continue;
    }
    if (result === true) return { status, message: `${obj.kind}: health expression ${field} is true` };
  }
  return { status: 'Progressing', message: `${obj.kind}: no health expression is true yet` };
}

function firstLine(err: unknown): string {
  const m = err instanceof Error ? err.message : String(err);
  return m.split('\n')[0] ?? m;
}

/** Reads the `healthCheckExprs` key of a ConfigMap's data (a YAML list); errors name the ConfigMap. */
export function healthCheckExprsFromConfigMap(cm: KubeObject): { exprs: unknown[]; errors: string[] } {
  const source = `ConfigMap ${cm.metadata.namespace ?? ''}/${cm.metadata.name}`;
  const text = (cm as { data?: Record<string, string> }).data?.healthCheckExprs;
  if (text === undefined) return { exprs: [], errors: [] };
  try {
    const parsed: unknown = parseYaml(text);
    if (parsed === null || parsed === undefined) return { exprs: [], errors: [] };
    if (!Array.isArray(parsed))
      return { exprs: [], errors: [`${source}: healthCheckExprs must be a YAML list`] };
    return { exprs: parsed, errors: [] };
  } catch (err) {
    return { exprs: [], errors: [`${source}: healthCheckExprs is not valid YAML: ${firstLine(err)}`] };
  }
}

/**
 * Compiles once per distinct configuration and reports each broken entry once (not on every
 * reconcile): `report` is called the first time a given message is seen.
 */
export class HealthCheckExprCache {
  readonly #reported = new Set<string>();
  #last: { text: string; compiled: CompiledHealthChecks } | undefined;
  constructor(private readonly report: (message: string) => void) {}

  get(exprs: readonly unknown[], source: string): Map<string, HealthAssessor> {
    const text = `${source}\n${JSON.stringify(exprs)}`;
    if (this.#last?.text !== text) this.#last = { text, compiled: compileHealthCheckExprs(exprs, source) };
    this.reportOnce(this.#last.compiled.errors);
    return this.#last.compiled.overrides;
  }

  /** Reports each message the first time it is seen. */
  reportOnce(messages: readonly string[]): void {
    for (const e of messages) {
      if (this.#reported.has(e)) continue;
      this.#reported.add(e);
      this.report(e);
    }
  }
}
