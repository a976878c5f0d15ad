import { GeneratorError } from '../errors.js';
import { cloneJson, flattenParams, isRecord } from '../params.js';
import type { ListGeneratorSpec, Params } from '../types.js';
import { interpolate } from './context.js';
import type { GeneratorCall, GeneratorContext } from './context.js';

/**
 * The list generator: each element is one parameter set. goTemplate keeps nested values as they
 * are; fasttemplate flattens them to dotted keys with string values (`{a: {b: 1}}` → `a.b: "1"`).
 * An element that is not a map is a GeneratorError.
 */
export function listParams(spec: ListGeneratorSpec, ctx: GeneratorContext, call: GeneratorCall): Params[] {
  if (!Array.isArray(spec.elements)) throw new GeneratorError(call.path, 'list.elements must be a list');
  const elements = interpolate(spec.elements, 'list.elements', ctx, call);
  return elements.map((element, i) => {
    if (!isRecord(element)) {
      throw new GeneratorError(call.path, `list.elements[${i}] must be a map of parameters`);
    }
    return ctx.goTemplate ? cloneJson(element) : flattenParams(element);
  });
}
