// Argo CD's ApplicationSet spec, field by field: each field is either honoured or refused by name.
// Pure: the controller turns the problems into an `ErrorOccurred` condition and an Event, and
// generates nothing while any remain, so no field is ever silently dropped.
//
// The Application spec under `template.spec` is not checked here: each generated Application is
// checked by the Application controller, which names the field there.

import { isRecord } from './params.js';

/** One field that cannot be honoured: its path in the ApplicationSet and why. */
export interface SpecProblem {
  /** `spec.generators[0].scmProvider`, `spec.strategy.rollingSync.steps[1].maxUpdate`… */
  field: string;
  message: string;
  /** `UnsupportedField` (an Argo CD field gitfleet refuses), `UnknownField` or `InvalidValue`. */
  reason: 'UnsupportedField' | 'UnknownField' | 'InvalidValue';
}

/** A node of the field tree: what a field may hold. */
type Node =
  | { kind: 'any' }
  | { kind: 'refused'; why: string }
  | { kind: 'object'; fields: Record<string, Node>; check?: Check }
  | { kind: 'list'; items: Node; check?: Check }
  | { kind: 'leaf'; check?: Check };

type Check = (value: unknown, field: string, problems: SpecProblem[]) => void;

const any: Node = { kind: 'any' };
const leaf = (check?: Check): Node => (check ? { kind: 'leaf', check } : { kind: 'leaf' });
const obj = (fields: Record<string, Node>, check?: Check): Node =>
  check ? { kind: 'object', fields, check } : { kind: 'object', fields };
const list = (items: Node, check?: Check): Node =>
  check ? { kind: 'list', items, check } : { kind: 'list', items };
const refused = (why: string): Node => ({ kind: 'refused', why });

const invalid = (problems: SpecProblem[], field: string, message: string): void => {
  problems.push({ field, message, reason: 'InvalidValue' });
};

const oneOf =
  (...allowed: string[]): Check =>
  (value, field, problems) => {
    if (typeof value !== 'string' || !allowed.includes(value))
      invalid(problems, field, `must be one of ${allowed.join(', ')}; got ${JSON.stringify(value)}`);
  };

/** Argo's `maxUpdate`: a non-negative integer or a percentage string such as `25%`. */
export function maxUpdateProblem(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return undefined;
  if (typeof value === 'string' && /^(\d+)%$/.test(value) && Number.parseInt(value, 10) <= 100)
    return undefined;
  if (typeof value === 'string' && /^\d+$/.test(value)) return undefined;
  return `must be a non-negative integer or a percentage like "25%"; got ${JSON.stringify(value)}`;
}

const selectorRequirements = list(
  obj({ key: leaf(), operator: leaf(oneOf('In', 'NotIn', 'Exists', 'DoesNotExist')), values: list(leaf()) }),
  (value, field, problems) => {
    if (!Array.isArray(value)) return;
    value.forEach((r, i) => {
      if (!isRecord(r)) return;
      const needsValues = r.operator === 'In' || r.operator === 'NotIn';
      const values = Array.isArray(r.values) ? r.values : [];
      if (needsValues && values.length === 0)
        invalid(problems, `${field}[${i}].values`, `operator ${String(r.operator)} needs at least one value`);
      if (!needsValues && values.length > 0)
        invalid(problems, `${field}[${i}].values`, `operator ${String(r.operator)} takes no values`);
    });
  },
);
const labelSelector = obj({ matchLabels: any, matchExpressions: selectorRequirements });

const templateMeta = obj({ name: leaf(), namespace: leaf(), labels: any, annotations: any, finalizers: any });
const template = obj({ metadata: templateMeta, spec: any });
const NESTED_TEMPLATE =
  'a per-generator template is honoured only on a top-level generator (Argo CD ignores it inside matrix and merge)';

const PROVIDER_ONLY_GITEA = 'only the gitea, github and gitlab pull request providers are implemented';
const NOT_IMPLEMENTED = 'this generator is not implemented by gitfleet';

/** The generators of one level; `top` decides whether `template` is honoured. */
function generatorNode(top: boolean): Node {
  const tmpl = top ? template : refused(NESTED_TEMPLATE);
  const children = (): Node => list(generatorNodeLazy(false));
  return obj(
    {
      list: obj({
        elements: list(any),
        elementsYaml: leaf(),
        template: tmpl,
      }),
      clusters: obj({
        selector: labelSelector,
        values: any,
        template: tmpl,
        flatList: refused('flatList is not implemented: each cluster is its own parameter set'),
      }),
      git: obj({
        repoURL: leaf(),
        revision: leaf(),
        directories: list(obj({ path: leaf(), exclude: leaf() })),
        files: list(obj({ path: leaf(), exclude: leaf() })),
        values: any,
        pathParamPrefix: leaf(),
        requeueAfterSeconds: leaf(),
        template: tmpl,
      }),
      matrix: obj({ generators: children(), template: tmpl }),
      merge: obj({ mergeKeys: list(leaf()), generators: children(), template: tmpl }),
      pullRequest: obj({
        gitea: any,
        github: obj({
          owner: leaf(),
          repo: leaf(),
          api: leaf(),
          tokenRef: any,
          labels: list(leaf()),
          appSecretName: refused('GitHub App authentication is not implemented: use tokenRef'),
        }),
        gitlab: obj({
          project: leaf(),
          api: leaf(),
          tokenRef: any,
          labels: list(leaf()),
          pullRequestState: leaf(),
          insecure: leaf(),
          caRef: refused('not implemented: a private CA for GitLab is not read from a ConfigMap'),
        }),
        bitbucketServer: refused(PROVIDER_ONLY_GITEA),
        bitbucket: refused(PROVIDER_ONLY_GITEA),
        azuredevops: refused(PROVIDER_ONLY_GITEA),
        filters: list(obj({ branchMatch: leaf(), targetBranchMatch: leaf(), titleMatch: leaf() })),
        // gitfleet's older spelling of gitea.labels.
        labels: list(leaf()),
        values: any,
        requeueAfterSeconds: leaf(),
        continueOnRepoNotFoundError: refused('not implemented: a missing repository is an error'),
        template: tmpl,
      }),
      scmProvider: refused(NOT_IMPLEMENTED),
      clusterDecisionResource: refused(NOT_IMPLEMENTED),
      plugin: refused(NOT_IMPLEMENTED),
      selector: labelSelector,
    },
    undefined,
  );
}
let nested: Node | undefined;
function generatorNodeLazy(top: boolean): Node {
  if (top) return generatorNode(true);
  // The nested tree is recursive (matrix inside matrix); build its node once and share it.
  if (!nested) {
    nested = { kind: 'object', fields: {} };
    const built = generatorNode(false);
    if (built.kind === 'object') nested.fields = built.fields;
  }
  return nested;
}

