import { GeneratorError } from '../errors.js';
import { deepMerge, flattenParams } from '../params.js';
import type { MatrixGeneratorSpec, Params } from '../types.js';
import { withScope } from './context.js';
import type { GeneratorCall, GeneratorContext } from './context.js';

/**
 * Joins one set of each child. goTemplate: a deep merge in which the first child's values win
 * (Argo CD fills gaps only). fasttemplate: a union of flat keys, and a key both children set to
 * different values is an error (as in Argo CD) — `pathParamPrefix` exists to avoid it.
 */
function combine(first: Params, second: Params, ctx: GeneratorContext, call: GeneratorCall): Params {
  if (ctx.goTemplate) return deepMerge(second, first);
  const a = flattenParams(first);
  const b = flattenParams(second);
  for (const [key, value] of Object.entries(b)) {
    if (Object.hasOwn(a, key) && a[key] !== value) {
      throw new GeneratorError(
        call.path,
        `matrix: parameter "${key}" is "${a[key] ?? ''}" in generators[0] but "${value}" in generators[1]; ` +
          'rename one (e.g. git pathParamPrefix)',
      );
    }
  }
  return { ...a, ...b };
}

/**
 * The matrix generator: every combination of the two children's parameter sets, in the first
 * child's order then the second's. The second child is generated once per set of the first, and
 * its spec may reference that set's params (`{{path}}`, `{{ .name }}`); its `values` see both.
 * Any number of children other than two is a GeneratorError.
 */
export async function matrixParams(
  spec: MatrixGeneratorSpec,
  ctx: GeneratorContext,
  call: GeneratorCall,
): Promise<Params[]> {
  const children = spec.generators;
  const [firstSpec, secondSpec] = children;
  if (children.length !== 2 || !firstSpec || !secondSpec) {
    throw new GeneratorError(call.path, `matrix needs exactly 2 child generators, got ${children.length}`);
  }
  const base = `${call.path}.generators`;
  const firsts = await ctx.run(firstSpec, `${base}[0]`, call.scope);
  const out: Params[] = [];
  for (const first of firsts) {
    const scope = withScope(call.scope, first, ctx.goTemplate);
    const seconds = await ctx.run(secondSpec, `${base}[1]`, scope);
    for (const second of seconds) out.push(combine(first, second, ctx, call));
  }
  return out;
}
