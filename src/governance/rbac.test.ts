import { describe, expect, it } from 'vitest';
import { decide, parsePolicyCsv, projectRolePolicy, type RbacPolicy, type RbacPrincipal } from './rbac.js';

const policyOf = (csv: string, defaultRole?: string): RbacPolicy => {
  const p = parsePolicyCsv(csv);
  expect(p.errors).toEqual([]);
  return { rules: p.rules, bindings: p.bindings, ...(defaultRole ? { defaultRole } : {}) };
};
const user = (name: string, ...groups: string[]): RbacPrincipal => ({ kind: 'user', name, groups });
const app = (project: string, namespace: string, name: string) => ({
  resource: 'applications',
  project,
  namespace,
  name,
});

const CSV = `
# team A develops in its project; team B only reads
p, role:team-a-dev, applications, *, team-a/*, allow
p, role:team-a-dev, applications, delete, team-a/*, deny
p, role:team-b, applications, get, team-b/*, allow
g, group:team-a, role:team-a-dev
g, group:team-b, role:team-b
g, role:team-a-dev, role:auditor
p, role:auditor, audit, get, *, allow
`;

describe('RBAC decisions', () => {
  const policy = policyOf(CSV, 'role:none');

  it('allows what a role bound to the group grants, naming the rule', () => {
    const d = decide(policy, user('alice', 'team-a'), 'sync', app('team-a', 'apps', 'web'));
    expect(d.allowed).toBe(true);
    expect(d.reason).toContain('p, role:team-a-dev, applications, *, team-a/*, allow');
  });

  it('lets a deny beat an allow', () => {
    const d = decide(policy, user('alice', 'team-a'), 'delete', app('team-a', 'apps', 'web'));
    expect(d).toEqual({
      allowed: false,
      reason: expect.stringContaining(
        'denied by "p, role:team-a-dev, applications, delete, team-a/*, deny" (policy.csv:4)',
      ),
    });
  });

  it('denies what no policy grants and says which roles were tried', () => {
    const d = decide(policy, user('bob', 'team-b'), 'sync', app('team-b', 'apps', 'api'));
    expect(d.allowed).toBe(false);
    expect(d.reason).toBe(
      'user "bob" may not sync applications team-b/apps/api: no policy of role:none, role:team-b allows it',
    );
  });

  it('keeps a team inside its project', () => {
    expect(decide(policy, user('alice', 'team-a'), 'sync', app('team-b', 'apps', 'api')).allowed).toBe(false);
    expect(decide(policy, user('bob', 'team-b'), 'get', app('team-a', 'apps', 'web')).allowed).toBe(false);
  });

  it('follows role-to-role bindings', () => {
    expect(decide(policy, user('alice', 'team-a'), 'get', { resource: 'audit' }).allowed).toBe(true);
    expect(decide(policy, user('bob', 'team-b'), 'get', { resource: 'audit' }).allowed).toBe(false);
  });

  it('gives every user the default role, and admins everything', () => {
    const ro = policyOf('', 'role:readonly');
    expect(decide(ro, user('carol'), 'get', app('x', 'y', 'z')).allowed).toBe(true);
    expect(decide(ro, user('carol'), 'sync', app('x', 'y', 'z')).allowed).toBe(false);
    expect(
      decide(ro, user('admin', 'gitfleet:admins'), 'delete', { resource: 'clusters', name: 'prod' }).allowed,
    ).toBe(true);
  });

  it('refuses agents whatever the policy says', () => {
    const all = policyOf('p, role:all, *, *, *, allow', 'role:all');
    expect(
      decide(all, { kind: 'agent', name: 'c1', groups: [] }, 'get', { resource: 'clusters' }).allowed,
    ).toBe(false);
  });

  it('pre-checks a project resource whose project is not known yet', () => {
    // actions.ts asks with namespace/name before it has read the Application's project.
    const pre = { resource: 'applications', namespace: 'apps', name: 'web' };
    expect(decide(policy, user('alice', 'team-a'), 'sync', pre).allowed).toBe(true);
    expect(decide(policy, user('bob', 'team-b'), 'sync', pre).allowed).toBe(false);
    // A project-scoped deny does not decide the pre-check; the check with the project does.
    expect(decide(policy, user('alice', 'team-a'), 'delete', pre).allowed).toBe(true);
    expect(decide(policy, user('alice', 'team-a'), 'delete', app('team-a', 'apps', 'web')).allowed).toBe(
      false,
    );
  });

  it('matches non-project objects by name', () => {
    const p = policyOf('p, role:ops, clusters, *, prod-*, allow\ng, group:ops, role:ops');
    expect(decide(p, user('o', 'ops'), 'update', { resource: 'clusters', name: 'prod-eu' }).allowed).toBe(
      true,
    );
    expect(decide(p, user('o', 'ops'), 'update', { resource: 'clusters', name: 'dev' }).allowed).toBe(false);
  });
});

