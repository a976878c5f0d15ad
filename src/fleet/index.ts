/**
 * Fleet templating: ApplicationSet generators and templates, as pure logic behind small ports.
 *
 * Algorithm (per ApplicationSet, driven by the controller):
 * 1. `generateAll(spec.generators, ports, { goTemplate })` runs each generator. Leaf generators
 *    (list, clusters, git, pullRequest) read through `FleetPorts`; matrix and merge combine their
 *    children. A matrix's second child is generated once per parameter set of the first, with
 *    its spec rendered against that set. Each generator's `selector` then filters its own sets.
 * 2. For each parameter set, `renderTemplate(spec.template, params, { goTemplate })` renders
 *    every string of the template (keys too) into an Application spec.
 * Both steps are deterministic: sorted where the source has no order, no clock, no environment.
 * Errors: `GeneratorError` names the generator (`generators[1].matrix.generators[0].git`),
 * `TemplateError` the field (`spec.source.path`); an unknown key is always an error, never ''.
 */
export { GeneratorError, TemplateError } from './errors.js';
export {
  applyTemplatePatch,
  generatorTemplate,
  ignoreDifferences,
  mergeTemplate,
  preserveFields,
  withoutTemplate,
} from './appset.js';
export { withJqPointers, type AppSetIgnoreRule } from './appset-jq.js';
export { applicationSetProblems, maxUpdateProblem, type SpecProblem } from './validate.js';
export { fakePorts, type FakeFleet, type FakePorts } from './generators/fake-ports.js';
export { generate, generateAll, type GenerateOptions } from './generators/generate.js';
export { matchGlob } from './generators/glob.js';
export { branchSlug } from './generators/pull-request.js';
export { matchesSelector, selectorProblem } from './generators/selector.js';
export { flattenParams, sanitizeName } from './params.js';
export { renderTemplate, type RenderOptions } from './template/render.js';
export type {
  ClusterInfo,
  ClustersGeneratorSpec,
  FleetPorts,
  GeneratorSpec,
  GitGeneratorSpec,
  LabelSelector,
  LabelSelectorRequirement,
  ListGeneratorSpec,
  MatrixGeneratorSpec,
  MergeGeneratorSpec,
  Params,
  PullRequest,
  PullRequestFilter,
  PullRequestGeneratorSpec,
  SecretKeyRef,
} from './types.js';
export {
  planRollout,
  resolveMaxUpdate,
  reverseDeletionBatch,
  stepOf,
  type DeletionCandidate,
  type RolloutApp,
  type RolloutDecision,
  type RolloutPhase,
  type RolloutState,
  type RolloutStep,
} from './rollout.js';
