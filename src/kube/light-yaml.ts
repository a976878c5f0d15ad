/**
 * A parser for the plain block YAML that kubeconfig files are written in (kubectl's output: nested
 * mappings, sequences of mappings, plain or quoted scalars), so that a CLI call need not load the
 * full `yaml` library (about 70 modules: a third of `gitfleet app list`'s start-up, bench/cli).
 *
 * It is strict rather than complete: anything outside that subset (flow collections, block
 * scalars, anchors, tags, trailing comments, tabs, numbers other than plain integers, several
 * documents) returns `undefined`, and the caller parses the text with the full library instead.
 * What it accepts, it reads as `yaml`'s `parse` does (light-yaml.test.ts compares them).
 */
export function parseLightYaml(text: string): unknown {
  const lines: Line[] = [];
  let started = false;
  for (const raw of text.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const body = line.trimStart();
    if (body === '' || body.startsWith('#')) continue;
    const indent = line.length - body.length;
    if (line.slice(0, indent).includes('\t') || line.includes('\t')) return undefined;
    if (!started && indent === 0 && /^---\s*$/.test(body)) {
      started = true;
      continue;
    }
    started = true;
    if (body.startsWith('---') || body.startsWith('...')) return undefined;
    lines.push({ indent, text: body.trimEnd() });
  }
  if (!lines.length) return null;
  try {
    const p = new Parser(lines);
    const v = p.block(0, lines[0]?.indent ?? 0);
    if (p.i !== lines.length) return undefined;
    return v;
  } catch (e) {
    if (e === REFUSE) return undefined;
    throw e;
  }
}

interface Line {
  indent: number;
  text: string;
}

const REFUSE = Symbol('outside the light subset');
const refuse = (): never => {
  throw REFUSE;
};
const KEY = /^([A-Za-z0-9_./-]+):(?: +(.*))?$/;

class Parser {
  i: number;
  readonly #lines: Line[];
  constructor(lines: Line[]) {
    this.#lines = lines;
    this.i = 0;
  }

  /** The block starting at line `at`, whose lines are indented by `indent`. */
  block(at: number, indent: number): unknown {
    this.i = at;
    const first = this.#lines[at];
    if (!first || first.indent !== indent) return refuse();
    return isItem(first.text) ? this.#sequence(indent) : this.#mapping(indent);
  }

  #mapping(indent: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (let l = this.#lines[this.i]; l && l.indent >= indent; l = this.#lines[this.i]) {
      if (l.indent > indent || isItem(l.text)) return refuse();
      const m = KEY.exec(l.text) ?? refuse();
      const key = m[1] ?? refuse();
      if (Object.hasOwn(out, key) || key === '__proto__') return refuse();
      this.i++;
      out[key] = m[2] !== undefined ? scalar(m[2]) : this.#nested(indent, true);
    }
    return out;
  }

  #sequence(indent: number): unknown[] {
    const out: unknown[] = [];
    for (let l = this.#lines[this.i]; l && l.indent >= indent; l = this.#lines[this.i]) {
      if (l.indent > indent) return refuse();
      // A sequence aligned with its key ends at that mapping's next key.
      if (!isItem(l.text)) break;
      const rest = l.text.slice(1).trimStart();
      if (rest === '') {
        this.i++;
        out.push(this.#nested(indent, false));
      } else if (isItem(rest)) {
        return refuse();
      } else if (KEY.test(rest)) {
        // `- key: value`: a mapping whose keys line up with this first one.
        const at = indent + (l.text.length - rest.length);
        this.#lines[this.i] = { indent: at, text: rest };
        out.push(this.#mapping(at));
      } else {
        this.i++;
        out.push(scalar(rest));
      }
    }
    return out;
  }

  /** The value of a key or item written on the lines below it (null when there are none). */
  #nested(indent: number, sequenceMayAlign: boolean): unknown {
    const next = this.#lines[this.i];
    if (next && next.indent > indent) return this.block(this.i, next.indent);
    // `key:` followed by `- item` at the key's own indentation (kubectl writes this).
    if (sequenceMayAlign && next && next.indent === indent && isItem(next.text))
      return this.#sequence(indent);
    return null;
  }
}

const isItem = (t: string): boolean => t === '-' || t.startsWith('- ');

function scalar(s: string): unknown {
  if (s.startsWith('"')) {
    if (s.length < 2 || !s.endsWith('"')) return refuse();
    const inner = s.slice(1, -1);
    // JSON's escapes mean the same in YAML; anything else is left to the full parser.
    if (!/^(?:[^"\\]|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4})*$/.test(inner)) return refuse();
    return JSON.parse(s) as string;
  }
  if (s.startsWith("'")) {
    if (s.length < 2 || !s.endsWith("'")) return refuse();
    const inner = s.slice(1, -1);
    if (/'(?!')/.test(inner.replace(/''/g, ''))) return refuse();
    return inner.replace(/''/g, "'");
  }
  if (s === '{}') return {};
  if (s === '[]') return [];
  // Indicators, comments and anything a plain scalar might not mean literally.
  if (/^[[\]{}&*!|>%@`#,?:'"-]/.test(s) || s.includes(': ') || s.includes(' #') || s.endsWith(':'))
    return refuse();
  if (/^(?:null|Null|NULL|~)$/.test(s)) return null;
  if (/^(?:true|True|TRUE)$/.test(s)) return true;
  if (/^(?:false|False|FALSE)$/.test(s)) return false;
  if (/^\+?[0-9]+$/.test(s)) {
    const n = Number(s);
    return Number.isSafeInteger(n) ? n : refuse();
  }
  // Floats, hex, octal, .inf, .nan: the full parser decides.
  if (/^[+.]?[0-9]/.test(s) || /^\.(?:inf|Inf|INF|nan|NaN|NAN)$/.test(s)) return refuse();
  return s;
}
