// The Sprig functions (and Argo CD's own `slugify`) that Argo CD's goTemplate offers, beyond the
// core set in go-funcs.ts. Written from Sprig's and Argo CD's documented behaviour: argument order
// as Sprig's (the piped value comes last), so `.branch | trimPrefix "feature/"` works as in Argo.
// Functions whose output depends on the clock, the environment, the network or randomness (`now`,
// `date`, `env`, `uuidv4`, `randAlpha`…) are refused by name: a template must render the same
// Applications every time.

import { createHash } from 'node:crypto';
import { parse as yamlParse, stringify as yamlStringify } from 'yaml';
import { isRecord } from '../params.js';
import { FuncProblem, goString, isEmpty, typeName, type GoFunction } from './go-values.js';
import { semverCompare } from './semver.js';

const MANY = Number.POSITIVE_INFINITY;

function str(fn: string, value: unknown, position: string): string {
  if (typeof value !== 'string') {
    throw new FuncProblem(`${fn}: ${position} argument must be a string, got ${typeName(value)}`);
  }
  return value;
}

/** Sprig's `toInt` (cast.ToInt): numbers truncate, numeric strings parse, booleans are 1/0, else 0. */
export function toInt(value: unknown): number {
  if (typeof value === 'number') return Number.isFinite(value) ? Math.trunc(value) : 0;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'string') {
    const t = value.trim();
    if (/^[-+]?\d+$/.test(t)) return Number.parseInt(t, 10);
    if (/^[-+]?\d*\.\d+$/.test(t)) return Math.trunc(Number.parseFloat(t));
    return 0;
  }
  return 0;
}

function toFloat(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'string' && /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(value.trim()))
    return Number.parseFloat(value);
  return 0;
}

function list(fn: string, value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  if (value === null || value === undefined) return [];
  throw new FuncProblem(`${fn}: argument must be a list, got ${typeName(value)}`);
}

function dict(fn: string, value: unknown): Record<string, unknown> {
  if (isRecord(value)) return value;
  throw new FuncProblem(`${fn}: argument must be a map, got ${typeName(value)}`);
}

/** Go's regexp syntax is RE2; JavaScript's is a superset for what templates use. */
function regex(fn: string, pattern: unknown, flags = ''): RegExp {
  const p = str(fn, pattern, 'first');
  try {
    return new RegExp(p, flags);
  } catch (e) {
    throw new FuncProblem(`${fn}: invalid regular expression ${JSON.stringify(p)}: ${(e as Error).message}`);
  }
}

/** Go's `path.Clean`. */
function cleanPath(p: string): string {
  if (p === '') return '.';
  const rooted = p.startsWith('/');
  const out: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (out.length && out.at(-1) !== '..') out.pop();
      else if (!rooted) out.push('..');
    } else out.push(seg);
  }
  const joined = out.join('/');
  return rooted ? `/${joined}` : joined || '.';
}

/** Go's `path.Base`. */
function basePath(p: string): string {
  if (p === '') return '.';
  const trimmed = p.replace(/\/+$/, '');
  if (trimmed === '') return '/';
  return trimmed.slice(trimmed.lastIndexOf('/') + 1);
}

/** Go's `path.Dir`. */
function dirPath(p: string): string {
  return cleanPath(p.slice(0, p.lastIndexOf('/') + 1));
}

/** Go's `path.Ext`. */
function extPath(p: string): string {
  for (let i = p.length - 1; i >= 0 && p[i] !== '/'; i--) if (p[i] === '.') return p.slice(i);
  return '';
}

/**
 * Argo CD's `slugify [maxSize=50] [smartTruncate=true] text`: ASCII-folded, lowercased, every run
 * of characters outside `[a-z0-9_-]` one `-`, trimmed of `-`/`_`; too long, it is cut at the last
 * `-` before maxSize (smart) or at maxSize.
 */
function slugify(args: unknown[]): string {
  const text = str('slugify', args.at(-1), 'last');
  const max = args.length >= 2 ? toInt(args[0]) : 50;
  const smart = args.length >= 3 ? args[1] === true : true;
  let slug = text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^[-_]+|[-_]+$/g, '');
  if (max > 0 && slug.length > max) {
    const cut = smart ? slug.lastIndexOf('-', max) : -1;
    slug = cut > 0 ? slug.slice(0, cut) : slug.slice(0, max);
  }
  return slug;
}

