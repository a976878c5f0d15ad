/**
 * The verdict of one measurement, as Argo Rollouts decides it: `failureCondition` true → Failed;
 * else `successCondition` true → Successful, false → Inconclusive when a failureCondition exists
 * (neither held) or Failed when not; with only a failureCondition, not failing is Successful.
 * Conditions are CEL (@marcbachmann/cel-js) with the value bound to `result`.
 */
import type { AnalysisMetric, Verdict } from '../api/delivery.js';
import { celEnvironment } from '../core/cel.js';

type Program = (ctx: Record<string, unknown>) => unknown;
const compiled = new Map<string, Program>();

/** Parses (once) a condition; a syntax error names the field. */
export function compileCondition(text: string, where: string): Program {
  let p = compiled.get(text);
  if (!p) {
    try {
      p = celEnvironment().parse(text) as Program;
    } catch (err) {
      throw new Error(
        `${where}: not a CEL expression: ${(err instanceof Error ? err.message : String(err)).split('\n')[0]}`,
      );
    }
    if (compiled.size > 1000) compiled.clear();
    compiled.set(text, p);
  }
  return p;
}

export function verdictOf(
  metric: AnalysisMetric,
  result: unknown,
  where: string,
): { verdict: Verdict; message?: string } {
  const run = (field: 'successCondition' | 'failureCondition'): boolean => {
    const text = metric[field] as string;
    const v = compileCondition(text, `${where}.${field}`)({ result });
    if (typeof v !== 'boolean') throw new Error(`${where}.${field} gave ${typeof v}, not a boolean`);
    return v;
  };
  try {
    if (metric.failureCondition && run('failureCondition'))
      return { verdict: 'Failed', message: `failureCondition ${metric.failureCondition} is true` };
    if (metric.successCondition) {
      if (run('successCondition')) return { verdict: 'Successful' };
      return metric.failureCondition
        ? { verdict: 'Inconclusive', message: 'neither condition holds' }
        : { verdict: 'Failed', message: `successCondition ${metric.successCondition} is false` };
    }
    if (metric.failureCondition) return { verdict: 'Successful' };
    return result === false ? { verdict: 'Failed', message: 'the check failed' } : { verdict: 'Successful' };
  } catch (err) {
    return {
      verdict: 'Error',
      message: (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '',
    };
  }
}
