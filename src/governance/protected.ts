/**
 * Objects no Application may create, change or delete, whatever its Project allows: the hub's own
 * state. A Project is written by an admin, but its globs are easy to write too widely (`*`), and
 * the built-in `default` was once `*` everywhere; these rules hold even then, as Argo CD refuses to
 * deploy into its own namespace. They apply on every destination cluster: an agent's cluster keeps
 * its token and gitfleet's inventory in its own gitfleet-system.
 *
 * The rules, each named in the refusal:
 * - `hub-namespace`: anything in a hub namespace (gitfleet-system, and the controller's namespace
 *   when it is another) — tokens, the hub key, cluster credentials, the RBAC ConfigMap, Projects,
 *   inventories — and the Namespace object itself.
 * - `gitfleet-secret`: a Secret labelled `gitfleet.dev/secret-type` as an API token, agent token or
 *   cluster credential (`api-token`, `agent-token`, `cluster`), in any namespace. Repository
 *   credentials (`repository`) are a tenant's own and stay allowed.
 * - `gitfleet-crd`: gitfleet's CustomResourceDefinitions (`*.gitfleet.dev`).
 * - `gitfleet-rbac`: Roles, ClusterRoles and their bindings named `gitfleet*`; bindings to a
 *   `gitfleet*` role; bindings whose subjects are gitfleet identities (ServiceAccounts of a hub
 *   namespace, users or groups named `gitfleet:*` or `system:serviceaccount:<hub namespace>:*`).
 */
import { FLEET_NAMESPACE } from '../api/cluster.js';
import { TOKEN_SECRET_LABEL } from '../api/agent.js';
import type { KubeObject } from '../kube/types.js';
import { wildcard } from './glob.js';

/** One object an Application would touch, as the protected-resource check sees it. */
export interface GuardedObject {
  group: string;
  kind: string;
  name: string;
  /** Absent for cluster-scoped objects. */
  namespace?: string;
  /** The manifest, when known (objects to apply); absent for objects only to prune. */
  object?: KubeObject;
}

export type ProtectedRule = 'hub-namespace' | 'gitfleet-secret' | 'gitfleet-crd' | 'gitfleet-rbac';

const RBAC = 'rbac.authorization.k8s.io';
/** Values of TOKEN_SECRET_LABEL that only the hub writes (tokens, cluster credentials). */
const HUB_SECRET_TYPES = new Set(['api-token', 'agent-token', 'cluster']);
const RBAC_KINDS = new Set(['Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding']);

/** The namespaces holding the hub's state: gitfleet-system and the controller's namespace. */
export function hubNamespaces(controllerNamespace: string): string[] {
  return [...new Set([FLEET_NAMESPACE, controllerNamespace])];
}

/** Why a destination namespace is refused, or undefined. Checked before anything is fetched. */
export function protectedDestination(namespace: string, hubNs: readonly string[]): string | undefined {
  return hubNs.includes(namespace)
    ? `destination namespace ${namespace} is protected (hub-namespace): no Application may deploy into the hub's namespace, whatever its project allows`
    : undefined;
}

interface Binding extends KubeObject {
  roleRef?: { kind?: string; name?: string };
  subjects?: { kind?: string; name?: string; namespace?: string }[];
}

function gitfleetSubject(
  s: { kind?: string; name?: string; namespace?: string },
  hubNs: readonly string[],
): boolean {
  const name = s.name ?? '';
  if (s.kind === 'ServiceAccount') return hubNs.includes(s.namespace ?? '');
  return name.startsWith('gitfleet:') || hubNs.some((ns) => wildcard(`system:serviceaccount:${ns}:*`, name));
}

/** The rule an object breaks, with why; undefined when it may be managed. */
function ruleFor(o: GuardedObject, hubNs: readonly string[]): [ProtectedRule, string] | undefined {
  if (o.namespace !== undefined && hubNs.includes(o.namespace))
    return [
      'hub-namespace',
      `objects in the hub's namespace ${o.namespace} are never managed by an Application`,
    ];
  if (o.group === '' && o.kind === 'Namespace' && hubNs.includes(o.name))
    return ['hub-namespace', `the hub's namespace ${o.name} is never managed by an Application`];
  const secretType = o.object?.metadata.labels?.[TOKEN_SECRET_LABEL];
  if (
    o.group === '' &&
    o.kind === 'Secret' &&
    secretType !== undefined &&
    HUB_SECRET_TYPES.has(secretType.trim())
  )
    return [
      'gitfleet-secret',
      `Secrets labelled ${TOKEN_SECRET_LABEL}=${secretType} (API tokens, agent tokens, cluster credentials) are made only by the hub`,
    ];
  if (
    o.group === 'apiextensions.k8s.io' &&
    o.kind === 'CustomResourceDefinition' &&
    o.name.endsWith('.gitfleet.dev')
  )
    return [
      'gitfleet-crd',
      `gitfleet's own CustomResourceDefinitions are installed by gitfleet, not by Applications`,
    ];
  if (o.group === RBAC && RBAC_KINDS.has(o.kind)) {
    if (o.name.startsWith('gitfleet'))
      return ['gitfleet-rbac', `RBAC objects named gitfleet* belong to gitfleet's own installation`];
    const b = o.object as Binding | undefined;
    if (b?.roleRef?.name?.startsWith('gitfleet'))
      return ['gitfleet-rbac', `a binding to gitfleet's role ${b.roleRef.name} would grant the hub's rights`];
    const who = b?.subjects?.find((s) => gitfleetSubject(s, hubNs));
    if (who)
      return [
        'gitfleet-rbac',
        `a binding whose subject is gitfleet's own identity (${who.kind ?? '?'} ${who.namespace ? `${who.namespace}/` : ''}${who.name ?? ''}) changes what the hub may do`,
      ];
  }
  return undefined;
}

/**
 * Checks every object against the protected rules. Pure; one message per refused object, naming
 * it (`Kind/namespace/name`), its group and the rule. Empty means none is protected.
 */
export function protectedViolations(objects: readonly GuardedObject[], hubNs: readonly string[]): string[] {
  const out: string[] = [];
  for (const o of objects) {
    const r = ruleFor(o, hubNs);
    if (!r) continue;
    const id = `${o.kind}/${o.namespace ? `${o.namespace}/` : ''}${o.name}`;
    out.push(
      `${id}: ${o.group || 'core'}/${o.kind} is protected (${r[0]}): ${r[1]}, whatever the project allows`,
    );
  }
  return out;
}
