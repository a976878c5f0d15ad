// Walks a JSON template and renders every string in it (map keys included) with one parameter set.

import { fieldIndex, fieldKey, flattenParams, isRecord } from '../params.js';
import type { Params } from '../types.js';
import { renderFast } from './fast.js';
import { missingKeyOption, renderGo } from './go.js';

/** Options of {@link renderTemplate}. */
export interface RenderOptions {
  /** Go text/template syntax (`{{ .a.b }}`) instead of fasttemplate (`{{a.b}}`). */
  goTemplate: boolean;
  /**
   * Argo CD's `goTemplateOptions`. When given (even empty), Argo's meaning: a missing key prints
   * `<no value>` unless `missingkey=error`; any other option is a TemplateError. When absent
   * (internal callers), a missing key is always an error.
   */
  goTemplateOptions?: string[];
  /** Field path of `template` itself, prefixed to every error's `fieldPath`; default ''. */
  basePath?: string;
}

/**
 * Renders a template object (any JSON; strings inside, map keys included, are templates) with one
 * parameter set and returns a new object; the input is not modified. Numbers, booleans and null
 * pass through unchanged. With fasttemplate, nested params are reachable by their dotted
 * flattened names. Throws a TemplateError whose `fieldPath` names the string that failed
 * (e.g. `spec.source.path`) for an unknown key, an unknown function or a syntax error.
 */
export function renderTemplate<T>(template: T, params: Params, opts: RenderOptions): T {
  const missingKey = opts.goTemplateOptions ? missingKeyOption(opts.goTemplateOptions) : 'error';
  const render: (text: string, fieldPath: string) => string = opts.goTemplate
    ? (text, fieldPath) => renderGo(text, params, fieldPath, { missingKey })
    : fastRenderer(params);
  const walk = (value: unknown, fieldPath: string): unknown => {
    if (typeof value === 'string') return render(value, fieldPath);
    if (Array.isArray(value)) return value.map((v, i) => walk(v, fieldIndex(fieldPath, i)));
    if (isRecord(value)) {
      const out: Record<string, unknown> = {};
      for (const [key, v] of Object.entries(value)) {
        const path = fieldKey(fieldPath, key);
        out[render(key, path)] = walk(v, path);
      }
      return out;
    }
    return value;
  };
  // The walk rebuilds exactly the shape it was given, so the result has the template's type.
  return walk(template, opts.basePath ?? '') as T;
}

function fastRenderer(params: Params): (text: string, fieldPath: string) => string {
  let flat: Record<string, string> | undefined;
  return (text, fieldPath) => {
    if (!text.includes('{{')) return text;
    flat ??= flattenParams(params);
    return renderFast(text, flat, fieldPath);
  };
}