const rolloutStep = obj(
  {
    matchExpressions: selectorRequirements,
    maxUpdate: leaf((value, field, problems) => {
      const p = maxUpdateProblem(value);
      if (p) invalid(problems, field, p);
    }),
    clusterSelector: labelSelector,
    soakSeconds: leaf(),
    approval: leaf(),
    // The step's metric gate (src/controllers/delivery/gate.ts); the templates are read when it runs.
    analysis: obj({
      templates: list(obj({ templateName: leaf() })),
      args: list(obj({ name: leaf(), value: leaf() })),
      onFailure: leaf(oneOf('halt', 'rollback')),
    }),
  },
  (value, field, problems) => {
    if (isRecord(value) && value.matchExpressions === undefined && value.clusterSelector === undefined)
      invalid(problems, field, 'a step needs matchExpressions (on Application labels) or clusterSelector');
  },
);

const SPEC: Node = obj({
  generators: list(generatorNodeLazy(true)),
  template,
  templatePatch: leaf(),
  goTemplate: leaf(),
  goTemplateOptions: list(
    leaf((value, field, problems) => {
      if (typeof value !== 'string' || !/^missingkey=(default|invalid|zero|error)$/.test(value))
        invalid(problems, field, `unsupported option ${JSON.stringify(value)}; only missingkey=… exists`);
    }),
  ),
  syncPolicy: obj({
    applicationsSync: leaf(oneOf('create-only', 'create-update', 'create-delete', 'sync')),
    preserveResourcesOnDeletion: leaf(),
  }),
  strategy: obj(
    {
      type: leaf(oneOf('AllAtOnce', 'RollingSync')),
      rollingSync: obj({ steps: list(rolloutStep) }),
      // Reverse: the controller deletes Applications last step first (rollout.ts reverseDeletionBatch).
      deletionOrder: leaf(oneOf('AllAtOnce', 'Reverse')),
    },
    (value, field, problems) => {
      if (!isRecord(value)) return;
      if (value.type === 'RollingSync' && !isRecord(value.rollingSync))
        invalid(problems, `${field}.rollingSync`, 'RollingSync needs rollingSync.steps');
      if (value.type !== 'RollingSync' && value.rollingSync !== undefined)
        invalid(problems, `${field}.rollingSync`, 'is only used with type: RollingSync');
    },
  ),
  ignoreApplicationDifferences: list(
    obj({
      name: leaf(),
      jsonPointers: list(leaf()),
      jqPathExpressions: list(leaf()),
    }),
  ),
  preservedFields: obj({ annotations: list(leaf()), labels: list(leaf()) }),
  applyNestedSelectors: leaf(),
});

function walk(node: Node, value: unknown, field: string, problems: SpecProblem[]): void {
  if (value === undefined || value === null) return;
  switch (node.kind) {
    case 'any':
      return;
    case 'refused':
      problems.push({ field, message: `not supported: ${node.why}`, reason: 'UnsupportedField' });
      return;
    case 'leaf':
      node.check?.(value, field, problems);
      return;
    case 'list':
      if (!Array.isArray(value)) {
        invalid(problems, field, 'must be a list');
        return;
      }
      value.forEach((v, i) => walk(node.items, v, `${field}[${i}]`, problems));
      node.check?.(value, field, problems);
      return;
    case 'object':
      if (!isRecord(value)) {
        invalid(problems, field, 'must be an object');
        return;
      }
      for (const [k, v] of Object.entries(value)) {
        const child = node.fields[k];
        if (child) walk(child, v, `${field}.${k}`, problems);
        else problems.push({ field: `${field}.${k}`, message: 'unknown field', reason: 'UnknownField' });
      }
      node.check?.(value, field, problems);
  }
}

/**
 * Every field of an ApplicationSet spec that gitfleet cannot honour, with its path
 * (`spec.generators[0].scmProvider`). Empty when the spec can be honoured as written.
 */
export function applicationSetProblems(spec: unknown): SpecProblem[] {
  const problems: SpecProblem[] = [];
  walk(SPEC, spec, 'spec', problems);
  if (isRecord(spec) && typeof spec.templatePatch === 'string' && spec.goTemplate !== true)
    invalid(problems, 'spec.templatePatch', 'needs goTemplate: true, as in Argo CD');
  return problems;
}
