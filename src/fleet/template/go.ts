// Evaluates parsed Go templates against one parameter set, with Go's `missingkey` choice:
// `error` (Argo CD's `goTemplateOptions: ["missingkey=error"]`) fails naming the key, with one
// deliberate difference: a missing key handed to `default` (directly or through a pipe) yields the
// default instead of failing, so optional params can be written `{{ .x | default "y" }}`;
// `default` (Go's and Argo CD's default) prints `<no value>` and hands functions a nil.

import { TemplateError } from '../errors.js';
import { isRecord } from '../params.js';
import { FuncProblem, goFunction, isGoFunction } from './go-funcs.js';
import { GoParseError, parseGoTemplate } from './go-parse.js';
import type { Operand, Pipeline, TemplateNode } from './go-parse.js';
import { Missing, goString, truthy, typeName } from './go-values.js';

/** Go's `missingkey` option: `default`/`invalid`/`zero` behave alike for parameter maps. */
export type MissingKey = 'error' | 'default';

interface Scope {
  dot: unknown;
  root: unknown;
  fieldPath: string;
  missingKey: MissingKey;
  /** Template variables; a block's own object inherits its parent's through the prototype. */
  vars: Record<string, unknown>;
}

/** What text/template prints for a missing key under `missingkey=default`. */
const NO_VALUE = '<no value>';

// Templates repeat across every parameter set, so parse each distinct text once. Bounded so a
// long-running controller cannot grow it without limit.
const PARSED = new Map<string, TemplateNode[]>();
const PARSED_LIMIT = 2000;

function parse(text: string, fieldPath: string): TemplateNode[] {
  const cached = PARSED.get(text);
  if (cached) return cached;
  let nodes: TemplateNode[];
  try {
    nodes = parseGoTemplate(text, isGoFunction);
  } catch (err) {
    if (err instanceof GoParseError) throw new TemplateError(fieldPath, err.message, { cause: err });
    throw err;
  }
  if (PARSED.size >= PARSED_LIMIT) PARSED.clear();
  PARSED.set(text, nodes);
  return nodes;
}

function unknownKey(missing: Missing, scope: Scope): TemplateError {
  return new TemplateError(scope.fieldPath, `unknown key ${missing.what}`);
}

function fieldValue(
  op: Extract<Operand, { kind: 'field' }>,
  scope: Scope,
  from?: { value: unknown; written: string },
): unknown {
  let current = from
    ? from.value
    : op.variable !== undefined
      ? scope.vars[op.variable]
      : op.root
        ? scope.root
        : scope.dot;
  const walked: string[] = [];
  const start = from ? from.written : op.variable !== undefined ? `$${op.variable}` : op.root ? '$' : '';
  const written = (): string => `"${start}.${walked.join('.')}"`;
  for (const key of op.path) {
    walked.push(key);
    if (current instanceof Missing || current === null || current === undefined) {
      current = new Missing(written());
    } else if (isRecord(current)) {
      current = Object.hasOwn(current, key) ? current[key] : new Missing(written());
    } else {
      throw new TemplateError(
        scope.fieldPath,
        `can't evaluate field "${key}" of ${written()}: the value before it is a ${typeName(current)}`,
      );
    }
  }
  return current;
}

function operandValue(op: Operand, scope: Scope): unknown {
  switch (op.kind) {
    case 'field':
      return fieldValue(op, scope);
    case 'literal':
      return op.value;
    case 'call':
      return call(op.name, [], scope);
    case 'pipe':
      return pipelineValue(op.pipe, scope);
    case 'chain':
      return fieldValue({ kind: 'field', root: false, path: op.path }, scope, {
        value: operandValue(op.of, scope),
        written: '(…)',
      });
  }
}

function call(name: string, args: unknown[], scope: Scope): unknown {
  const fn = goFunction(name);
  if (args.length < fn.minArgs || args.length > fn.maxArgs) {
    const want = fn.minArgs === fn.maxArgs ? `${fn.minArgs}` : `at least ${fn.minArgs}`;
    throw new TemplateError(
      scope.fieldPath,
      `wrong number of args for ${name}: want ${want}, got ${args.length}`,
    );
  }
  args.forEach((arg, i) => {
    if (arg instanceof Missing && !fn.missingOk?.(i, args.length)) {
      if (scope.missingKey === 'error') throw unknownKey(arg, scope);
      args[i] = null;
    }
  });
  try {
    return fn.call(args);
  } catch (err) {
    if (err instanceof FuncProblem) throw new TemplateError(scope.fieldPath, err.message, { cause: err });
    throw err;
  }
}

