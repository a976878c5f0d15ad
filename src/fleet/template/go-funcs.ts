// The functions goTemplate offers: the Sprig ones ApplicationSets use most, Argo CD's `normalize`,
// and text/template's builtins. Argument order follows Sprig (the piped value comes last), so
// `.name | replace "_" "-"` works as it does in Argo CD.

import { stringify as yamlStringify } from 'yaml';
import { isRecord, sanitizeName } from '../params.js';
import {
  FuncProblem,
  Missing,
  goJson,
  goQuote,
  goString,
  isEmpty,
  truthy,
  typeName,
  type GoFunction,
} from './go-values.js';
import { SPRIG_FUNCTIONS } from './sprig.js';

export { FuncProblem, type GoFunction } from './go-values.js';

function str(fn: string, value: unknown, position: string): string {
  if (typeof value !== 'string') {
    throw new FuncProblem(`${fn}: ${position} argument must be a string, got ${typeName(value)}`);
  }
  return value;
}

function int(fn: string, value: unknown, position: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new FuncProblem(`${fn}: ${position} argument must be an integer, got ${typeName(value)}`);
  }
  return value;
}

const strings1 = (name: string, f: (s: string) => string): GoFunction => ({
  minArgs: 1,
  maxArgs: 1,
  call: ([s]) => f(str(name, s, 'first')),
});

function indexInto(args: unknown[]): unknown {
  let [current] = args;
  for (const key of args.slice(1)) {
    if (current instanceof Missing) return new Missing(`${current.what}[${goString(key)}]`);
    if (current === null || current === undefined) return new Missing(`index ${goQuote(goString(key))}`);
    if (Array.isArray(current)) {
      const i = int('index', key, 'an index');
      if (i < 0 || i >= current.length) {
        throw new FuncProblem(`index: index out of range: ${i} (length ${current.length})`);
      }
      current = current[i];
    } else if (isRecord(current)) {
      const k = str('index', key, 'a map key');
      current = Object.hasOwn(current, k) ? current[k] : new Missing(`index ${goQuote(k)}`);
    } else {
      throw new FuncProblem(`index: can't index item of type ${typeName(current)}`);
    }
  }
  return current;
}

function printf(format: string, args: unknown[]): string {
  let out = '';
  let next = 0;
  for (let i = 0; i < format.length; i++) {
    const ch = format[i];
    if (ch !== '%') {
      out += ch;
      continue;
    }
    const verb = format[++i];
    if (verb === '%') {
      out += '%';
      continue;
    }
    if (verb === undefined) {
      out += '%!(NOVERB)';
      break;
    }
    if (!'sdvq'.includes(verb)) throw new FuncProblem(`printf: unsupported verb %${verb}`);
    if (next >= args.length) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    const arg = args[next++];
    if (verb === 'd') {
      out +=
        typeof arg === 'number' && Number.isInteger(arg)
          ? String(arg)
          : `%!d(${typeName(arg)}=${goString(arg)})`;
    } else if (verb === 'q') {
      out += goQuote(goString(arg));
    } else {
      out += goString(arg);
    }
  }
  if (next < args.length) {
    const extra = args.slice(next).map((a) => `${typeName(a)}=${goString(a)}`);
    out += `%!(EXTRA ${extra.join(', ')})`;
  }
  return out;
}

function equal(a: unknown, b: unknown): boolean {
  const scalar = (v: unknown): boolean => v === null || ['string', 'number', 'boolean'].includes(typeof v);
  if (!scalar(a) || !scalar(b))
    throw new FuncProblem('eq/ne: can only compare strings, numbers and booleans');
  return a === b;
}

const MANY = Number.POSITIVE_INFINITY;

/** text/template's `and`/`or`: the first argument that decides the result, else the last. */
function firstOrLast(args: unknown[], decides: (v: unknown) => boolean): unknown {
  const i = args.findIndex(decides);
  return i >= 0 ? args[i] : args.at(-1);
}

