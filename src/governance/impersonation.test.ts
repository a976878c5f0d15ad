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

describe('impersonatedUser as Argo CD writes it (server, defaultServiceAccount)', () => {
  const argo: Project = {
    ...project,
    spec: {
      destinationServiceAccounts: [
        { server: 'https://127.0.0.1:7443', namespace: 'web', defaultServiceAccount: 'ops:deployer' },
        { server: '*', namespace: '*', defaultServiceAccount: 'reader' },
      ],
    },
  };
  it('matches the cluster by API URL (normalised) and reads defaultServiceAccount', () => {
    expect(impersonatedUser(argo, 'c2', 'web', 'HTTPS://127.0.0.1:7443/')).toBe(
      'system:serviceaccount:ops:deployer',
    );
    expect(impersonatedUser(argo, 'c1', 'web', 'https://127.0.0.1:6443')).toBe(
      'system:serviceaccount:web:reader',
    );
    // A server entry never matches a destination whose URL is unknown.
    expect(impersonatedUser(argo, 'c2', 'web')).toBeUndefined();
  });

  it('names defaultServiceAccount when it is malformed', () => {
    const bad: Project = {
      ...project,
      spec: { destinationServiceAccounts: [{ defaultServiceAccount: 'a:b:c' }] },
    };
    expect(() => impersonatedUser(bad, 'x', 'y')).toThrow(
      'spec.destinationServiceAccounts[0].defaultServiceAccount "a:b:c" must be "name" or "namespace:name"',
    );
  });
});
