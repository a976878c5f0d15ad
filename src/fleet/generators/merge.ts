import { GeneratorError } from '../errors.js';
import { deepMerge, isRecord } from '../params.js';
import type { MergeGeneratorSpec, Params } from '../types.js';
import { goJson } from '../template/go-values.js';
import type { GeneratorCall, GeneratorContext } from './context.js';

/**
 * A merge key's value in one set: the flat key if present, else (goTemplate) the dotted path
 * walked through nested maps; absent keys read as null.
 */
function keyValue(params: Params, key: string): unknown {
  if (Object.hasOwn(params, key)) return params[key];
  let current: unknown = params;
  for (const part of key.split('.')) {
    if (!isRecord(current) || !Object.hasOwn(current, part)) return null;
    current = current[part];
  }
  return current;
}

function indexByKeys(
  sets: Params[],
  keys: string[],
  child: string,
  call: GeneratorCall,
): Map<string, number> {
  const index = new Map<string, number>();
  sets.forEach((set, i) => {
    const id = goJson(keys.map((k) => keyValue(set, k)));
    if (index.has(id)) {
      throw new GeneratorError(
        call.path,
        `merge: ${child} produced two parameter sets with merge keys ${id}`,
      );
    }
    index.set(id, i);
  });
  return index;
}

/**
 * The merge generator: the first child's sets are the base, in its order. A set of a later child
 * whose `mergeKeys` values all equal a base set's overrides that set's params (goTemplate: deep
 * merge; fasttemplate: key by key); later children win over earlier ones; unmatched sets of later
 * children are dropped. Fewer than two children, no merge keys, or two sets of one child with the
 * same key values are GeneratorErrors.
 */
export async function mergeParams(
  spec: MergeGeneratorSpec,
  ctx: GeneratorContext,
  call: GeneratorCall,
): Promise<Params[]> {
  const keys = [...new Set(spec.mergeKeys)];
  if (keys.length === 0) throw new GeneratorError(call.path, 'merge needs at least one merge key');
  if (spec.generators.length < 2) {
    throw new GeneratorError(
      call.path,
      `merge needs at least 2 child generators, got ${spec.generators.length}`,
    );
  }
  const base = `${call.path}.generators`;
  const results: Params[][] = [];
  for (const [i, child] of spec.generators.entries())
    results.push(await ctx.run(child, `${base}[${i}]`, call.scope));
  const [first = [], ...later] = results;
  const merged = [...first];
  const baseIndex = indexByKeys(merged, keys, 'generators[0]', call);
  later.forEach((sets, n) => {
    const index = indexByKeys(sets, keys, `generators[${n + 1}]`, call);
    for (const [id, at] of index) {
      const target = baseIndex.get(id);
      const current = target === undefined ? undefined : merged[target];
      const override = sets[at];
      if (target === undefined || !current || !override) continue;
      merged[target] = ctx.goTemplate ? deepMerge(current, override) : { ...current, ...override };
    }
  });
  return merged;
}
