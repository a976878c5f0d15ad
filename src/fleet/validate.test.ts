import { describe, expect, it } from 'vitest';
import { applicationSetProblems, maxUpdateProblem } from './validate.js';

/** An Argo CD ApplicationSet spec using every field of Argo's schema (apiVersion aside). */
const everyArgoField = {
  goTemplate: true,
  goTemplateOptions: ['missingkey=error'],
  applyNestedSelectors: true,
  generators: [
    {
      list: {
        elements: [{ cluster: 'dev' }],
        elementsYaml: '- cluster: x',
        template: { metadata: {}, spec: {} },
      },
      selector: { matchLabels: { a: 'b' } },
    },
    {
      clusters: {
        selector: { matchExpressions: [{ key: 'env', operator: 'In', values: ['prod'] }] },
        values: { a: 'b' },
        flatList: true,
      },
    },
    {
      git: {
        repoURL: 'https://example/repo.git',
        revision: 'HEAD',
        directories: [{ path: 'apps/*' }, { path: 'apps/skip', exclude: true }],
        files: [{ path: 'config/*.json' }],
        values: {},
        pathParamPrefix: 'p',
        requeueAfterSeconds: 60,
        template: { metadata: { name: 'x' } },
      },
    },
    {
      matrix: {
        generators: [{ list: { elements: [], template: { metadata: {} } } }, { clusters: {} }],
      },
    },
    { merge: { mergeKeys: ['server'], generators: [{ clusters: {} }, { list: { elements: [] } }] } },
    {
      pullRequest: {
        github: { owner: 'o', repo: 'r' },
        filters: [{ branchMatch: '.*' }],
        requeueAfterSeconds: 30,
        continueOnRepoNotFoundError: true,
      },
    },
    { scmProvider: { github: { organization: 'o' } } },
    { clusterDecisionResource: { configMapRef: 'cm' } },
    { plugin: { configMapRef: { name: 'p' } } },
  ],
  template: {
    metadata: { name: '{{.cluster}}', namespace: 'argocd', labels: {}, annotations: {}, finalizers: [] },
    spec: { project: 'default' },
  },
  templatePatch: 'spec: {}',
  syncPolicy: { applicationsSync: 'create-update', preserveResourcesOnDeletion: true },
  strategy: {
    type: 'RollingSync',
    deletionOrder: 'Reverse',
    rollingSync: {
      steps: [
        { matchExpressions: [{ key: 'envLabel', operator: 'In', values: ['env-dev'] }] },
        { matchExpressions: [{ key: 'envLabel', operator: 'In', values: ['env-qa'] }], maxUpdate: 0 },
        { matchExpressions: [{ key: 'envLabel', operator: 'In', values: ['env-prod'] }], maxUpdate: '10%' },
      ],
    },
  },
  ignoreApplicationDifferences: [
    { jsonPointers: ['/spec/source/targetRevision'] },
    { name: 'some-app', jqPathExpressions: ['.spec.source.helm.values'] },
  ],
  preservedFields: { annotations: ['note'], labels: ['team'] },
};

describe('applicationSetProblems', () => {
  it('names every Argo CD field it refuses, and only those', () => {
    const got = applicationSetProblems(everyArgoField)
      .map((p) => `${p.reason} ${p.field}`)
      .sort();
    expect(got).toEqual(
      [
        'UnsupportedField spec.generators[1].clusters.flatList',
        'UnsupportedField spec.generators[3].matrix.generators[0].list.template',
        'UnsupportedField spec.generators[5].pullRequest.continueOnRepoNotFoundError',
        'UnsupportedField spec.generators[6].scmProvider',
        'UnsupportedField spec.generators[7].clusterDecisionResource',
        'UnsupportedField spec.generators[8].plugin',
      ].sort(),
    );
  });

  it('accepts what it honours: the same spec without the refused fields has no problems', () => {
    const ok = structuredClone(everyArgoField) as Record<string, unknown> & typeof everyArgoField;
    ok.generators = ok.generators.slice(2, 5);
    (ok.generators[1] as { matrix: { generators: unknown[] } }).matrix.generators = [
      { list: { elements: [] } },
      { clusters: {} },
    ];
    ok.strategy.deletionOrder = 'AllAtOnce';
    ok.ignoreApplicationDifferences = [{ jsonPointers: ['/spec/source/targetRevision'] }];
    expect(applicationSetProblems(ok)).toEqual([]);
  });

  it('names unknown fields and bad values', () => {
    const got = applicationSetProblems({
      generators: [{ list: { elements: [], elemnts: [] } }],
      template: { metadata: { name: 'x' }, spec: {} },
      goTemplateOptions: ['missingkey=nope'],
      syncPolicy: { applicationsSync: 'everything' },
      strategy: {
        type: 'RollingSync',
        rollingSync: {
          steps: [
            { matchExpressions: [{ key: 'a', operator: 'In' }], maxUpdate: '25 percent' },
            { maxUpdate: 1 },
            { matchExpressions: [{ key: 'a', operator: 'Exists' }], maxUpdate: '150%' },
          ],
        },
      },
      templatePatch: 'spec: {}',
      surprise: true,
    }).map((p) => `${p.reason} ${p.field}`);
    expect(got).toEqual([
      'UnknownField spec.generators[0].list.elemnts',
      'InvalidValue spec.goTemplateOptions[0]',
      'InvalidValue spec.syncPolicy.applicationsSync',
      'InvalidValue spec.strategy.rollingSync.steps[0].matchExpressions[0].values',
      'InvalidValue spec.strategy.rollingSync.steps[0].maxUpdate',
      'InvalidValue spec.strategy.rollingSync.steps[1]',
      'InvalidValue spec.strategy.rollingSync.steps[2].maxUpdate',
      'UnknownField spec.surprise',
      'InvalidValue spec.templatePatch',
    ]);
  });

  it('reads maxUpdate as Argo CD does: an integer or a percentage up to 100%', () => {
    expect(maxUpdateProblem(0)).toBeUndefined();
    expect(maxUpdateProblem('25%')).toBeUndefined();
    expect(maxUpdateProblem('3')).toBeUndefined();
    expect(maxUpdateProblem(-1)).toMatch(/non-negative integer or a percentage/);
    expect(maxUpdateProblem('101%')).toMatch(/percentage/);
    expect(maxUpdateProblem(1.5)).toMatch(/percentage/);
  });
});