describe('policy.csv parsing', () => {
  it('reports malformed lines with their line numbers', () => {
    const p = parsePolicyCsv('p, role:x, applications\nx, y\np, role:x, a, get, *, maybe\ng, onlyone');
    expect(p.errors).toEqual([
      'policy.csv:1: a p line is "p, subject, resource, action, object[, allow|deny]"',
      'policy.csv:2: lines start with p or g, not "x"',
      'policy.csv:3: effect must be allow or deny, not "maybe"',
      'policy.csv:4: a g line is "g, user:<name>|group:<name>|role, role"',
    ]);
  });

  it('refuses bare and mistyped subjects, naming the line and what to write', () => {
    const p = parsePolicyCsv(
      [
        'g, team-a, role:dev',
        'p, alice@example.com, applications, get, *',
        'g, user:, role:dev',
        'g, group:ops, ops-role',
        'p, role:, applications, get, *',
        'g, proj:x, role:dev',
        'p, *, *, *, *',
      ].join('\n'),
    );
    expect(p.rules).toEqual([]);
    expect(p.bindings).toEqual([]);
    expect(p.errors).toEqual([
      'policy.csv:1: subject "team-a" is ambiguous: write user:team-a or group:team-a (or role:team-a for a role)',
      'policy.csv:2: subject "alice@example.com" is ambiguous: write user:alice@example.com or group:alice@example.com (or role:alice@example.com for a role)',
      'policy.csv:3: subject "user:" names no user',
      'policy.csv:4: "ops-role" is not a role: a g line binds to role:<name> or proj:<project>:<role>',
      'policy.csv:5: subject "role:" is not a role: write role:<name> or proj:<project>:<role>',
      'policy.csv:6: subject "proj:x" is not a role: write role:<name> or proj:<project>:<role>',
      'policy.csv:7: subject "*" is ambiguous: write user:* or group:* (or role:* for a role)',
    ]);
  });
});

describe('users, groups and roles are distinct subjects', () => {
  const policy = policyOf(
    `
p, role:team-a-dev, applications, *, team-a/*, allow
p, user:carol, applications, sync, team-c/*, allow
p, group:auditors, audit, get, *, allow
g, group:team-a, role:team-a-dev
g, user:alice@example.com, role:admin
`,
    'role:none',
  );
  const sync = (p: RbacPrincipal, project = 'team-a'): boolean =>
    decide(policy, p, 'sync', app(project, 'apps', 'web')).allowed;
  const del = (p: RbacPrincipal): boolean =>
    decide(policy, p, 'delete', { resource: 'clusters', name: 'prod' }).allowed;

  it('a user or group named like a role does not hold that role', () => {
    expect(del(user('role:admin'))).toBe(false);
    expect(del(user('mallory', 'role:admin'))).toBe(false);
    expect(sync(user('role:team-a-dev'))).toBe(false);
    expect(sync(user('mallory', 'role:team-a-dev'))).toBe(false);
    expect(del(user('mallory', 'proj:team-a:deployer'))).toBe(false);
  });

  it('a user named like a group does not get the group’s roles, nor a group a user’s', () => {
    expect(sync(user('team-a'))).toBe(false);
    expect(sync(user('alice', 'team-a'))).toBe(true);
    expect(del(user('mallory', 'alice@example.com'))).toBe(false);
    expect(del(user('alice@example.com'))).toBe(true);
    expect(sync(user('mallory', 'carol'), 'team-c')).toBe(false);
    expect(sync(user('carol'), 'team-c')).toBe(true);
    expect(decide(policy, user('auditors'), 'get', { resource: 'audit' }).allowed).toBe(false);
    expect(decide(policy, user('x', 'auditors'), 'get', { resource: 'audit' }).allowed).toBe(true);
  });

  it('names written with a kind prefix stay names of that kind', () => {
    // A user literally called "group:team-a" is user:group:team-a, not the group.
    expect(sync(user('group:team-a'))).toBe(false);
    expect(sync(user('mallory', 'group:team-a'))).toBe(false);
    expect(del(user('user:alice@example.com'))).toBe(false);
  });

  it('only gitfleet:admins as a group makes an admin, not a user of that name', () => {
    expect(del(user('gitfleet:admins'))).toBe(false);
    expect(del(user('admin', 'gitfleet:admins'))).toBe(true);
  });
});

describe('project roles', () => {
  it('grants within the project and refuses anything outside it', () => {
    const parsed = projectRolePolicy('team-a', [
      {
        name: 'deployer',
        groups: ['team-a-ci'],
        policies: [
          'p, proj:team-a:deployer, applications, sync, team-a/*, allow',
          'p, proj:team-a:deployer, applications, sync, team-b/*, allow',
          'p, proj:team-a:deployer, clusters, delete, team-a/*, allow',
          'p, role:admin, applications, sync, team-a/*, allow',
        ],
      },
    ]);
    expect(parsed.rules).toHaveLength(1);
    expect(parsed.errors).toHaveLength(3);
    expect(parsed.errors[0]).toContain('object must be within team-a/');
    const policy: RbacPolicy = { rules: parsed.rules, bindings: parsed.bindings };
    expect(decide(policy, user('ci', 'team-a-ci'), 'sync', app('team-a', 'ns', 'web')).allowed).toBe(true);
    expect(decide(policy, user('ci', 'team-a-ci'), 'sync', app('team-b', 'ns', 'web')).allowed).toBe(false);
    // `groups` are groups: a user of that name is not a member.
    expect(decide(policy, user('team-a-ci'), 'sync', app('team-a', 'ns', 'web')).allowed).toBe(false);
  });
});
