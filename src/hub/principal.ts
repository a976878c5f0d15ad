/**
 * Who is calling the hub API and what they may do. Authentication (tokens → Principal) lives in
 * auth.ts; the decision (Principal × action × target → allowed) is an Authorizer, so RBAC
 * policies can replace the built-in one without touching any route.
 */
export interface Principal {
  kind: 'user' | 'agent';
  /** User name, or the cluster name of an agent. */
  name: string;
  groups: string[];
  /** For agents: the one cluster whose assignments and status this token may touch. */
  cluster?: string;
}

export type ApiAction = 'get' | 'create' | 'update' | 'delete' | 'sync' | 'override' | 'rollback' | 'approve';

export interface ApiTarget {
  resource: 'applications' | 'applicationsets' | 'clusters' | 'rollouts' | 'projects' | 'audit';
  project?: string;
  namespace?: string;
  name?: string;
}

export interface Decision {
  allowed: boolean;
  /** Why, in words a user can act on (shown by the CLI and UI on 403). */
  reason: string;
}

export interface Authorizer {
  authorize(p: Principal, action: ApiAction, target: ApiTarget): Decision;
}

/** Members may do everything; the bootstrap tokens of `GITFLEET_API_TOKENS` belong to it. */
export const ADMIN_GROUP = 'gitfleet:admins';

/**
 * The authorizer used when no RBAC policy is configured: admins may do anything, other users may
 * only read, agents may use nothing but the agent endpoints (which check their cluster themselves).
 */
export const builtinAuthorizer: Authorizer = {
  authorize(p, action, target) {
    if (p.kind === 'agent')
      return { allowed: false, reason: `agent tokens may only use the agent endpoints` };
    if (p.groups.includes(ADMIN_GROUP)) return { allowed: true, reason: 'admin' };
    if (action === 'get') return { allowed: true, reason: 'read access' };
    return {
      allowed: false,
      reason: `user "${p.name}" may not ${action} ${target.resource}${target.name ? ` ${target.namespace ? `${target.namespace}/` : ''}${target.name}` : ''}: no role grants it`,
    };
  },
};

export interface HubEnv {
  Variables: { principal: Principal };
}
