import { describe, expect, it } from 'vitest';
import type { Project } from '../api/project.js';
import { builtinDefaultProject } from './default-project.js';
import { checkProject, checkSourceNamespace, destinationsAllow } from './project.js';
import { hubNamespaces, protectedDestination, protectedViolations } from './protected.js';

const hub = hubNamespaces('gitfleet-system');
const secret = (namespace: string, labels: Record<string, string>) => ({
  group: '',
  kind: 'Secret',
  name: 'admin',
  namespace,
  object: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'admin', namespace, labels } },
});

describe('protected resources', () => {
  it("refuse anything in the hub's namespace, and the Namespace itself, naming object and rule", () => {
    const v = protectedViolations(
      [
        { group: '', kind: 'ConfigMap', name: 'rbac', namespace: 'gitfleet-system' },
        { group: '', kind: 'Namespace', name: 'gitfleet-system' },
      ],
      hub,
    );
    expect(v).toHaveLength(2);
    expect(v[0]).toContain('ConfigMap/gitfleet-system/rbac: core/ConfigMap is protected (hub-namespace)');
    expect(v[1]).toContain('Namespace/gitfleet-system: core/Namespace is protected (hub-namespace)');
  });

  it('refuse token and cluster-credential Secrets anywhere, keep repository Secrets and plain ones', () => {
    const label = 'gitfleet.dev/secret-type';
    expect(protectedViolations([secret('team-a', { [label]: 'api-token' })], hub)[0]).toContain(
      'Secret/team-a/admin: core/Secret is protected (gitfleet-secret)',
    );
    expect(protectedViolations([secret('team-a', { [label]: 'agent-token' })], hub)).toHaveLength(1);
    expect(protectedViolations([secret('team-a', { [label]: 'cluster' })], hub)).toHaveLength(1);
    expect(protectedViolations([secret('team-a', { [label]: 'repository' })], hub)).toEqual([]);
    expect(protectedViolations([secret('team-a', {})], hub)).toEqual([]);
  });

  it("refuse gitfleet's CRDs and RBAC, and bindings that grant or target its identities", () => {
    const rbac = 'rbac.authorization.k8s.io';
    const binding = (name: string, body: Record<string, unknown>) => ({
      group: rbac,
      kind: 'ClusterRoleBinding',
      name,
      object: { apiVersion: `${rbac}/v1`, kind: 'ClusterRoleBinding', metadata: { name }, ...body },
    });
    const v = protectedViolations(
      [
        {
          group: 'apiextensions.k8s.io',
          kind: 'CustomResourceDefinition',
          name: 'applications.gitfleet.dev',
        },
        { group: rbac, kind: 'ClusterRole', name: 'gitfleet-controller' },
        binding('mine', { roleRef: { kind: 'ClusterRole', name: 'gitfleet-controller' }, subjects: [] }),
        binding('grant', {
          roleRef: { kind: 'ClusterRole', name: 'cluster-admin' },
          subjects: [{ kind: 'ServiceAccount', name: 'gitfleet', namespace: 'gitfleet-system' }],
        }),
        binding('group', {
          roleRef: { kind: 'ClusterRole', name: 'view' },
          subjects: [{ kind: 'Group', name: 'gitfleet:admins' }],
        }),
      ],
      hub,
    );
    expect(v.map((m) => m.match(/\((gitfleet-[a-z]+)\)/)?.[1])).toEqual([
      'gitfleet-crd',
      'gitfleet-rbac',
      'gitfleet-rbac',
      'gitfleet-rbac',
      'gitfleet-rbac',
    ]);
    // A team's own binding in its own namespace is the project's business, not a protected one.
    expect(
      protectedViolations(
        [
          {
            group: rbac,
            kind: 'RoleBinding',
            name: 'dev',
            namespace: 'team-a',
            object: {
              apiVersion: `${rbac}/v1`,
              kind: 'RoleBinding',
              metadata: { name: 'dev', namespace: 'team-a' },
              roleRef: { kind: 'Role', name: 'edit' },
              subjects: [{ kind: 'ServiceAccount', name: 'ci', namespace: 'team-a' }],
            } as never,
          },
        ],
        hub,
      ),
    ).toEqual([]);
  });

  it("protect the controller's own namespace as well as gitfleet-system", () => {
    expect(hubNamespaces('ops')).toEqual(['gitfleet-system', 'ops']);
    expect(protectedDestination('ops', hubNamespaces('ops'))).toContain('protected (hub-namespace)');
    expect(protectedDestination('team-a', hubNamespaces('ops'))).toBeUndefined();
  });
});

describe('the built-in default project', () => {
  const p = builtinDefaultProject('gitfleet-system');
  const req = { repoURL: 'https://git.example/x.git', cluster: 'prod', namespace: 'web', objects: [] };

  it('admits registered clusters but not the hub cluster nor the hub namespace', () => {
    expect(checkProject(p, req)).toEqual([]);
    expect(checkProject(p, { ...req, cluster: 'in-cluster' })).toEqual([
      "destination in-cluster/web is not in project default's destinations",
    ]);
    expect(checkProject(p, { ...req, namespace: 'gitfleet-system' })).toHaveLength(1);
  });

  it('admits no cluster-scoped kind', () => {
    expect(
      checkProject(p, {
        ...req,
        objects: [
          { group: 'rbac.authorization.k8s.io', kind: 'ClusterRoleBinding', name: 'x', namespaced: false },
        ],
      }),
    ).toEqual([
      "ClusterRoleBinding/x: cluster-scoped rbac.authorization.k8s.io/ClusterRoleBinding is not in project default's clusterResourceWhitelist",
    ]);
  });

  it("is usable only by Applications in the controller's namespace", () => {
    expect(checkSourceNamespace(p, 'gitfleet-system', 'gitfleet-system')).toBeUndefined();
    expect(checkSourceNamespace(p, 'team-a', 'gitfleet-system')).toContain(
      'Applications in namespace team-a may not use project default',
    );
  });
});

describe('sourceNamespaces and deny destinations', () => {
  const p: Project = {
    apiVersion: 'gitfleet.dev/v1alpha1',
    kind: 'Project',
    metadata: { name: 'team-a' },
    spec: {
      sourceNamespaces: ['team-a-*'],
      destinations: [
        { cluster: '*', namespace: '*' },
        { cluster: '*', namespace: '!kube-*' },
        { cluster: '!prod-*', namespace: 'payments' },
      ],
    },
  };

  it('admit only the listed namespaces', () => {
    expect(checkSourceNamespace(p, 'team-a-dev', 'gitfleet-system')).toBeUndefined();
    expect(checkSourceNamespace(p, 'team-b', 'gitfleet-system')).toContain(
      'its sourceNamespaces do not include team-b',
    );
  });

  it('deny what a `!` entry matches, whatever else allows it', () => {
    const d = p.spec.destinations ?? [];
    expect(destinationsAllow(d, 'dev-1', {}, 'web')).toBe(true);
    expect(destinationsAllow(d, 'dev-1', {}, 'kube-system')).toBe(false);
    expect(destinationsAllow(d, 'prod-eu', {}, 'payments')).toBe(false);
    expect(destinationsAllow(d, 'dev-1', {}, 'payments')).toBe(true);
    // Deny entries alone allow nothing.
    expect(destinationsAllow([{ cluster: '*', namespace: '!x' }], 'a', {}, 'y')).toBe(false);
  });
});
