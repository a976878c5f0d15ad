/**
 * Argo CD's `ignoreDifferences[].jqPathExpressions`: each expression selects fields (Argo runs
 * `del(<expr>)` on both the live and the desired object). gitfleet asks jq for the *paths* the
 * expression selects (`[path(<expr>)]`, the same paths `del` removes) and turns them into JSON
 * pointers, so the rest of the diff (and RespectIgnoreDifferences) works on pointers as for
 * `jsonPointers`. Paths are found per object and per side, since a `select(...)` may pick a
 * different list index in live than in desired.
 *
 * jq is Debian's `jq` (installed by .ci/run), run with an argv array, an empty environment (so
 * `env`/`$ENV` reveal nothing of the hub), `/` as its directory, a 1 s timeout (Argo's default
 * `ignore.normalizer.jq.timeout`) and a bounded output. Its output is parsed strictly as a list of
 * paths; nothing it prints is ever echoed into an error, and object data never reaches argv.
 */
import { execFile } from 'node:child_process';

import { formatObjectRef } from '../../core/object-ref.js';
import type { KubeObject } from '../../kube/types.js';
import { ruleMatches, type IgnoreRule } from './diff.js';

/** Argo CD's default for `ignore.normalizer.jq.timeout`. */
export const JQ_TIMEOUT_MS = 1000;
/** An expression longer than this is refused (a field selector, not a program). */
export const JQ_MAX_EXPRESSION = 2048;
const MAX_OUTPUT = 4 * 1024 * 1024;

export interface JqOptions {
  /** The jq binary; default `GITFLEET_JQ` or `jq` on PATH. */
  binary?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** Raised when an expression cannot be evaluated; names the expression and the object. */
export class JqExpressionError extends Error {
  override name = 'JqExpressionError';
}

/** The JSON pointers every matching rule's jqPathExpressions select in `obj` (none when no rule has any). */
export async function jqIgnoredPointers(
  ignore: readonly IgnoreRule[],
  obj: KubeObject | undefined,
  opts: JqOptions = {},
): Promise<string[]> {
  if (!obj) return [];
  const exprs = ignore
    .filter((r) => r.jqPathExpressions?.length && ruleMatches(r, obj))
    .flatMap((r) => r.jqPathExpressions ?? []);
  const out: string[] = [];
  for (const expr of exprs) out.push(...(await jqPaths(expr, obj, opts)));
  return out;
}

/** The paths `expr` selects in `input`, as JSON pointers. */
export async function jqPaths(expr: string, input: KubeObject, opts: JqOptions = {}): Promise<string[]> {
  const what = `ignoreDifferences jqPathExpression ${JSON.stringify(expr.slice(0, 200))} on ${describe(input)}`;
  if (expr.trim() === '') throw new JqExpressionError(`${what}: the expression is empty`);
  if (expr.length > JQ_MAX_EXPRESSION)
    throw new JqExpressionError(`${what}: longer than ${JQ_MAX_EXPRESSION} characters`);
  // The program always starts with `[`, so the expression can never be read as a jq option.
  const program = `[path(${expr})]`;
  const stdout = await run(
    opts.binary ?? process.env.GITFLEET_JQ ?? 'jq',
    ['-c', program],
    JSON.stringify(input),
    {
      timeoutMs: opts.timeoutMs ?? JQ_TIMEOUT_MS,
      signal: opts.signal,
      what,
    },
  );
  let parsed: unknown;
  try {
    parsed = JSON.parse(stdout);
  } catch {
    throw new JqExpressionError(`${what}: jq did not return a list of paths`);
  }
  if (!Array.isArray(parsed) || !parsed.every(isPath))
    throw new JqExpressionError(`${what}: jq did not return a list of paths`);
  return parsed.filter((p) => p.length > 0).map(toPointer);
}

function isPath(p: unknown): p is (string | number)[] {
  return (
    Array.isArray(p) &&
    p.every((s) => typeof s === 'string' || (typeof s === 'number' && Number.isInteger(s) && s >= 0))
  );
}

function toPointer(path: (string | number)[]): string {
  return `/${path.map((s) => String(s).replace(/~/g, '~0').replace(/\//g, '~1')).join('/')}`;
}

function describe(obj: KubeObject): string {
  return formatObjectRef({ kind: obj.kind, namespace: obj.metadata.namespace, name: obj.metadata.name });
}

function run(
  binary: string,
  args: string[],
  input: string,
  o: { timeoutMs: number; signal?: AbortSignal; what: string },
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      binary,
      args,
      { env: {}, cwd: '/', timeout: o.timeoutMs, maxBuffer: MAX_OUTPUT, signal: o.signal, encoding: 'utf8' },
      (err, stdout, stderr) => {
        if (!err) return resolve(stdout);
        const e = err as NodeJS.ErrnoException & { killed?: boolean; signal?: string | null };
        if (e.code === 'ENOENT')
          return reject(
            new Error(
              `jq not found (${binary}): install it with \`apt-get install jq\` (as .ci/run does) or set GITFLEET_JQ`,
            ),
          );
        if (e.killed || e.signal === 'SIGTERM')
          return reject(new JqExpressionError(`${o.what}: timed out after ${o.timeoutMs} ms`));
        // Exit 3 is a compile error: jq's message quotes only the program, so it is shown. A runtime
        // error (exit 5) may quote the object's values (a Secret's too), so it is not.
        if ((e.code as unknown) === 3) {
          const first = stderr.split('\n').find((l) => l.trim()) ?? 'compile error';
          return reject(new JqExpressionError(`${o.what}: ${first.slice(0, 300)}`));
        }
        return reject(
          new JqExpressionError(
            `${o.what}: jq failed on this object (not a path expression here; jq's message is withheld as it may quote the object's values)`,
          ),
        );
      },
    );
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(input);
  });
}
