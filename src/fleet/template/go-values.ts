// Values as Go templates print, compare and serialise them.

import { isRecord } from '../params.js';

/** A function was called with arguments it cannot use; the renderer adds the field path. */
export class FuncProblem extends Error {}

/** One template function. */
export interface GoFunction {
  minArgs: number;
  maxArgs: number;
  /** Whether argument `index` of `count` may be a {@link Missing} (only `default` and `index`). */
  missingOk?: (index: number, count: number) => boolean;
  call(args: unknown[]): unknown;
}

/**
 * The result of looking up a key that is not there. It flows through field access and `index` so
 * that `default` can replace it; anywhere else it becomes an "unknown key" TemplateError.
 */
export class Missing {
  /** How the key was written, e.g. `.path.missing` or `index … "k"`. */
  readonly what: string;
  constructor(what: string) {
    this.what = what;
  }
}

/** A short type name for error messages. */
export function typeName(value: unknown): string {
  if (value === null || value === undefined) return 'nil';
  if (Array.isArray(value)) return 'list';
  if (isRecord(value)) return 'map';
  if (typeof value === 'boolean') return 'bool';
  return typeof value;
}

/**
 * Prints a value the way text/template does for strings, numbers, booleans, lists (`[a b]`) and
 * maps (`map[k:v]`, keys sorted). `null` prints as '' where Go would print `<no value>`.
 */
export function goString(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return `[${value.map(goString).join(' ')}]`;
  if (isRecord(value)) {
    const entries = Object.keys(value)
      .sort()
      .map((k) => `${k}:${goString(value[k])}`);
    return `map[${entries.join(' ')}]`;
  }
  return String(value);
}

const SIMPLE_ESCAPES: Record<string, string> = {
  '"': '\\"',
  '\\': '\\\\',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\x07': '\\a',
  '\b': '\\b',
  '\f': '\\f',
  '\v': '\\v',
};

/** Go's `strconv.Quote`: double quotes, backslash escapes, `\x..`/`\u....` for unprintables. */
export function goQuote(text: string): string {
  let out = '"';
  for (const ch of text) {
    const cp = ch.codePointAt(0) ?? 0;
    const simple = SIMPLE_ESCAPES[ch];
    if (simple !== undefined) out += simple;
    else if (cp < 0x20 || cp === 0x7f) out += `\\x${cp.toString(16).padStart(2, '0')}`;
    else if ((cp >= 0x80 && cp < 0xa0) || cp === 0x2028 || cp === 0x2029) {
      out += `\\u${cp.toString(16).padStart(4, '0')}`;
    } else out += ch;
  }
  return `${out}"`;
}

/** Go's `json.Marshal` of decoded JSON: map keys sorted, `<`, `>`, `&`, U+2028/9 escaped. */
export function goJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') {
    return JSON.stringify(value)
      .replace(/</g, '\\u003c')
      .replace(/>/g, '\\u003e')
      .replace(/&/g, '\\u0026')
      .replace(/\u2028/g, '\\u2028')
      .replace(/\u2029/g, '\\u2029');
  }
  if (Array.isArray(value)) return `[${value.map(goJson).join(',')}]`;
  if (isRecord(value)) {
    const entries = Object.keys(value)
      .sort()
      .map((k) => `${goJson(k)}:${goJson(value[k])}`);
    return `{${entries.join(',')}}`;
  }
  if (typeof value === 'number' && !Number.isFinite(value)) return 'null';
  return JSON.stringify(value);
}

/** Sprig's notion of empty, used by `default`: missing, nil, '', 0, false, empty list or map. */
export function isEmpty(value: unknown): boolean {
  if (value instanceof Missing || value === null || value === undefined) return true;
  if (value === '' || value === 0 || value === false) return true;
  if (Array.isArray(value)) return value.length === 0;
  if (isRecord(value)) return Object.keys(value).length === 0;
  return false;
}

/** text/template truth for `if`, `and`, `or`, `not`: the opposite of empty. */
export function truthy(value: unknown): boolean {
  return !isEmpty(value);
}
