import { describe, expect, it } from 'vitest';
import type { Project } from '../api/project.js';
import { checkProject, wildcard } from './project.js';

const project: Project = {
  apiVersion: 'gitfleet.dev/v1alpha1',
  kind: 'Project',
  metadata: { name: 'team-a' },
  spec: {
    sourceRepos: ['https://git.example/team-a/*'],
    destinations: [{ cluster: 'prod-*', namespace: 'team-a-*' }],
    clusterResourceWhitelist: [{ group: 'rbac.authorization.k8s.io', kind: 'ClusterRole' }],
    namespaceResourceBlacklist: [{ group: '', kind: 'Secret' }],
  },
};
const ok = {
  repoURL: 'https://git.example/team-a/api.git',
  cluster: 'prod-eu',
  namespace: 'team-a-api',
  objects: [],
};

describe('checkProject', () => {
  it('allows what the project allows', () => {
    expect(
      checkProject(project, {
        ...ok,
        objects: [
          { group: 'apps', kind: 'Deployment', name: 'web', namespace: 'team-a-api', namespaced: true },
          { group: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'reader', namespaced: false },
        ],
      }),
    ).toEqual([]);
  });

  it('names every violation: source, destination, cluster-scoped kind, denied kind, foreign namespace', () => {
    const v = checkProject(project, {
      repoURL: 'https://git.example/team-b/x.git',
      cluster: 'dev-1',
      namespace: 'team-a-api',
      objects: [
        { group: '', kind: 'Namespace', name: 'kube-system', namespaced: false },
        { group: '', kind: 'Secret', name: 's', namespace: 'team-a-api', namespaced: true },
      ],
    });
    expect(v).toEqual([
      "source https://git.example/team-b/x.git is not in project team-a's sourceRepos",
      "destination dev-1/team-a-api is not in project team-a's destinations",
      "Namespace/kube-system: cluster-scoped core/Namespace is not in project team-a's clusterResourceWhitelist",
      "Secret/team-a-api/s: core/Secret is in project team-a's namespaceResourceBlacklist",
      "Secret/team-a-api/s: namespace team-a-api is not in project team-a's destinations",
    ]);
  });

  it('applies allow and deny lists for both scopes', () => {
    const strict: Project = {
      ...project,
      spec: {
        ...project.spec,
        clusterResourceWhitelist: [{ group: '*', kind: '*' }],
        clusterResourceBlacklist: [{ group: 'rbac.authorization.k8s.io', kind: 'ClusterRole*' }],
        namespaceResourceWhitelist: [
          { group: '', kind: 'ConfigMap' },
          { group: 'apps', kind: '*' },
        ],
      },
    };
    expect(
      checkProject(strict, {
        ...ok,
        objects: [
          { group: '', kind: 'ConfigMap', name: 'c', namespace: 'team-a-api', namespaced: true },
          { group: 'apps', kind: 'StatefulSet', name: 'db', namespace: 'team-a-api', namespaced: true },
          { group: 'batch', kind: 'Job', name: 'j', namespace: 'team-a-api', namespaced: true },
          { group: '', kind: 'Namespace', name: 'team-a-new', namespaced: false },
          {
            group: 'rbac.authorization.k8s.io',
            kind: 'ClusterRoleBinding',
            name: 'admin',
            namespaced: false,
          },
        ],
      }),
    ).toEqual([
      "Job/team-a-api/j: batch/Job is not in project team-a's namespaceResourceWhitelist",
      "ClusterRoleBinding/admin: cluster-scoped rbac.authorization.k8s.io/ClusterRoleBinding is in project team-a's clusterResourceBlacklist",
    ]);
    // An empty namespaced whitelist allows no namespaced kind at all.
    const none: Project = { ...project, spec: { ...project.spec, namespaceResourceWhitelist: [] } };
    expect(
      checkProject(none, {
        ...ok,
        objects: [{ group: '', kind: 'ConfigMap', name: 'c', namespace: 'team-a-api', namespaced: true }],
      }),
    ).toEqual([
      "ConfigMap/team-a-api/c: core/ConfigMap is not in project team-a's namespaceResourceWhitelist",
    ]);
  });

  it('matches destination clusters by label selector as well as name', () => {
    const byLabel: Project = {
      ...project,
      spec: {
        ...project.spec,
        destinations: [
          {
            cluster: '*',
            clusterSelector: {
              matchLabels: { env: 'prod' },
              matchExpressions: [{ key: 'region', operator: 'In', values: ['eu', 'us'] }],
            },
            namespace: 'team-a-*',
          },
        ],
      },
    };
    const req = { ...ok, cluster: 'anything' };
    expect(checkProject(byLabel, { ...req, clusterLabels: { env: 'prod', region: 'eu' } })).toEqual([]);
    expect(checkProject(byLabel, { ...req, clusterLabels: { env: 'prod', region: 'ap' } })).toEqual([
      "destination anything/team-a-api is not in project team-a's destinations",
    ]);
    expect(checkProject(byLabel, req)).toHaveLength(1);
  });

  it('matches wildcards literally apart from *', () => {
    expect(wildcard('team-a-*', 'team-a-x')).toBe(true);
    expect(wildcard('a.b', 'axb')).toBe(false);
    expect(wildcard('*', '')).toBe(true);
  });
});
