// Parser for the subset of Go text/template that ApplicationSet templates use. Two passes: split
// the text into literal text and `{{ … }}` actions (applying `{{- ` / ` -}}` trim markers and
// dropping `/* */` comments), then parse each action into a pipeline and fold if/range/else/end
// into a tree. Unknown functions are rejected here, as Go rejects them at parse time, so a typo
// in a branch that never runs is still reported.

/**
 * An operand of a command. `field` with an empty path is `.` (or `$` when `root`); with
 * `variable` it starts from that template variable (`$app.name`).
 */
export type Operand =
  | { kind: 'field'; root: boolean; path: string[]; variable?: string }
  | { kind: 'literal'; value: string | number | boolean | null }
  | { kind: 'call'; name: string }
  | { kind: 'pipe'; pipe: Pipeline }
  /** Field access on a parenthesised result: `(split "/" .path)._1`. */
  | { kind: 'chain'; of: Operand; path: string[] };

/** A command: a function call with arguments, or a single value. */
export interface Command {
  operands: Operand[];
}

/** Commands joined by `|`; each result is passed as the last argument of the next command. */
export type Pipeline = Command[];

/** One node of a parsed template. */
export type TemplateNode =
  | { kind: 'text'; text: string }
  | { kind: 'print'; pipe: Pipeline }
  | { kind: 'if'; branches: { cond: Pipeline; body: TemplateNode[] }[]; otherwise: TemplateNode[] }
  | { kind: 'range'; pipe: Pipeline; body: TemplateNode[]; otherwise: TemplateNode[]; vars?: string[] }
  | { kind: 'with'; pipe: Pipeline; body: TemplateNode[]; otherwise: TemplateNode[]; vars?: string[] }
  /** `{{ $x := pipe }}` (declare) or `{{ $x = pipe }}` (assign); prints nothing. */
  | { kind: 'set'; name: string; declare: boolean; pipe: Pipeline };

/** A syntax error; the renderer turns it into a TemplateError with the field path. */
export class GoParseError extends Error {}

const isSpace = (ch: string | undefined): boolean => ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r';

interface RawAction {
  content: string;
  offset: number;
}

/** Splits text into literal strings and raw actions, applying trim markers. */
function splitActions(text: string): (string | RawAction)[] {
  const items: (string | RawAction)[] = [];
  let pos = 0;
  for (;;) {
    const open = text.indexOf('{{', pos);
    if (open < 0) {
      items.push(text.slice(pos));
      return items;
    }
    let literal = text.slice(pos, open);
    let start = open + 2;
    if (text[start] === '-' && isSpace(text[start + 1])) {
      literal = literal.replace(/[ \t\r\n]+$/, '');
      start += 1;
    }
    items.push(literal);
    const end = findActionEnd(text, start, open);
    let contentEnd = end;
    const trimRight = end - 2 >= start && text[end - 1] === '-' && isSpace(text[end - 2]);
    if (trimRight) contentEnd = end - 1;
    items.push({ content: text.slice(start, contentEnd), offset: open });
    pos = end + 2;
    if (trimRight) while (isSpace(text[pos])) pos++;
  }
}

/** Index of the `}}` closing the action that starts at `start`, skipping strings and comments. */
function findActionEnd(text: string, start: number, open: number): number {
  let i = start;
  while (isSpace(text[i])) i++;
  if (text.startsWith('/*', i)) {
    const close = text.indexOf('*/', i + 2);
    if (close < 0) throw new GoParseError(`unclosed comment at offset ${open}`);
    i = close + 2;
  }
  while (i < text.length) {
    const ch = text[i];
    if (text.startsWith('}}', i)) return i;
    if (ch === '"') {
      i++;
      while (i < text.length && text[i] !== '"') {
        if (text[i] === '\n') break;
        i += text[i] === '\\' ? 2 : 1;
      }
      if (text[i] !== '"') throw new GoParseError(`unterminated string in action at offset ${open}`);
    } else if (ch === '`') {
      const close = text.indexOf('`', i + 1);
      if (close < 0) throw new GoParseError(`unterminated raw string in action at offset ${open}`);
      i = close;
    }
    i++;
  }
  throw new GoParseError(`unclosed action "{{" at offset ${open}`);
}

