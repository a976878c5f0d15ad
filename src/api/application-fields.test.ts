import { describe, expect, it } from 'vitest';

import { unsupportedApplicationFields, unsupportedSyncOptions } from './application-fields.js';

/** An Argo CD Application spec with every field of Argo's ApplicationSpec set. */
const everyArgoField = {
  project: 'default',
  source: {
    repoURL: 'https://git.example/org/repo.git',
    targetRevision: 'main',
    path: 'app',
    chart: 'nginx',
    ref: 'values',
    name: 'first',
    plugin: { name: 'cmp', env: [], parameters: [] },
    directory: {
      recurse: true,
      include: '*.yaml',
      exclude: 'x',
      jsonnet: { extVars: [], tlas: [], libs: ['vendor'] },
    },
    kustomize: {
      namePrefix: 'p-',
      nameSuffix: '-s',
      images: ['nginx:1.27'],
      commonLabels: { a: 'b' },
      commonAnnotations: { a: 'b' },
      forceCommonLabels: true,
      forceCommonAnnotations: true,
      namespace: 'ns',
      replicas: [{ name: 'web', count: 2 }],
      version: 'v5',
      commonAnnotationsEnvsubst: true,
      patches: [{ patch: '[]' }, { path: 'p.yaml' }],
      components: ['../c'],
      ignoreMissingComponents: true,
      labelWithoutSelector: true,
      labelIncludeTemplates: true,
      kubeVersion: '1.30',
      apiVersions: ['v1'],
    },
    helm: {
      releaseName: 'r',
      valueFiles: ['v.yaml'],
      values: 'a: 1',
      valuesObject: { a: 1 },
      parameters: [{ name: 'a', value: '1', forceString: true }],
      fileParameters: [{ name: 'a', path: 'f' }],
      ignoreMissingValueFiles: true,
      skipCrds: true,
      namespace: 'ns',
      kubeVersion: '1.30',
      apiVersions: ['v1'],
      version: 'v2',
      passCredentials: true,
      skipTests: true,
      skipSchemaValidation: true,
    },
  },
  sources: [{ repoURL: 'https://git.example/x' }],
  destination: { server: 'https://kubernetes.default.svc', namespace: 'ns', name: 'in-cluster' },
  syncPolicy: {
    automated: { prune: true, selfHeal: true, allowEmpty: true, enabled: true },
    syncOptions: ['CreateNamespace=true'],
    retry: { limit: 2, backoff: { duration: '5s', factor: 2, maxDuration: '3m' }, refresh: false },
    managedNamespaceMetadata: { labels: { a: 'b' } },
  },
  ignoreDifferences: [
    {
      group: 'apps',
      kind: 'Deployment',
      name: 'x',
      namespace: 'y',
      jsonPointers: ['/spec/replicas'],
      jqPathExpressions: ['.spec'],
      managedFieldsManagers: ['kube-controller-manager'],
    },
  ],
  revisionHistoryLimit: 3,
  info: [{ name: 'docs', value: 'https://x' }],
};

describe('unsupportedApplicationFields', () => {
  it('lists exactly the Argo fields gitfleet does not implement, by path', () => {
    const paths = unsupportedApplicationFields({ spec: everyArgoField, operation: { sync: {} } }).map(
      (f) => f.path,
    );
    expect(paths.sort()).toEqual(
      [
        'operation',
        'spec.source.ref',
        'spec.source.plugin',
        'spec.source.directory.jsonnet',
        'spec.source.kustomize.version',
        'spec.source.kustomize.commonAnnotationsEnvsubst',
        'spec.source.kustomize.labelWithoutSelector',
        'spec.source.kustomize.labelIncludeTemplates',
        'spec.source.kustomize.kubeVersion',
        'spec.source.kustomize.apiVersions',
        'spec.source.helm.version',
        'spec.source.helm.passCredentials',
        'spec.syncPolicy.retry.refresh',
      ].sort(),
    );
  });

  it('accepts a spec made only of honoured fields', () => {
    const spec = {
      project: 'p',
      source: {
        repoURL: 'https://g/r',
        path: 'k',
        kustomize: { namePrefix: 'a-', images: ['nginx:1'], commonLabels: { t: 'x' }, replicas: [] },
        helm: {
          parameters: [{ name: 'a', value: 'b' }],
          skipCrds: true,
          apiVersions: ['x/v1'],
          version: 'v3',
        },
      },
      destination: { name: 'in-cluster' },
      syncPolicy: { syncOptions: ['Validate=false', 'PruneLast=true', 'PrunePropagationPolicy=orphan'] },
    };
    expect(unsupportedApplicationFields({ spec })).toEqual([]);
  });

  it('an empty directory.jsonnet (as argocd app get writes it) says nothing and is accepted', () => {
    const source = { repoURL: 'x', directory: { recurse: true, jsonnet: { extVars: [], tlas: [] } } };
    expect(unsupportedApplicationFields({ spec: { source } })).toEqual([]);
    const set = { repoURL: 'x', directory: { jsonnet: { libs: ['vendor'] } } };
    expect(unsupportedApplicationFields({ spec: { source: set } }).map((f) => f.path)).toEqual([
      'spec.source.directory.jsonnet',
    ]);
  });

  it('names a field it does not know at all', () => {
    const found = unsupportedApplicationFields({ spec: { source: { repoURL: 'x', helm: { sett: 1 } } } });
    expect(found).toEqual([{ path: 'spec.source.helm.sett', reason: 'not a field gitfleet knows' }]);
  });
});

describe('unsupportedSyncOptions', () => {
  it('honours the options gitfleet implements or always behaves as', () => {
    expect(
      unsupportedSyncOptions([
        'CreateNamespace=true',
        'ServerSideApply=true',
        'Validate=false',
        'ApplyOutOfSyncOnly=true',
        'PruneLast=true',
        'FailOnSharedResource=true',
        'PrunePropagationPolicy=foreground',
        'Replace=true',
        'RespectIgnoreDifferences=true',
      ]),
    ).toEqual([]);
  });

  it('refuses unknown options, unknown values and the ones it cannot honour, by name', () => {
    const found = unsupportedSyncOptions([
      'Replace=maybe',
      'PruneLast=false',
      'ServerSideApply=false',
      'PrunePropagationPolicy=sideways',
      'Sideways=true',
      'CreateNamespace',
    ]);
    expect(found.map((f) => f.path)).toEqual([
      'spec.syncPolicy.syncOptions[0] (Replace=maybe)',
      'spec.syncPolicy.syncOptions[1] (PruneLast=false)',
      'spec.syncPolicy.syncOptions[2] (ServerSideApply=false)',
      'spec.syncPolicy.syncOptions[3] (PrunePropagationPolicy=sideways)',
      'spec.syncPolicy.syncOptions[4] (Sideways=true)',
      'spec.syncPolicy.syncOptions[5] (CreateNamespace)',
    ]);
    expect(found[3]?.reason).toContain('PrunePropagationPolicy=orphan');
    expect(found[4]?.reason).toBe('not a sync option gitfleet knows');
  });
});
