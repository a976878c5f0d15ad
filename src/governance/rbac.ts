import type { ProjectRole } from '../api/project.js';
import { wildcard } from './glob.js';

/**
 * RBAC for the hub API, in the shape of Argo CD's policy.csv:
 *
 *   p, <subject>, <resource>, <action>, <object>, allow|deny
 *   g, <user:name | group:name | role>, <role>
 *
 * Subjects are typed, each kind its own namespace: `user:<name>`, `group:<name>`, and roles
 * (`role:<name>`, `proj:<project>:<role>`). A principal speaks as `user:<its name>` and
 * `group:<each group>`, so a user or group that happens to be called `role:admin` or `team-a` can
 * never be taken for the role or the group of that name. A bare name (`team-a`) is refused: it
 * could mean a user or a group. `g` lines bind users, groups and roles to roles. Resource, action
 * and object are `*` globs.
 * The object of a target is `<project>/<namespace>/<name>` with absent parts left out. A matching
 * deny beats any allow; nothing matching means denied. The types here are structural twins of the
 * hub's Principal/ApiTarget (governance may not import hub), so an RbacAuthorizer is an Authorizer.
 */

export interface RbacPrincipal {
  kind: 'user' | 'agent';
  name: string;
  groups: string[];
}

export interface RbacTarget {
  resource: string;
  project?: string;
  namespace?: string;
  name?: string;
}

export interface RbacDecision {
  allowed: boolean;
  reason: string;
}

export interface PolicyRule {
  subject: string;
  resource: string;
  action: string;
  object: string;
  effect: 'allow' | 'deny';
  /** Where the rule came from, quoted in reasons: `policy.csv:7` or `project team-a role dev`. */
  origin: string;
}

export interface RoleBinding {
  member: string;
  role: string;
}

export interface RbacPolicy {
  rules: PolicyRule[];
  bindings: RoleBinding[];
  /** The role every user holds (policy.default); none when absent. */
  defaultRole?: string;
}

/** Same name as the hub's ADMIN_GROUP: its members (the bootstrap tokens) always hold role:admin. */
export const ADMIN_GROUP_NAME = 'gitfleet:admins';

/** Roles that exist without being written down, as in Argo CD. */
export const BUILTIN_RULES: PolicyRule[] = [
  { subject: 'role:admin', resource: '*', action: '*', object: '*', effect: 'allow', origin: 'built-in' },
  {
    subject: 'role:readonly',
    resource: '*',
    action: 'get',
    object: '*',
    effect: 'allow',
    origin: 'built-in',
  },
];
const BUILTIN_BINDINGS: RoleBinding[] = [{ member: `group:${ADMIN_GROUP_NAME}`, role: 'role:admin' }];

/** The subject a user name is in a policy. */
export const userSubject = (name: string): string => `user:${name}`;
/** The subject a group name is in a policy. */
export const groupSubject = (name: string): string => `group:${name}`;

/** Whether a subject names a role: `role:<name>` or `proj:<project>:<role>`. */
export function isRole(subject: string): boolean {
  return /^role:.+/u.test(subject) || /^proj:[^:]+:.+/u.test(subject);
}

/**
 * Why a subject written in a policy is not one, or undefined when it is: `user:<name>`,
 * `group:<name>` or a role. A bare name is refused rather than guessed at, since guessing is what
 * let a user called like a group, or a group called like a role, take its rights.
 */
export function subjectError(subject: string): string | undefined {
  if (isRole(subject)) return undefined;
  const m = /^(user|group):(.*)$/u.exec(subject);
  if (m) return m[2] ? undefined : `subject "${subject}" names no ${m[1]}`;
  if (subject.startsWith('role:') || subject.startsWith('proj:'))
    return `subject "${subject}" is not a role: write role:<name> or proj:<project>:<role>`;
  return `subject "${subject}" is ambiguous: write user:${subject} or group:${subject} (or role:${subject} for a role)`;
}

/** The resources a project role may grant: the ones that belong to a project. */
export const PROJECT_RESOURCES = ['applications', 'applicationsets', 'rollouts', 'audit'];

/** What a text of policy lines says, and every line it could not understand. */
export interface ParsedPolicy {
  rules: PolicyRule[];
  bindings: RoleBinding[];
  errors: string[];
}

/**
 * Parses policy.csv text. Pure. Blank lines and `#` comments are skipped; every other line must
 * be a well-formed `p` or `g` line, or it is reported in `errors` (with `origin:line`).
 */
export function parsePolicyCsv(text: string, origin = 'policy.csv'): ParsedPolicy {
  const out: ParsedPolicy = { rules: [], bindings: [], errors: [] };
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const at = `${origin}:${i + 1}`;
    const f = line.split(',').map((x) => x.trim());
    if (f[0] === 'p') {
      const [, subject, resource, action, object, effect = 'allow'] = f;
      if (f.length < 5 || f.length > 6 || !subject || !resource || !action || !object)
        return void out.errors.push(
          `${at}: a p line is "p, subject, resource, action, object[, allow|deny]"`,
        );
      if (effect !== 'allow' && effect !== 'deny')
        return void out.errors.push(`${at}: effect must be allow or deny, not "${effect}"`);
      const bad = subjectError(subject);
      if (bad) return void out.errors.push(`${at}: ${bad}`);
      out.rules.push({ subject, resource, action, object, effect, origin: at });
    } else if (f[0] === 'g') {
      const [, member, role] = f;
      if (f.length !== 3 || !member || !role)
        return void out.errors.push(`${at}: a g line is "g, user:<name>|group:<name>|role, role"`);
      const bad = subjectError(member);
      if (bad) return void out.errors.push(`${at}: ${bad}`);
      if (!isRole(role))
        return void out.errors.push(
          `${at}: "${role}" is not a role: a g line binds to role:<name> or proj:<project>:<role>`,
        );
      out.bindings.push({ member, role });
    } else out.errors.push(`${at}: lines start with p or g, not "${f[0]}"`);
  });
  return out;
}