function pipelineValue(pipe: Pipeline, scope: Scope): unknown {
  let value: unknown;
  pipe.forEach((command, stage) => {
    const [head, ...rest] = command.operands;
    if (head?.kind === 'call') {
      const args = rest.map((op) => operandValue(op, scope));
      if (stage > 0) args.push(value);
      value = call(head.name, args, scope);
    } else if (head) {
      value = operandValue(head, scope);
    }
  });
  return value;
}

function defined(value: unknown, scope: Scope): unknown {
  if (value instanceof Missing) {
    if (scope.missingKey === 'error') throw unknownKey(value, scope);
    return null;
  }
  return value;
}

/** A block's variables: new declarations stay inside, outer ones stay visible. */
function child(vars: Record<string, unknown>): Record<string, unknown> {
  return Object.create(vars) as Record<string, unknown>;
}

function execute(nodes: TemplateNode[], scope: Scope): string {
  let out = '';
  for (const node of nodes) {
    switch (node.kind) {
      case 'text':
        out += node.text;
        break;
      case 'print': {
        const value = pipelineValue(node.pipe, scope);
        out +=
          value instanceof Missing && scope.missingKey === 'default'
            ? NO_VALUE
            : goString(defined(value, scope));
        break;
      }
      case 'if': {
        const branch = node.branches.find((b) => truthy(defined(pipelineValue(b.cond, scope), scope)));
        out += execute(branch ? branch.body : node.otherwise, { ...scope, vars: child(scope.vars) });
        break;
      }
      case 'set': {
        const value = defined(pipelineValue(node.pipe, scope), scope);
        if (node.declare) scope.vars[node.name] = value;
        else {
          // Assignment changes the variable where it was declared, as in Go.
          let owner: Record<string, unknown> | null = scope.vars;
          while (owner && !Object.hasOwn(owner, node.name))
            owner = Object.getPrototypeOf(owner) as typeof owner;
          (owner ?? scope.vars)[node.name] = value;
        }
        break;
      }
      case 'with': {
        // `with`: the body runs with the value as `.` when it is not empty, else the else branch.
        const value = defined(pipelineValue(node.pipe, scope), scope);
        const inner = { ...scope, vars: child(scope.vars) };
        if (node.vars?.[0]) inner.vars[node.vars[0]] = value;
        out += truthy(value) ? execute(node.body, { ...inner, dot: value }) : execute(node.otherwise, inner);
        break;
      }
      case 'range': {
        const value = defined(pipelineValue(node.pipe, scope), scope);
        let items: [unknown, unknown][];
        if (Array.isArray(value)) items = value.map((v, i) => [i, v]);
        else if (isRecord(value))
          items = Object.keys(value)
            .sort()
            .map((k) => [k, value[k]]);
        else if (value === null || value === undefined) items = [];
        else throw new TemplateError(scope.fieldPath, `range can't iterate over ${typeName(value)}`);
        if (items.length === 0) out += execute(node.otherwise, { ...scope, vars: child(scope.vars) });
        for (const [key, item] of items) {
          const vars = child(scope.vars);
          // `range $e := …` binds the element; `range $i, $e := …` the index (or key) and element.
          const [first, second] = node.vars ?? [];
          if (first !== undefined && second !== undefined) {
            vars[first] = key;
            vars[second] = item;
          } else if (first !== undefined) vars[first] = item;
          out += execute(node.body, { ...scope, dot: item, vars });
        }
        break;
      }
    }
  }
  return out;
}

/**
 * Renders one string as a Go template with `params` as `.`. Throws {@link TemplateError} naming
 * `fieldPath` for syntax errors, unknown functions and (with `missingKey: 'error'`, the default
 * here) unknown keys outside `default`.
 */
export function renderGo(
  text: string,
  params: unknown,
  fieldPath: string,
  opts: { missingKey?: MissingKey } = {},
): string {
  if (!text.includes('{{')) return text;
  return execute(parse(text, fieldPath), {
    dot: params,
    root: params,
    fieldPath,
    missingKey: opts.missingKey ?? 'error',
    vars: Object.create(null) as Record<string, unknown>,
  });
}

/**
 * Reads Argo CD's `goTemplateOptions`. Only `missingkey=…` exists in Go's text/template; anything
 * else is refused naming the option (`spec.goTemplateOptions[1]`) rather than ignored.
 */
export function missingKeyOption(options: readonly string[]): MissingKey {
  let mode: MissingKey = 'default';
  options.forEach((opt, i) => {
    const m = /^missingkey=(default|invalid|zero|error)$/.exec(opt);
    if (!m) {
      throw new TemplateError(
        `spec.goTemplateOptions[${i}]`,
        `unsupported option ${JSON.stringify(opt)}; Go templates accept missingkey=default|invalid|zero|error`,
      );
    }
    mode = m[1] === 'error' ? 'error' : 'default';
  });
  return mode;
}
