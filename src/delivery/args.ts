/**
 * Analysis arguments: a template declares `args` (with optional defaults), the caller (a Canary
 * step, a roll-out gate) gives values, and the context supplies `app`, `cluster`, `namespace` and
 * `revision`. `{{args.name}}` in a query, URL or body is replaced by the value.
 */
import type { AnalysisArg } from '../api/delivery.js';

/** Context values every analysis may use without declaring them. */
export interface AnalysisContext {
  app?: string;
  cluster?: string;
  namespace?: string;
  revision?: string;
}

/**
 * Resolves a template's arguments: given values win over the template's defaults, which win over
 * the context's. A declared argument left without any value is an error naming it.
 */
export function resolveArgs(
  template: string,
  declared: readonly AnalysisArg[] | undefined,
  given: readonly AnalysisArg[] | undefined,
  ctx: AnalysisContext,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(ctx)) if (typeof v === 'string') out[k] = v;
  for (const a of declared ?? []) if (a.value !== undefined) out[a.name] = a.value;
  for (const a of given ?? []) if (a.value !== undefined) out[a.name] = a.value;
  for (const a of declared ?? []) {
    if (out[a.name] === undefined)
      throw new Error(`AnalysisTemplate ${template}: argument "${a.name}" has no value (give it in args)`);
  }
  return out;
}

/** Replaces `{{args.name}}`; an unknown name is an error naming the template, never an empty string. */
export function substitute(text: string, args: Record<string, string>, where: string): string {
  return text.replace(/\{\{\s*args\.([A-Za-z0-9_.-]+)\s*\}\}/g, (_, name: string) => {
    const v = args[name];
    if (v === undefined) throw new Error(`${where}: {{args.${name}}} is not an argument of the analysis`);
    return v;
  });
}
