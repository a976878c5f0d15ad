import { GeneratorError } from '../errors.js';
import type { FleetPorts, GeneratorSpec, Params } from '../types.js';
import { clustersParams } from './clusters.js';
import { interpolate } from './context.js';
import type { GeneratorCall, GeneratorContext } from './context.js';
import { gitParams } from './git.js';
import { listParams } from './list.js';
import { matrixParams } from './matrix.js';
import { mergeParams } from './merge.js';
import { pullRequestGeneratorParams } from './pull-request.js';
import { filterBySelector, selectorProblem } from './selector.js';

/** Options of {@link generate}. */
export interface GenerateOptions {
  /** Produce params for Go templates (nested) instead of fasttemplate (flat strings). */
  goTemplate: boolean;
  /** Accepted for compatibility; missing keys are always errors. */
  goTemplateOptions?: string[];
  /** Where the generator sits in the ApplicationSet, used in errors; default `generators[0]`. */
  path?: string;
}

const KINDS = ['list', 'clusters', 'git', 'matrix', 'merge', 'pullRequest'] as const;
type Kind = (typeof KINDS)[number];

async function produce(
  kind: Kind,
  spec: GeneratorSpec,
  ctx: GeneratorContext,
  call: GeneratorCall,
): Promise<Params[]> {
  const missing = (): never => {
    throw new GeneratorError(call.path, `${kind} is empty`);
  };
  switch (kind) {
    case 'list':
      return listParams(spec.list ?? missing(), ctx, call);
    case 'clusters':
      return clustersParams(spec.clusters ?? missing(), ctx, call);
    case 'git':
      return gitParams(spec.git ?? missing(), ctx, call);
    case 'matrix':
      return matrixParams(spec.matrix ?? missing(), ctx, call);
    case 'merge':
      return mergeParams(spec.merge ?? missing(), ctx, call);
    case 'pullRequest':
      return pullRequestGeneratorParams(spec.pullRequest ?? missing(), ctx, call);
  }
}

async function run(
  spec: GeneratorSpec,
  ctx: GeneratorContext,
  path: string,
  scope: Params | undefined,
): Promise<Params[]> {
  const kinds = KINDS.filter((k) => spec[k] !== undefined && spec[k] !== null);
  const [kind] = kinds;
  if (kinds.length !== 1 || !kind) {
    const found = kinds.length === 0 ? 'none' : kinds.join(', ');
    throw new GeneratorError(path, `a generator needs exactly one of ${KINDS.join(', ')}; found ${found}`);
  }
  const call: GeneratorCall = { path: `${path}.${kind}`, scope };
  const sets = await produce(kind, spec, ctx, call);
  if (spec.selector === undefined) return sets;
  const selector = interpolate(spec.selector, 'selector', ctx, { path, scope });
  const problem = selectorProblem(selector);
  if (problem) throw new GeneratorError(path, `selector.${problem}`);
  return filterBySelector(sets, selector);
}

/**
 * Runs one generator (and its children) and returns its parameter sets, after its post-selector.
 * fasttemplate sets are flat string maps; goTemplate sets may nest. Pure apart from the ports:
 * no clock, no environment. Throws GeneratorError (with `generatorPath`) for invalid specs and
 * failed port calls.
 */
export async function generate(
  spec: GeneratorSpec,
  ports: FleetPorts,
  opts: GenerateOptions,
): Promise<Params[]> {
  const ctx: GeneratorContext = {
    ports,
    goTemplate: opts.goTemplate,
    run: (child, path, scope) => run(child, ctx, path, scope),
  };
  return run(spec, ctx, opts.path ?? 'generators[0]', undefined);
}

/**
 * Runs every top-level generator of an ApplicationSet in order (errors name `generators[i]`) and
 * concatenates their parameter sets, as Argo CD does; duplicate Applications are the caller's
 * concern.
 */
export async function generateAll(
  generators: GeneratorSpec[],
  ports: FleetPorts,
  opts: Omit<GenerateOptions, 'path'>,
): Promise<Params[]> {
  const out: Params[] = [];
  for (const [i, spec] of generators.entries()) {
    out.push(...(await generate(spec, ports, { ...opts, path: `generators[${i}]` })));
  }
  return out;
}
