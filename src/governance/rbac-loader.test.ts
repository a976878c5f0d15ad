import { describe, expect, it } from 'vitest';
import { buildPolicy } from './rbac-loader.js';

const cm = (data: Record<string, string>) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'gitfleet-rbac', namespace: 'gitfleet-system' },
  data,
});

describe('buildPolicy', () => {
  it('refuses a policy.default that is not a role', () => {
    for (const d of ['readonly', 'group:devs', 'user:alice'])
      expect(buildPolicy(cm({ 'policy.default': d }), []).configErrors).toEqual([
        `ConfigMap gitfleet-rbac policy.default: "${d}" is not a role (role:<name> or proj:<project>:<role>)`,
      ]);
    expect(buildPolicy(cm({ 'policy.default': 'role:readonly' }), []).configErrors).toEqual([]);
  });

  it('refuses a bare member in the ConfigMap, and binds project-role groups as groups', () => {
    const built = buildPolicy(cm({ 'policy.csv': 'g, devs, role:dev' }), [
      {
        apiVersion: 'gitfleet.dev/v1alpha1',
        kind: 'Project',
        metadata: { name: 'team-a' },
        spec: { roles: [{ name: 'ci', groups: ['team-a-ci'] }] },
      },
    ]);
    expect(built.configErrors[0]).toContain('subject "devs" is ambiguous: write user:devs or group:devs');
    expect(built.policy.bindings).toEqual([{ member: 'group:team-a-ci', role: 'proj:team-a:ci' }]);
  });
});
