// Evaluates parsed Go templates against one parameter set. Behaves as Argo CD with
// `goTemplateOptions: ["missingkey=error"]`, with one deliberate difference: a missing key handed
// to `default` (directly or through a pipe) yields the default instead of failing, so optional
// params can be written `{{ .x | default "y" }}`.

import { TemplateError } from '../errors.js';
import { isRecord } from '../params.js';
import { FuncProblem, goFunction, isGoFunction } from './go-funcs.js';
import { GoParseError, parseGoTemplate } from './go-parse.js';
import type { Operand, Pipeline, TemplateNode } from './go-parse.js';
import { Missing, goString, truthy, typeName } from './go-values.js';

interface Scope {
  dot: unknown;
  root: unknown;
  fieldPath: string;
}

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

function fieldValue(op: Extract<Operand, { kind: 'field' }>, scope: Scope): unknown {
  let current = op.root ? scope.root : scope.dot;
  const walked: string[] = [];
  const written = (): string => `"${op.root ? '$' : ''}.${walked.join('.')}"`;
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
    if (arg instanceof Missing && !fn.missingOk?.(i, args.length)) throw unknownKey(arg, scope);
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
  if (value instanceof Missing) throw unknownKey(value, scope);
  return value;
}

function execute(nodes: TemplateNode[], scope: Scope): string {
  let out = '';
  for (const node of nodes) {
    switch (node.kind) {
      case 'text':
        out += node.text;
        break;
      case 'print':
        out += goString(defined(pipelineValue(node.pipe, scope), scope));
        break;
      case 'if': {
        const branch = node.branches.find((b) => truthy(defined(pipelineValue(b.cond, scope), scope)));
        out += execute(branch ? branch.body : node.otherwise, scope);
        break;
      }
      case 'range': {
        const value = defined(pipelineValue(node.pipe, scope), scope);
        let items: unknown[];
        if (Array.isArray(value)) items = value;
        else if (isRecord(value))
          items = Object.keys(value)
            .sort()
            .map((k) => value[k]);
        else if (value === null || value === undefined) items = [];
        else throw new TemplateError(scope.fieldPath, `range can't iterate over ${typeName(value)}`);
        if (items.length === 0) out += execute(node.otherwise, scope);
        for (const item of items) out += execute(node.body, { ...scope, dot: item });
        break;
      }
    }
  }
  return out;
}

/**
 * Renders one string as a Go template with `params` as `.`. Throws {@link TemplateError} naming
 * `fieldPath` for syntax errors, unknown keys (outside `default`) and unknown functions.
 */
export function renderGo(text: string, params: unknown, fieldPath: string): string {
  if (!text.includes('{{')) return text;
  return execute(parse(text, fieldPath), { dot: params, root: params, fieldPath });
}
