// What every generator receives: the ports, the template mode, and how to run a child generator.

import { GitfleetError } from '../../core/errors.js';
import { GeneratorError, TemplateError } from '../errors.js';
import { deepMerge, fieldKey, flattenParams } from '../params.js';
import { renderTemplate } from '../template/render.js';
import type { FleetPorts, GeneratorSpec, Params } from '../types.js';

/** Shared by one `generate` call. */
export interface GeneratorContext {
  ports: FleetPorts;
  goTemplate: boolean;
  /** Runs a child generator (used by matrix and merge). */
  run(spec: GeneratorSpec, path: string, scope: Params | undefined): Promise<Params[]>;
}

/** Where a generator sits and which params its spec may reference. */
export interface GeneratorCall {
  /** e.g. `generators[0].matrix.generators[1].git` */
  path: string;
  /**
   * Params of the earlier matrix child(ren) this generator's spec is rendered with. Undefined
   * outside a matrix's later child: there the spec is taken literally, as in Argo CD.
   */
  scope: Params | undefined;
}

/** Combines an outer scope with a generator's own params; the generator's own params win. */
export function withScope(scope: Params | undefined, params: Params, goTemplate: boolean): Params {
  if (!scope) return params;
  return goTemplate ? deepMerge(scope, params) : { ...flattenParams(scope), ...flattenParams(params) };
}

/**
 * Renders part of a generator spec with the matrix scope (see {@link GeneratorCall.scope}).
 * A template error becomes a GeneratorError naming the generator and the field.
 */
export function interpolate<T>(value: T, field: string, ctx: GeneratorContext, call: GeneratorCall): T {
  if (!call.scope || value === undefined) return value;
  try {
    return renderTemplate(value, call.scope, { goTemplate: ctx.goTemplate, basePath: field });
  } catch (err) {
    if (err instanceof TemplateError) throw new GeneratorError(call.path, err.message, { cause: err });
    throw err;
  }
}

/**
 * Adds a generator's `values` to one parameter set, each value rendered as a template over that
 * set (plus the matrix scope). fasttemplate gets flat `values.<k>` keys, goTemplate a `values` map.
 * Values cannot reference each other.
 */
export function applyValues(
  params: Params,
  values: Record<string, string> | undefined,
  ctx: GeneratorContext,
  call: GeneratorCall,
): Params {
  if (!values || Object.keys(values).length === 0) return params;
  const context = withScope(call.scope, params, ctx.goTemplate);
  const rendered: Record<string, string> = {};
  for (const [key, template] of Object.entries(values)) {
    try {
      rendered[key] = renderTemplate(template, context, {
        goTemplate: ctx.goTemplate,
        basePath: fieldKey('values', key),
      });
    } catch (err) {
      if (err instanceof TemplateError) throw new GeneratorError(call.path, err.message, { cause: err });
      throw err;
    }
  }
  if (ctx.goTemplate) return { ...params, values: rendered };
  const out: Params = { ...params };
  for (const [key, value] of Object.entries(rendered)) out[`values.${key}`] = value;
  return out;
}

/**
 * Calls a port. A failure becomes a GeneratorError keeping the port's error as `cause`; it is
 * transient unless the port's GitfleetError says it is not (I/O usually passes on retry).
 */
export async function callPort<T>(call: GeneratorCall, what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    const transient = err instanceof GitfleetError ? err.transient : true;
    const reason = err instanceof Error ? err.message : String(err);
    throw new GeneratorError(call.path, `${what}: ${reason}`, { cause: err, transient });
  }
}
