// Helpers over parameter sets shared by generators and templates.

import type { Params } from './types.js';

/** A JSON-like object (not an array, not null). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A scalar as fasttemplate sees it. `null` becomes the empty string: the key exists, it just holds
 * nothing (an unknown key is an error elsewhere, never an empty string).
 */
export function scalarString(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    return String(value);
  }
  return JSON.stringify(value);
}

/**
 * Flattens nested maps and lists into dotted keys with string values (`a.b`, `list.0`), the way
 * Argo CD flattens params for fasttemplate and for post-selectors. Keys that are already dotted
 * stay as they are; empty maps and lists produce no key.
 */
export function flattenParams(params: Params): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (prefix: string, value: unknown): void => {
    if (Array.isArray(value)) {
      value.forEach((v, i) => walk(`${prefix}.${i}`, v));
    } else if (isRecord(value)) {
      for (const [k, v] of Object.entries(value)) walk(`${prefix}.${k}`, v);
    } else {
      out[prefix] = scalarString(value);
    }
  };
  for (const [k, v] of Object.entries(params)) walk(k, v);
  return out;
}

/**
 * Argo CD's name normalisation: lowercase, every character outside `[-a-z0-9.]` becomes `-`, at
 * most 253 characters, leading and trailing `-`/`.` trimmed (so `.` normalises to '').
 */
export function sanitizeName(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^-a-z0-9.]/g, '-')
    .slice(0, 253)
    .replace(/^[-.]+|[-.]+$/g, '');
}

/**
 * Deep merge of two parameter sets. Nested maps merge key by key; any other value from
 * `override` replaces the base one. Neither input is modified.
 */
export function deepMerge(base: Params, override: Params): Params {
  const out: Params = { ...base };
  for (const [k, v] of Object.entries(override)) {
    const prev = out[k];
    out[k] = isRecord(prev) && isRecord(v) ? deepMerge(prev, v) : v;
  }
  return out;
}

/** A deep copy of JSON-like data, so generated params never alias the caller's spec. */
export function cloneJson<T>(value: T): T {
  return structuredClone(value);
}

/** Appends a map key to a field path: `a.b` for identifiers, `a["x.y/z"]` otherwise. */
export function fieldKey(base: string, key: string): string {
  if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(key)) return base ? `${base}.${key}` : key;
  return `${base}[${JSON.stringify(key)}]`;
}

/** Appends a list index to a field path. */
export function fieldIndex(base: string, index: number): string {
  return `${base}[${index}]`;
}