/** Go's strings.Title: upper-cases the first letter of every word. */
function title(s: string): string {
  return s.replace(/(^|[^\p{L}\p{N}_'])(\p{L})/gu, (_m, sep: string, ch: string) => sep + ch.toUpperCase());
}

function words(s: string): string[] {
  return s
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean);
}

const s1 = (name: string, f: (s: string) => unknown): GoFunction => ({
  minArgs: 1,
  maxArgs: 1,
  call: ([s]) => f(str(name, s, 'first')),
});
const s2 = (name: string, f: (a: string, b: string) => unknown): GoFunction => ({
  minArgs: 2,
  maxArgs: 2,
  call: ([a, b]) => f(str(name, a, 'first'), str(name, b, 'second')),
});
const refused = (name: string, why: string): GoFunction => ({
  minArgs: 0,
  maxArgs: MANY,
  call: () => {
    throw new FuncProblem(`function "${name}" is not available: ${why}`);
  },
});
const NONDETERMINISTIC = 'its result changes between renders, so generated Applications would flap';

const numeric = (f: (a: number, b: number) => number): GoFunction => ({
  minArgs: 2,
  maxArgs: 2,
  call: ([a, b]) => f(toInt(a), toInt(b)),
});

/** The extra functions, by name. */
export const SPRIG_FUNCTIONS: Record<string, GoFunction> = {
  // Strings.
  slugify: { minArgs: 1, maxArgs: 3, call: slugify },
  title: s1('title', title),
  untitle: s1('untitle', (s) =>
    s.replace(/(^|\s)(\p{L})/gu, (_m, a: string, b: string) => a + b.toLowerCase()),
  ),
  trim: s1('trim', (s) => s.trim()),
  trimAll: s2('trimAll', (cut, s) => {
    const set = new Set(cut);
    let a = 0;
    let b = s.length;
    while (a < b && set.has(s[a] ?? '')) a++;
    while (b > a && set.has(s[b - 1] ?? '')) b--;
    return s.slice(a, b);
  }),
  nospace: s1('nospace', (s) => s.replace(/\s+/g, '')),
  squote: {
    minArgs: 0,
    maxArgs: MANY,
    call: (args) =>
      args
        .filter((a) => a !== null && a !== undefined)
        .map((a) => `'${goString(a)}'`)
        .join(' '),
  },
  cat: {
    minArgs: 0,
    maxArgs: MANY,
    call: (args) =>
      args
        .filter((a) => a !== null && a !== undefined)
        .map(goString)
        .join(' '),
  },
  hasPrefix: s2('hasPrefix', (p, s) => s.startsWith(p)),
  hasSuffix: s2('hasSuffix', (p, s) => s.endsWith(p)),
  contains: s2('contains', (sub, s) => s.includes(sub)),
  repeat: {
    minArgs: 2,
    maxArgs: 2,
    call: ([n, s]) => str('repeat', s, 'second').repeat(Math.max(0, toInt(n))),
  },
  substr: {
    minArgs: 3,
    maxArgs: 3,
    call: ([start, end, s]) => {
      const text = str('substr', s, 'third');
      const a = toInt(start);
      const b = toInt(end);
      if (a < 0) return text.slice(0, b);
      if (b < 0 || b > text.length) return text.slice(a);
      return text.slice(a, b);
    },
  },
  abbrev: {
    minArgs: 2,
    maxArgs: 2,
    call: ([w, s]) => {
      const width = toInt(w);
      const text = str('abbrev', s, 'second');
      if (width < 4 || text.length <= width) return text;
      return `${text.slice(0, width - 3)}...`;
    },
  },
  indent: { minArgs: 2, maxArgs: 2, call: ([n, s]) => indent(toInt(n), str('indent', s, 'second')) },
  nindent: { minArgs: 2, maxArgs: 2, call: ([n, s]) => `\n${indent(toInt(n), str('nindent', s, 'second'))}` },
  snakecase: s1('snakecase', (s) => words(s).join('_').toLowerCase()),
  kebabcase: s1('kebabcase', (s) => words(s).join('-').toLowerCase()),
  camelcase: s1('camelcase', (s) =>
    words(s)
      .map((w) => (w[0] ?? '').toUpperCase() + w.slice(1).toLowerCase())
      .join(''),
  ),
  // Paths (Go's `path`, '/'-separated whatever the OS).
  base: s1('base', basePath),
  dir: s1('dir', dirPath),
  clean: s1('clean', cleanPath),
  ext: s1('ext', extPath),
  isAbs: s1('isAbs', (s) => s.startsWith('/')),
  // Lists and maps.
  join: {
    minArgs: 2,
    maxArgs: 2,
    call: ([sep, l]) => {
      const s = str('join', sep, 'first');
      if (typeof l === 'string') return l;
      return list('join', l)
        .filter((v) => v !== null && v !== undefined)
        .map(goString)
        .join(s);
    },
  },
  split: {
    minArgs: 2,
    maxArgs: 2,
    call: ([sep, s]) =>
      Object.fromEntries(
        str('split', s, 'second')
          .split(str('split', sep, 'first'))
          .map((part, i) => [`_${i}`, part]),
      ),
  },
  splitList: s2('splitList', (sep, s) => s.split(sep)),
  splitn: {
    minArgs: 3,
    maxArgs: 3,
    call: ([sep, n, s]) => {
      const parts = str('splitn', s, 'third').split(str('splitn', sep, 'first'));
      const count = toInt(n);
      const head =
        count > 0 && parts.length > count
          ? [...parts.slice(0, count - 1), parts.slice(count - 1).join(String(sep))]
          : parts;
      return Object.fromEntries(head.map((part, i) => [`_${i}`, part]));
    },
  },
  list: { minArgs: 0, maxArgs: MANY, call: (args) => [...args] },
  first: { minArgs: 1, maxArgs: 1, call: ([l]) => list('first', l)[0] ?? null },
  last: { minArgs: 1, maxArgs: 1, call: ([l]) => list('last', l).at(-1) ?? null },
  rest: { minArgs: 1, maxArgs: 1, call: ([l]) => list('rest', l).slice(1) },
  initial: { minArgs: 1, maxArgs: 1, call: ([l]) => list('initial', l).slice(0, -1) },
  append: { minArgs: 2, maxArgs: 2, call: ([l, v]) => [...list('append', l), v] },
  prepend: { minArgs: 2, maxArgs: 2, call: ([l, v]) => [v, ...list('prepend', l)] },
  concat: { minArgs: 0, maxArgs: MANY, call: (args) => args.flatMap((l) => list('concat', l)) },
  reverse: { minArgs: 1, maxArgs: 1, call: ([l]) => [...list('reverse', l)].reverse() },
  uniq: {
    minArgs: 1,
    maxArgs: 1,
    call: ([l]) => {
      const out: unknown[] = [];
      for (const v of list('uniq', l))
        if (!out.some((o) => JSON.stringify(o) === JSON.stringify(v))) out.push(v);
      return out;
    },
  },
  compact: { minArgs: 1, maxArgs: 1, call: ([l]) => list('compact', l).filter((v) => !isEmpty(v)) },
  has: {
    minArgs: 2,
    maxArgs: 2,
    call: ([needle, l]) => list('has', l).some((v) => JSON.stringify(v) === JSON.stringify(needle)),
  },
  sortAlpha: {
    minArgs: 1,
    maxArgs: 1,
    call: ([l]) =>
      list('sortAlpha', l)
        .map(goString)
        .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)),
  },
  dict: {
    minArgs: 0,
    maxArgs: MANY,
    call: (args) => {
      const out: Record<string, unknown> = {};
      for (let i = 0; i < args.length; i += 2)
        out[goString(args[i])] = i + 1 < args.length ? args[i + 1] : '';
      return out;
    },
  },
  get: {
    minArgs: 2,
    maxArgs: 2,
    call: ([d, k]) => {
      const m = dict('get', d);
      const key = str('get', k, 'second');
      return Object.hasOwn(m, key) ? m[key] : '';
    },
  },
  hasKey: {
    minArgs: 2,
    maxArgs: 2,
    call: ([d, k]) => Object.hasOwn(dict('hasKey', d), str('hasKey', k, 'second')),
  },
  keys: {
    minArgs: 1,
    maxArgs: MANY,
    call: (args) => args.flatMap((d) => Object.keys(dict('keys', d))).sort(),
  },
  values: { minArgs: 1, maxArgs: 1, call: ([d]) => Object.values(dict('values', d)) },
  pick: {
    minArgs: 1,
    maxArgs: MANY,
    call: ([d, ...ks]) => {
      const m = dict('pick', d);
      return Object.fromEntries(
        ks
          .map((k) => goString(k))
          .filter((k) => Object.hasOwn(m, k))
          .map((k) => [k, m[k]]),
      );
    },
  },
  omit: {
    minArgs: 1,
    maxArgs: MANY,
    call: ([d, ...ks]) => {
      const drop = new Set(ks.map((k) => goString(k)));
      return Object.fromEntries(Object.entries(dict('omit', d)).filter(([k]) => !drop.has(k)));
    },
  },
  merge: {
    minArgs: 1,
    maxArgs: MANY,
    // Sprig's merge: earlier maps win; it returns the merged destination.
    call: (args) => {
      const out: Record<string, unknown> = {};
      for (const d of [...args].reverse()) Object.assign(out, dict('merge', d));
      return out;
    },
  },
  dig: {
    minArgs: 3,
    maxArgs: MANY,
    // dig "a" "b" <default> <map>: walks keys through nested maps; the default when any is absent.
    call: (args) => {
      const m = dict('dig', args.at(-1));
      const fallback = args.at(-2);
      const keys = args.slice(0, -2).map((k) => str('dig', k, 'a key'));
      let cur: unknown = m;
      for (const k of keys) {
        if (!isRecord(cur) || !Object.hasOwn(cur, k)) return fallback;
        cur = cur[k];
      }
      return cur;
    },
  },
  // Encoding and hashing.
  b64enc: s1('b64enc', (s) => Buffer.from(s, 'utf8').toString('base64')),
  b64dec: s1('b64dec', (s) => {
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.length % 4 !== 0)
      throw new FuncProblem('b64dec: argument is not valid base64');
    return Buffer.from(s, 'base64').toString('utf8');
  }),
  sha256sum: s1('sha256sum', (s) => createHash('sha256').update(s, 'utf8').digest('hex')),
  sha1sum: s1('sha1sum', (s) => createHash('sha1').update(s, 'utf8').digest('hex')),
  adler32sum: s1('adler32sum', (s) => {
    let a = 1;
    let b = 0;
    for (const byte of Buffer.from(s, 'utf8')) {
      a = (a + byte) % 65521;
      b = (b + a) % 65521;
    }
    return String(b * 65536 + a);
  }),
  fromJson: s1('fromJson', (s) => {
    try {
      return JSON.parse(s) as unknown;
    } catch {
      return {};
    }
  }),
  fromYaml: s1('fromYaml', (s) => {
    try {
      const v: unknown = yamlParse(s);
      return isRecord(v) ? v : {};
    } catch (e) {
      return { Error: (e as Error).message };
    }
  }),
  fromYamlArray: s1('fromYamlArray', (s) => {
    const v: unknown = yamlParse(s);
    if (!Array.isArray(v)) throw new FuncProblem('fromYamlArray: the YAML is not a list');
    return v;
  }),
  toPrettyJson: { minArgs: 1, maxArgs: 1, call: ([v]) => JSON.stringify(v ?? null, null, 2) },
  toRawJson: { minArgs: 1, maxArgs: 1, call: ([v]) => JSON.stringify(v ?? null) },
  toYamlPretty: {
    minArgs: 1,
    maxArgs: 1,
    call: ([v]) => yamlStringify(v ?? null, { sortMapEntries: true }).replace(/\n$/, ''),
  },
  // Conversions and numbers.
  int: { minArgs: 1, maxArgs: 1, call: ([v]) => toInt(v) },
  int64: { minArgs: 1, maxArgs: 1, call: ([v]) => toInt(v) },
  atoi: { minArgs: 1, maxArgs: 1, call: ([v]) => toInt(str('atoi', v, 'first')) },
  float64: { minArgs: 1, maxArgs: 1, call: ([v]) => toFloat(v) },
  toString: { minArgs: 1, maxArgs: 1, call: (args: unknown[]) => goString(args[0]) },
  toStrings: { minArgs: 1, maxArgs: 1, call: ([l]) => list('toStrings', l).map(goString) },
  toBool: { minArgs: 1, maxArgs: 1, call: ([v]) => v === true || v === 'true' || v === 1 },
  add: { minArgs: 0, maxArgs: MANY, call: (args) => args.reduce<number>((sum, v) => sum + toInt(v), 0) },
  add1: { minArgs: 1, maxArgs: 1, call: ([v]) => toInt(v) + 1 },
  sub: numeric((a, b) => a - b),
  mul: { minArgs: 1, maxArgs: MANY, call: (args) => args.reduce<number>((p, v) => p * toInt(v), 1) },
  div: numeric((a, b) => {
    if (b === 0) throw new FuncProblem('div: division by zero');
    return Math.trunc(a / b);
  }),
  mod: numeric((a, b) => {
    if (b === 0) throw new FuncProblem('mod: division by zero');
    return a % b;
  }),
  max: { minArgs: 1, maxArgs: MANY, call: (args) => Math.max(...args.map(toInt)) },
  min: { minArgs: 1, maxArgs: MANY, call: (args) => Math.min(...args.map(toInt)) },
  // Logic.
  ternary: { minArgs: 3, maxArgs: 3, call: ([yes, no, cond]) => (cond === true ? yes : no) },
  empty: { minArgs: 1, maxArgs: 1, call: ([v]) => isEmpty(v) },
  coalesce: { minArgs: 0, maxArgs: MANY, call: (args) => args.find((v) => !isEmpty(v)) ?? null },
  all: { minArgs: 0, maxArgs: MANY, call: (args) => args.every((v) => !isEmpty(v)) },
  any: { minArgs: 0, maxArgs: MANY, call: (args) => args.some((v) => !isEmpty(v)) },
  fail: {
    minArgs: 1,
    maxArgs: 1,
    call: ([m]) => {
      throw new FuncProblem(`fail: ${goString(m)}`);
    },
  },
  // Versions and regular expressions.
  semverCompare: {
    minArgs: 2,
    maxArgs: 2,
    call: ([c, v]) => {
      try {
        return semverCompare(str('semverCompare', c, 'first'), str('semverCompare', v, 'second'));
      } catch (e) {
        if (e instanceof FuncProblem) throw e;
        throw new FuncProblem(`semverCompare: ${(e as Error).message}`);
      }
    },
  },
  regexMatch: {
    minArgs: 2,
    maxArgs: 2,
    call: ([re, s]) => regex('regexMatch', re).test(str('regexMatch', s, 'second')),
  },
  regexFind: {
    minArgs: 2,
    maxArgs: 2,
    call: ([re, s]) => regex('regexFind', re).exec(str('regexFind', s, 'second'))?.[0] ?? '',
  },
  regexFindAll: {
    minArgs: 3,
    maxArgs: 3,
    call: ([re, s, n]) => {
      const all = [...str('regexFindAll', s, 'second').matchAll(regex('regexFindAll', re, 'g'))].map(
        (m) => m[0],
      );
      const count = toInt(n);
      return count < 0 ? all : all.slice(0, count);
    },
  },
  regexReplaceAll: {
    minArgs: 3,
    maxArgs: 3,
    // Go expands `$1` and `${1}` in the replacement; JavaScript understands `$1`, so `${n}` is rewritten.
    call: ([re, s, repl]) =>
      str('regexReplaceAll', s, 'second').replace(
        regex('regexReplaceAll', re, 'g'),
        str('regexReplaceAll', repl, 'third').replace(/\$\{(\w+)\}/g, (_m, g: string) =>
          /^\d+$/.test(g) ? `$${g}` : `$<${g}>`,
        ),
      ),
  },
  regexReplaceAllLiteral: {
    minArgs: 3,
    maxArgs: 3,
    call: ([re, s, repl]) => {
      const r = str('regexReplaceAllLiteral', repl, 'third');
      return str('regexReplaceAllLiteral', s, 'second').replace(
        regex('regexReplaceAllLiteral', re, 'g'),
        () => r,
      );
    },
  },
  regexSplit: {
    minArgs: 3,
    maxArgs: 3,
    call: ([re, s, n]) => {
      const parts = str('regexSplit', s, 'second').split(regex('regexSplit', re));
      const count = toInt(n);
      return count < 0 ? parts : parts.slice(0, count);
    },
  },
  // Refused: the output would not be a function of the parameters alone.
  now: refused('now', NONDETERMINISTIC),
  date: refused('date', NONDETERMINISTIC),
  dateInZone: refused('dateInZone', NONDETERMINISTIC),
  ago: refused('ago', NONDETERMINISTIC),
  unixEpoch: refused('unixEpoch', NONDETERMINISTIC),
  randAlpha: refused('randAlpha', NONDETERMINISTIC),
  randAlphaNum: refused('randAlphaNum', NONDETERMINISTIC),
  randNumeric: refused('randNumeric', NONDETERMINISTIC),
  randAscii: refused('randAscii', NONDETERMINISTIC),
  randInt: refused('randInt', NONDETERMINISTIC),
  uuidv4: refused('uuidv4', NONDETERMINISTIC),
  env: refused('env', 'Argo CD removes it too: a template may not read the controller environment'),
  expandenv: refused(
    'expandenv',
    'Argo CD removes it too: a template may not read the controller environment',
  ),
  getHostByName: refused('getHostByName', 'Argo CD removes it too: a template may not reach the network'),
};

function indent(n: number, s: string): string {
  const pad = ' '.repeat(Math.max(0, n));
  return pad + s.replaceAll('\n', `\n${pad}`);
}

/** Names of the extra functions, for documentation and tests. */
export const SPRIG_FUNCTION_NAMES: readonly string[] = Object.keys(SPRIG_FUNCTIONS).sort();