/** text/template's builtins and the Sprig functions the first version offered. */
const CORE_FUNCTIONS: Record<string, GoFunction> = {
  default: {
    minArgs: 1,
    maxArgs: 2,
    missingOk: (index, count) => count === 2 && index === 1,
    call: ([fallback, ...given]) => (given.length === 0 || isEmpty(given[0]) ? fallback : given[0]),
  },
  lower: strings1('lower', (s) => s.toLowerCase()),
  upper: strings1('upper', (s) => s.toUpperCase()),
  normalize: strings1('normalize', sanitizeName),
  replace: {
    minArgs: 3,
    maxArgs: 3,
    call: ([from, to, s]) =>
      str('replace', s, 'third').replaceAll(str('replace', from, 'first'), str('replace', to, 'second')),
  },
  trimPrefix: {
    minArgs: 2,
    maxArgs: 2,
    call: ([prefix, s]) => {
      const p = str('trimPrefix', prefix, 'first');
      const text = str('trimPrefix', s, 'second');
      return text.startsWith(p) ? text.slice(p.length) : text;
    },
  },
  trimSuffix: {
    minArgs: 2,
    maxArgs: 2,
    call: ([suffix, s]) => {
      const p = str('trimSuffix', suffix, 'first');
      const text = str('trimSuffix', s, 'second');
      return p && text.endsWith(p) ? text.slice(0, text.length - p.length) : text;
    },
  },
  trunc: {
    minArgs: 2,
    maxArgs: 2,
    call: ([n, s]) => {
      const count = int('trunc', n, 'first');
      const text = str('trunc', s, 'second');
      // Sprig: a negative count keeps the last |count| characters.
      if (count < 0) return text.length + count > 0 ? text.slice(text.length + count) : text;
      return text.slice(0, count);
    },
  },
  quote: {
    minArgs: 0,
    maxArgs: MANY,
    call: (args) =>
      args
        .filter((a) => a !== null && a !== undefined)
        .map((a) => goQuote(goString(a)))
        .join(' '),
  },
  toJson: { minArgs: 1, maxArgs: 1, call: ([v]) => goJson(v) },
  toYaml: {
    minArgs: 1,
    maxArgs: 1,
    call: ([v]) => yamlStringify(v ?? null, { sortMapEntries: true }).replace(/\n$/, ''),
  },
  index: {
    minArgs: 1,
    maxArgs: MANY,
    missingOk: (index) => index === 0,
    call: indexInto,
  },
  printf: {
    minArgs: 1,
    maxArgs: MANY,
    call: ([format, ...args]) => printf(str('printf', format, 'first'), args),
  },
  eq: { minArgs: 2, maxArgs: MANY, call: ([a, ...bs]) => bs.some((b) => equal(a, b)) },
  ne: { minArgs: 2, maxArgs: 2, call: ([a, b]) => !equal(a, b) },
  not: { minArgs: 1, maxArgs: 1, call: ([v]) => !truthy(v) },
  and: { minArgs: 1, maxArgs: MANY, call: (args) => firstOrLast(args, (a) => !truthy(a)) },
  or: { minArgs: 1, maxArgs: MANY, call: (args) => firstOrLast(args, truthy) },
  len: {
    minArgs: 1,
    maxArgs: 1,
    call: ([v]) => {
      // Go's len of a string counts bytes, not characters.
      if (typeof v === 'string') return new TextEncoder().encode(v).length;
      if (Array.isArray(v)) return v.length;
      if (isRecord(v)) return Object.keys(v).length;
      throw new FuncProblem(`len: can't take the length of ${typeName(v)}`);
    },
  },
};

const FUNCTIONS: Record<string, GoFunction> = { ...SPRIG_FUNCTIONS, ...CORE_FUNCTIONS };

/** Whether `name` is a template function. */
export function isGoFunction(name: string): boolean {
  return Object.hasOwn(FUNCTIONS, name);
}

/** The function called `name`; callers check {@link isGoFunction} first (the parser does). */
export function goFunction(name: string): GoFunction {
  const fn = FUNCTIONS[name];
  if (!fn) throw new FuncProblem(`unknown function "${name}"`);
  return fn;
}

/** Names of every function, for documentation and tests. */
export const GO_FUNCTION_NAMES: readonly string[] = Object.keys(FUNCTIONS).sort();

/** Names of the core functions (text/template builtins and the first Sprig subset). */
export const CORE_FUNCTION_NAMES: readonly string[] = Object.keys(CORE_FUNCTIONS).sort();
