// Argo CD's per-Application shaping of an ApplicationSet, as pure functions: a generator's own
// `template` merged over the set's, `templatePatch`, `preservedFields` and
// `ignoreApplicationDifferences`. The controller calls them in that order, then pins revisions.

import { parse as yamlParse } from 'yaml';
import { TemplateError } from './errors.js';
import { isRecord } from './params.js';
import { missingKeyOption, renderGo } from './template/go.js';
import type { Params } from './types.js';

const GENERATOR_KINDS = ['list', 'clusters', 'git', 'matrix', 'merge', 'pullRequest'] as const;

function emptyValue(v: unknown): boolean {
  return (
    v === undefined ||
    v === null ||
    v === '' ||
    (Array.isArray(v) && v.length === 0) ||
    (isRecord(v) && Object.keys(v).length === 0)
  );
}

/**
 * Argo CD's merge of a generator's `template` over the ApplicationSet's: every non-empty value the
 * generator sets wins, maps merge key by key, and the set's template fills in the rest.
 */
export function mergeTemplate<T>(setTemplate: T, override: unknown): T {
  const merge = (base: unknown, over: unknown): unknown => {
    if (isRecord(base) && isRecord(over)) {
      const out: Record<string, unknown> = { ...base };
      for (const [k, v] of Object.entries(over)) out[k] = merge(base[k], v);
      return out;
    }
    return emptyValue(over) ? base : over;
  };
  return merge(setTemplate, override) as T;
}

/** The `template` a top-level generator carries inside its kind (`list.template`), if any. */
export function generatorTemplate(generator: Record<string, unknown>): unknown {
  for (const kind of GENERATOR_KINDS) {
    const g = generator[kind];
    if (isRecord(g) && g.template !== undefined) return g.template;
  }
  return undefined;
}

/** A generator spec without its `template`, as the generators themselves read it. */
export function withoutTemplate(generator: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...generator };
  for (const kind of GENERATOR_KINDS) {
    const g = out[kind];
    if (isRecord(g) && 'template' in g) {
      const { template: _dropped, ...rest } = g;
      out[kind] = rest;
    }
  }
  return out;
}

/** JSON merge patch (RFC 7386): maps merge, `null` deletes, anything else replaces. */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isRecord(patch)) return patch;
  const out: Record<string, unknown> = isRecord(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/**
 * Argo CD's `templatePatch`: a Go template rendered with the parameter set, read as YAML, and
 * merged over the rendered template (maps merge, lists replace, `null` deletes). Throws a
 * TemplateError naming `spec.templatePatch` when it does not render to a map.
 */
export function applyTemplatePatch<T>(
  rendered: T,
  patch: string,
  params: Params,
  goTemplateOptions: string[],
): T {
  const text = renderGo(patch, params, 'spec.templatePatch', {
    missingKey: missingKeyOption(goTemplateOptions),
  });
  let parsed: unknown;
  try {
    parsed = yamlParse(text);
  } catch (e) {
    throw new TemplateError('spec.templatePatch', `rendered patch is not YAML: ${(e as Error).message}`, {
      cause: e,
    });
  }
  if (parsed === null || parsed === undefined) return rendered;
  if (!isRecord(parsed)) throw new TemplateError('spec.templatePatch', 'rendered patch must be a map');
  for (const k of Object.keys(parsed))
    if (k !== 'metadata' && k !== 'spec')
      throw new TemplateError('spec.templatePatch', `may patch only metadata and spec, not "${k}"`);
  return mergePatch(rendered, parsed) as T;
}

interface AppLike {
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: unknown;
}

/**
 * Argo CD's `preservedFields`: the listed annotation and label keys keep the existing
 * Application's values (set by people or other tools) instead of the template's.
 */
export function preserveFields<A extends AppLike>(
  desired: A,
  existing: AppLike | undefined,
  preserved: { annotations?: string[]; labels?: string[] } | undefined,
): A {
  if (!existing || !preserved) return desired;
  const keep = (
    want: Record<string, string> | undefined,
    have: Record<string, string> | undefined,
    keys: string[] = [],
  ) => {
    const out = { ...want };
    for (const k of keys) {
      const v = have?.[k];
      if (v === undefined) delete out[k];
      else out[k] = v;
    }
    return out;
  };
  return {
    ...desired,
    metadata: {
      ...desired.metadata,
      annotations: keep(desired.metadata.annotations, existing.metadata.annotations, preserved.annotations),
      labels: keep(desired.metadata.labels, existing.metadata.labels, preserved.labels),
    },
  };
}

/** Decodes one RFC 6901 JSON pointer into its tokens. */
function pointerTokens(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/'))
    throw new Error(`JSON pointer ${JSON.stringify(pointer)} must start with "/"`);
  return pointer
    .slice(1)
    .split('/')
    .map((t) => t.replaceAll('~1', '/').replaceAll('~0', '~'));
}

function getAt(root: unknown, tokens: string[]): { found: boolean; value?: unknown } {
  let cur = root;
  for (const t of tokens) {
    if (Array.isArray(cur) && /^\d+$/.test(t) && Number(t) < cur.length) cur = cur[Number(t)];
    else if (isRecord(cur) && Object.hasOwn(cur, t)) cur = cur[t];
    else return { found: false };
  }
  return { found: true, value: cur };
}

function setAt(root: unknown, tokens: string[], value: unknown, remove: boolean): void {
  let cur = root;
  for (const [i, t] of tokens.entries()) {
    const last = i === tokens.length - 1;
    if (Array.isArray(cur) && /^\d+$/.test(t)) {
      const idx = Number(t);
      if (last) {
        if (remove) cur.splice(idx, 1);
        else cur[idx] = value;
        return;
      }
      cur = cur[idx];
    } else if (isRecord(cur)) {
      if (last) {
        if (remove) delete cur[t];
        else cur[t] = value;
        return;
      }
      if (!isRecord(cur[t]) && !Array.isArray(cur[t])) {
        if (remove) return;
        cur[t] = {};
      }
      cur = cur[t];
    } else return;
  }
}

/**
 * Argo CD's `ignoreApplicationDifferences` (jsonPointers): the fields they point at, in every
 * Application or only those named, keep the existing Application's value (or stay absent), so a
 * person may change them without the ApplicationSet reverting it. Pointers are from the
 * Application's root (`/spec/source/targetRevision`). Throws for a malformed pointer.
 */
export function ignoreDifferences<A extends AppLike>(
  desired: A,
  existing: AppLike | undefined,
  rules: { name?: string; jsonPointers?: string[] }[] | undefined,
): A {
  if (!existing || !rules?.length) return desired;
  const out = structuredClone(desired);
  rules.forEach((rule, i) => {
    if (rule.name && rule.name !== desired.metadata.name) return;
    (rule.jsonPointers ?? []).forEach((p, j) => {
      let tokens: string[];
      try {
        tokens = pointerTokens(p);
      } catch (e) {
        throw new TemplateError(
          `spec.ignoreApplicationDifferences[${i}].jsonPointers[${j}]`,
          (e as Error).message,
        );
      }
      if (
        tokens.length === 0 ||
        (tokens[0] === 'metadata' && (tokens[1] === 'name' || tokens[1] === 'namespace'))
      )
        return;
      const have = getAt(existing, tokens);
      setAt(out, tokens, structuredClone(have.value), !have.found);
    });
  });
  return out;
}