/**
 * The rules and bindings of a Project's roles. Pure. A role's subject is `proj:<project>:<role>`;
 * a line naming another subject, a resource outside the project, or an object outside
 * `<project>/…` is refused (reported, not applied), so a team cannot grant itself more than its
 * own project.
 */
export function projectRolePolicy(project: string, roles: readonly ProjectRole[]): ParsedPolicy {
  const out: ParsedPolicy = { rules: [], bindings: [], errors: [] };
  for (const role of roles) {
    const subject = `proj:${project}:${role.name}`;
    const origin = `project ${project} role ${role.name}`;
    const parsed = parsePolicyCsv((role.policies ?? []).join('\n'), origin);
    out.errors.push(...parsed.errors);
    if (parsed.bindings.length) out.errors.push(`${origin}: g lines are not allowed; list groups instead`);
    for (const r of parsed.rules) {
      if (r.subject !== subject) out.errors.push(`${r.origin}: subject must be ${subject}, not ${r.subject}`);
      else if (!PROJECT_RESOURCES.includes(r.resource))
        out.errors.push(`${r.origin}: a project role may grant only ${PROJECT_RESOURCES.join(', ')}`);
      else if (r.object !== project && !r.object.startsWith(`${project}/`))
        out.errors.push(`${r.origin}: object must be within ${project}/, not ${r.object}`);
      else out.rules.push(r);
    }
    // `groups` lists group names only: never users, never roles.
    for (const g of role.groups ?? []) out.bindings.push({ member: groupSubject(g), role: subject });
  }
  return out;
}

const describeTarget = (t: RbacTarget): string => {
  const obj = objectOf(t);
  return obj ? `${t.resource} ${obj}` : t.resource;
};

/** `<project>/<namespace>/<name>`, absent parts left out. */
export function objectOf(t: RbacTarget): string {
  return [t.project, t.namespace, t.name].filter((x): x is string => x !== undefined && x !== '').join('/');
}

/**
 * Whether a rule's object pattern covers a target. Two cases are pre-checks, made by a route
 * before it knows the whole object, which then checks or filters again with the project:
 * - nothing of the object is known (a list or query): any allow covers it, a deny only if its
 *   object is `*`;
 * - a project resource without its project (`namespace/name` only): an allow covers it when the
 *   part after its project covers the rest, a deny only when its project part is `*`.
 */
function covers(rule: PolicyRule, t: RbacTarget): boolean {
  const obj = objectOf(t);
  if (rule.object === '*') return true;
  if (obj === '') return rule.effect === 'allow';
  if (t.project !== undefined || !PROJECT_RESOURCES.includes(t.resource)) return wildcard(rule.object, obj);
  const slash = rule.object.indexOf('/');
  if (slash < 0) return false;
  if (rule.effect === 'deny' && rule.object.slice(0, slash) !== '*') return false;
  return wildcard(rule.object.slice(slash + 1), obj);
}

/**
 * Every subject a principal speaks for: `user:<name>`, `group:<each group>`, and the roles they
 * reach. The name and groups are never used bare, so neither can spell a role or each other.
 */
export function subjectsOf(p: RbacPrincipal, policy: RbacPolicy): Set<string> {
  const subjects = new Set<string>([userSubject(p.name), ...p.groups.map(groupSubject)]);
  if (policy.defaultRole) subjects.add(policy.defaultRole);
  const bindings = [...BUILTIN_BINDINGS, ...policy.bindings];
  // Roles may be bound to roles: follow until nothing new is reached (cycles end it too).
  for (let grew = true; grew;) {
    grew = false;
    for (const b of bindings) {
      if (subjects.has(b.member) && !subjects.has(b.role)) {
        subjects.add(b.role);
        grew = true;
      }
    }
  }
  return subjects;
}

/** Decides one request. Pure: the same policy and request always give the same answer. */
export function decide(policy: RbacPolicy, p: RbacPrincipal, action: string, t: RbacTarget): RbacDecision {
  const what = `${action} ${describeTarget(t)}`;
  if (p.kind === 'agent') return { allowed: false, reason: 'agent tokens may only use the agent endpoints' };
  const subjects = subjectsOf(p, policy);
  const matching = [...BUILTIN_RULES, ...policy.rules].filter(
    (r) =>
      subjects.has(r.subject) &&
      wildcard(r.resource, t.resource) &&
      wildcard(r.action, action) &&
      covers(r, t),
  );
  const deny = matching.find((r) => r.effect === 'deny');
  if (deny) return { allowed: false, reason: `user "${p.name}" may not ${what}: denied by ${quote(deny)}` };
  const allow = matching.find((r) => r.effect === 'allow');
  if (allow) return { allowed: true, reason: `allowed by ${quote(allow)}` };
  const roles = [...subjects].filter(isRole);
  return {
    allowed: false,
    reason: `user "${p.name}" may not ${what}: no policy of ${roles.length ? roles.join(', ') : 'theirs (no roles)'} allows it`,
  };
}

const quote = (r: PolicyRule): string =>
  `"p, ${r.subject}, ${r.resource}, ${r.action}, ${r.object}, ${r.effect}" (${r.origin})`;

/** An Authorizer over one fixed policy. */
export class RbacAuthorizer {
  readonly policy: RbacPolicy;

  constructor(policy: RbacPolicy) {
    this.policy = policy;
  }

  authorize(p: RbacPrincipal, action: string, target: RbacTarget): RbacDecision {
    return decide(this.policy, p, action, target);
  }
}
