import { createRequire } from 'node:module';
import type * as CelJs from '@marcbachmann/cel-js';

/**
 * CEL (@marcbachmann/cel-js), loaded on first use. Its function registry is about 1 MiB of heap
 * that a hub without CEL (no Project policy, health rule or canary condition written in it) never
 * needs. Node ≥ 20.19 loads an ES module synchronously through `require`, so the compilers that
 * use CEL stay synchronous.
 */
let loaded: typeof CelJs | undefined;
let environment: CelJs.Environment | undefined;

export function celModule(): typeof CelJs {
  loaded ??= createRequire(import.meta.url)('@marcbachmann/cel-js') as typeof CelJs;
  return loaded;
}

/**
 * The environment of health rules and canary conditions: an unlisted variable is dynamic (the
 * object's own fields), optional types (`?.`) allowed. One shared instance: it holds no state per
 * expression.
 */
export function celEnvironment(): CelJs.Environment {
  environment ??= new (celModule().Environment)({ unlistedVariablesAreDyn: true, enableOptionalTypes: true });
  return environment;
}