type Token =
  | { t: 'field'; root: boolean; path: string[] }
  | { t: 'var'; name: string; path: string[] }
  | { t: ':=' }
  | { t: '=' }
  | { t: ',' }
  | { t: 'chain'; path: string[] }
  | { t: 'ident'; name: string }
  | { t: 'string'; value: string }
  | { t: 'number'; value: number }
  | { t: '|' }
  | { t: '(' }
  | { t: ')' };

const FIELD = /(\$?)((?:\.[A-Za-z_][A-Za-z0-9_]*)+|\.)?/y;
const IDENT = /[A-Za-z_][A-Za-z0-9_]*/y;
const VARIABLE = /\$([A-Za-z_][A-Za-z0-9_]*)((?:\.[A-Za-z_][A-Za-z0-9_]*)*)/y;
const NUMBER = /-?(?:0[xX][0-9a-fA-F]+|\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/y;

function lexAction(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const at = (re: RegExp): string | undefined => {
    re.lastIndex = i;
    const m = re.exec(src);
    return m ? m[0] : undefined;
  };
  while (i < src.length) {
    const ch = src[i] ?? '';
    if (isSpace(ch)) {
      i++;
    } else if (ch === '|' || ch === '(' || ch === ')') {
      tokens.push({ t: ch });
      i++;
    } else if (ch === '"') {
      const end = closingQuote(src, i);
      tokens.push({ t: 'string', value: unquote(src.slice(i, end + 1)) });
      i = end + 1;
    } else if (ch === '`') {
      const end = src.indexOf('`', i + 1);
      tokens.push({ t: 'string', value: src.slice(i + 1, end) });
      i = end + 1;
    } else if (ch === '$' && /[A-Za-z_]/.test(src[i + 1] ?? '')) {
      VARIABLE.lastIndex = i;
      const m = VARIABLE.exec(src);
      const text = m?.[0] ?? '$';
      tokens.push({ t: 'var', name: m?.[1] ?? '', path: m?.[2] ? m[2].slice(1).split('.') : [] });
      i += text.length;
    } else if (src.startsWith(':=', i)) {
      tokens.push({ t: ':=' });
      i += 2;
    } else if (ch === '=' || ch === ',') {
      tokens.push({ t: ch });
      i++;
    } else if (ch === '.' && src[i - 1] === ')' && /[A-Za-z_]/.test(src[i + 1] ?? '')) {
      const text = at(FIELD) ?? ch;
      tokens.push({ t: 'chain', path: text.slice(1).split('.') });
      i += text.length;
    } else if (ch === '.' || ch === '$') {
      const text = at(FIELD) ?? ch;
      const root = text.startsWith('$');
      const rest = root ? text.slice(1) : text;
      tokens.push({ t: 'field', root, path: rest === '.' || rest === '' ? [] : rest.slice(1).split('.') });
      i += text.length;
    } else if (/[-0-9]/.test(ch) && at(NUMBER) !== undefined) {
      const text = at(NUMBER) ?? '';
      tokens.push({ t: 'number', value: Number(text) });
      i += text.length;
    } else if (/[A-Za-z_]/.test(ch)) {
      const name = at(IDENT) ?? '';
      tokens.push({ t: 'ident', name });
      i += name.length;
    } else {
      throw new GoParseError(`unsupported character "${ch}" in "{{${src}}}"`);
    }
  }
  return tokens;
}

function closingQuote(src: string, start: number): number {
  let i = start + 1;
  while (i < src.length && src[i] !== '"') i += src[i] === '\\' ? 2 : 1;
  return i;
}

function unquote(quoted: string): string {
  try {
    // Go's escapes that JSON lacks are rare in templates; JSON covers \n \t \" \\ \uXXXX.
    const value: unknown = JSON.parse(quoted);
    if (typeof value === 'string') return value;
  } catch {
    // reported below
  }
  throw new GoParseError(`unsupported escape in string ${quoted}`);
}

const UNSUPPORTED = new Set(['define', 'template', 'block', 'break', 'continue']);

/** Parses a pipeline from `tokens[i]`; stops at end of input or, inside parentheses, at `)`. */
function parsePipeline(
  tokens: Token[],
  start: number,
  inParens: boolean,
  isFunction: (name: string) => boolean,
): { pipe: Pipeline; next: number } {
  const pipe: Pipeline = [];
  let operands: Operand[] = [];
  const finishCommand = (): void => {
    if (operands.length === 0) throw new GoParseError('missing value for command');
    const [first, ...rest] = operands;
    if (first && first.kind !== 'call' && rest.length > 0) {
      throw new GoParseError("can't give argument to non-function");
    }
    if (first && first.kind !== 'call' && pipe.length > 0) {
      throw new GoParseError('a command after "|" must be a function');
    }
    pipe.push({ operands });
    operands = [];
  };
  let i = start;
  while (i < tokens.length) {
    const tok = tokens[i];
    if (!tok) break;
    if (tok.t === '|') {
      finishCommand();
      i++;
    } else if (tok.t === ')') {
      if (!inParens) throw new GoParseError('unexpected ")"');
      finishCommand();
      return { pipe, next: i + 1 };
    } else if (tok.t === '(') {
      const inner = parsePipeline(tokens, i + 1, true, isFunction);
      operands.push({ kind: 'pipe', pipe: inner.pipe });
      i = inner.next;
    } else if (tok.t === 'field') {
      operands.push({ kind: 'field', root: tok.root, path: tok.path });
      i++;
    } else if (tok.t === 'chain') {
      const of = operands.pop();
      if (of?.kind !== 'pipe') throw new GoParseError('a field can follow only a parenthesised value');
      operands.push({ kind: 'chain', of, path: tok.path });
      i++;
    } else if (tok.t === 'var') {
      operands.push({ kind: 'field', root: false, path: tok.path, variable: tok.name });
      i++;
    } else if (tok.t === ':=' || tok.t === '=' || tok.t === ',') {
      throw new GoParseError(`unexpected "${tok.t}" in a pipeline`);
    } else if (tok.t === 'string' || tok.t === 'number') {
      operands.push({ kind: 'literal', value: tok.value });
      i++;
    } else {
      operands.push(identOperand(tok.name, isFunction));
      i++;
    }
  }
  if (inParens) throw new GoParseError('unclosed "("');
  finishCommand();
  return { pipe, next: i };
}

function identOperand(name: string, isFunction: (name: string) => boolean): Operand {
  if (name === 'true' || name === 'false') return { kind: 'literal', value: name === 'true' };
  if (name === 'nil') return { kind: 'literal', value: null };
  if (UNSUPPORTED.has(name) || ['if', 'else', 'end', 'range', 'with'].includes(name)) {
    throw new GoParseError(`"${name}" is not supported here`);
  }
  if (!isFunction(name)) throw new GoParseError(`unknown function "${name}"`);
  return { kind: 'call', name };
}

function wholePipeline(tokens: Token[], isFunction: (name: string) => boolean): Pipeline {
  return parsePipeline(tokens, 0, false, isFunction).pipe;
}

interface Frame {
  node: Extract<TemplateNode, { kind: 'if' | 'range' | 'with' }>;
  target: TemplateNode[];
  inElse: boolean;
}

/**
 * A leading declaration of an action: `$x :=`, `$x =`, or range's `$i, $e :=`. Returns the
 * variable names, whether they are declared (`:=`), and where the pipeline starts; undefined
 * when the action does not start with one.
 */
function declaration(tokens: Token[]): { names: string[]; declare: boolean; rest: Token[] } | undefined {
  const [a, b, c, d] = tokens;
  const plain = (t: Token | undefined): t is Extract<Token, { t: 'var' }> =>
    t?.t === 'var' && t.path.length === 0;
  if (plain(a) && (b?.t === ':=' || b?.t === '='))
    return { names: [a.name], declare: b.t === ':=', rest: tokens.slice(2) };
  if (plain(a) && b?.t === ',' && plain(c) && d?.t === ':=')
    return { names: [a.name, c.name], declare: true, rest: tokens.slice(4) };
  return undefined;
}

/**
 * Parses a template into nodes. Throws {@link GoParseError} for syntax errors, unknown functions
 * and unsupported constructs (`define`, `template`, `block`).
 */
export function parseGoTemplate(text: string, isFunction: (name: string) => boolean): TemplateNode[] {
  const root: TemplateNode[] = [];
  const stack: Frame[] = [];
  // Variables in scope, innermost block last: a variable lives until the {{end}} of its block.
  const declared: Set<string>[] = [new Set()];
  const checkVars = (tokens: Token[]): void => {
    for (const t of tokens)
      if (t.t === 'var' && !declared.some((s) => s.has(t.name)))
        throw new GoParseError(`undefined variable "$${t.name}"`);
  };
  const target = (): TemplateNode[] => stack.at(-1)?.target ?? root;
  for (const item of splitActions(text)) {
    if (typeof item === 'string') {
      if (item) target().push({ kind: 'text', text: item });
      continue;
    }
    const trimmed = item.content.trim();
    if (trimmed.startsWith('/*') && trimmed.endsWith('*/')) continue;
    const tokens = lexAction(item.content);
    const [first, second] = tokens;
    const keyword = first?.t === 'ident' ? first.name : undefined;
    if (keyword === 'if' || keyword === 'range' || keyword === 'with') {
      const decl = declaration(tokens.slice(1));
      if (decl && (!decl.declare || keyword === 'if' || (keyword === 'with' && decl.names.length > 1)))
        throw new GoParseError(
          `{{${keyword}}} takes only "$x :=" declarations${keyword === 'range' ? ' or "$i, $x :="' : ''}`,
        );
      const pipeTokens = decl ? decl.rest : tokens.slice(1);
      checkVars(pipeTokens);
      const pipe = wholePipeline(pipeTokens, isFunction);
      const body: TemplateNode[] = [];
      const vars = decl ? { vars: decl.names } : {};
      const node: Frame['node'] =
        keyword === 'if'
          ? { kind: 'if', branches: [{ cond: pipe, body }], otherwise: [] }
          : { kind: keyword, pipe, body, otherwise: [], ...vars };
      target().push(node);
      stack.push({ node, target: body, inElse: false });
      declared.push(new Set(decl?.names ?? []));
    } else if (keyword === 'else') {
      const frame = stack.at(-1);
      if (!frame || frame.inElse) throw new GoParseError(`unexpected {{else}} at offset ${item.offset}`);
      if (second?.t === 'ident' && second.name === 'if') {
        if (frame.node.kind !== 'if') throw new GoParseError('{{else if}} is only allowed inside {{if}}');
        checkVars(tokens.slice(2));
        const branch = { cond: wholePipeline(tokens.slice(2), isFunction), body: [] };
        frame.node.branches.push(branch);
        frame.target = branch.body;
      } else {
        if (tokens.length > 1) throw new GoParseError('unexpected tokens after {{else}}');
        frame.target = frame.node.otherwise;
        frame.inElse = true;
      }
    } else if (keyword === 'end') {
      if (tokens.length > 1) throw new GoParseError('unexpected tokens after {{end}}');
      if (!stack.pop()) throw new GoParseError(`unexpected {{end}} at offset ${item.offset}`);
      declared.pop();
    } else if (keyword !== undefined && UNSUPPORTED.has(keyword)) {
      throw new GoParseError(`"{{${keyword}}}" is not supported`);
    } else {
      const decl = declaration(tokens);
      if (decl && decl.names.length > 1) throw new GoParseError('only {{range}} declares two variables');
      const pipeTokens = decl ? decl.rest : tokens;
      checkVars(pipeTokens);
      const pipe = wholePipeline(pipeTokens, isFunction);
      if (decl) {
        const name = decl.names[0] ?? '';
        if (!decl.declare) checkVars(tokens.slice(0, 1));
        target().push({ kind: 'set', name, declare: decl.declare, pipe });
        if (decl.declare) declared.at(-1)?.add(name);
      } else target().push({ kind: 'print', pipe });
    }
  }
  const open = stack.at(-1);
  if (open) throw new GoParseError(`missing {{end}} for {{${open.node.kind}}}`);
  return root;
}
