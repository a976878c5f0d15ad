import { describe, expect, it } from 'vitest';
import type { Project } from '../api/project.js';
import { impersonatedUser } from './impersonation.js';

const project: Project = {
  apiVersion: 'gitfleet.dev/v1alpha1',
  kind: 'Project',
  metadata: { name: 'team-a' },
  spec: {
    destinationServiceAccounts: [
      { cluster: 'prod-*', namespace: 'team-a', serviceAccount: 'platform:deployer' },
      { namespace: 'team-a*', serviceAccount: 'gitfleet' },
    ],
  },
};

describe('impersonatedUser', () => {
  it('takes the first matching entry; a bare name lives in the destination namespace', () => {
    expect(impersonatedUser(project, 'prod-eu', 'team-a')).toBe('system:serviceaccount:platform:deployer');
    expect(impersonatedUser(project, 'dev', 'team-a-web')).toBe('system:serviceaccount:team-a-web:gitfleet');
    expect(impersonatedUser(project, 'dev', 'other')).toBeUndefined();
  });

  it('names the field of a malformed service account', () => {
    const bad: Project = { ...project, spec: { destinationServiceAccounts: [{ serviceAccount: 'a:b:c' }] } };
    expect(() => impersonatedUser(bad, 'x', 'y')).toThrow(
      'Project team-a: spec.destinationServiceAccounts[0].serviceAccount "a:b:c" must be "name" or "namespace:name"',
    );
  });
});
