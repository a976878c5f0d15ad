import { parse as yamlParse } from 'yaml';
import { GeneratorError } from '../errors.js';
import { cloneJson, flattenParams, isRecord } from '../params.js';
import type { ListGeneratorSpec, Params } from '../types.js';
import { interpolate } from './context.js';
import type { GeneratorCall, GeneratorContext } from './context.js';

/**
 * The list generator: each element is one parameter set; Argo CD's `elementsYaml` (a YAML list,
 * rendered with the matrix scope first) adds more after `elements`. goTemplate keeps nested values
 * as they are; fasttemplate flattens them to dotted keys with string values (`{a: {b: 1}}` →
 * `a.b: "1"`). An element that is not a map is a GeneratorError.
 */
export function listParams(spec: ListGeneratorSpec, ctx: GeneratorContext, call: GeneratorCall): Params[] {
  if (spec.elements !== undefined && !Array.isArray(spec.elements))
    throw new GeneratorError(call.path, 'list.elements must be a list');
  if (spec.elements === undefined && spec.elementsYaml === undefined)
    throw new GeneratorError(call.path, 'list needs elements or elementsYaml');
  const elements: unknown[] = [...interpolate(spec.elements ?? [], 'list.elements', ctx, call)];
  if (spec.elementsYaml !== undefined) {
    if (typeof spec.elementsYaml !== 'string')
      throw new GeneratorError(call.path, 'list.elementsYaml must be a string');
    const text = interpolate(spec.elementsYaml, 'list.elementsYaml', ctx, call);
    let parsed: unknown;
    try {
      parsed = yamlParse(text);
    } catch (e) {
      throw new GeneratorError(call.path, `list.elementsYaml is not YAML: ${(e as Error).message}`);
    }
    if (parsed !== null && !Array.isArray(parsed))
      throw new GeneratorError(call.path, 'list.elementsYaml must be a YAML list');
    elements.push(...((parsed as unknown[] | null) ?? []));
  }
  return elements.map((element, i) => {
    if (!isRecord(element)) {
      const fromElements = spec.elements?.length ?? 0;
      const where = i < fromElements ? `list.elements[${i}]` : `list.elementsYaml[${i - fromElements}]`;
      throw new GeneratorError(call.path, `${where} must be a map of parameters`);
    }
    return ctx.goTemplate ? cloneJson(element) : flattenParams(element);
  });
}
