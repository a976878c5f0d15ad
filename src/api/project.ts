import type { KubeObject } from '../kube/types.js';
import type { API_VERSION, DecryptionSpec } from './application.js';

/** A group/kind pair; `*` matches any run of characters in either. The core group is `""`. */
export interface GroupKind {
  group: string;
  kind: string;
}

/** A Kubernetes label selector (`matchLabels` and `matchExpressions`, ANDed). */
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: {
    key: string;
    operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
    values?: string[];
  }[];
}

/**
 * One place Applications of the project may deploy to. The cluster matches by name glob
 * (`cluster`, or Argo CD's `name`) or API URL glob (`server`) and, when given, by the Cluster's
 * labels (`clusterSelector`); both must hold. An entry whose `cluster`, `name`, `server` or
 * `namespace` starts with `!` denies instead (Argo CD's form): what it matches, with the `!`
 * removed, is refused whatever the other entries allow.
 */
export interface ProjectDestination {
  /** Cluster name glob; default `*`. `in-cluster` is the cluster the controller runs in. */
  cluster?: string;
  /** Argo CD's form of `cluster`: a cluster name glob. */
  name?: string;
  /**
   * Argo CD's form: a glob over the cluster's API URL (`https://kubernetes.default.svc` is
   * `in-cluster`). A literal URL is compared normalised (case, default port, trailing slash).
   * An entry that sets several of `cluster`, `name` and `server` matches when any of them does.
   */
  server?: string;
  /** Labels of the registered Cluster (`in-cluster` has none unless a Cluster object names it). */
  clusterSelector?: LabelSelector;
  /** Namespace glob; default `*`. */
  namespace?: string;
}

/**
 * The ServiceAccount the engine acts as for a destination, so that the destination cluster's own
 * RBAC decides what the project may change. The first entry whose globs match is used.
 */
export interface DestinationServiceAccount {
  /** Cluster name glob; default `*`. */
  cluster?: string;
  /** Argo CD's form: a glob over the cluster's API URL (compared as in `destinations[].server`). */
  server?: string;
  /** Destination namespace glob; default `*`. */
  namespace?: string;
  /** `name` (in the destination namespace) or `namespace:name`. Set this or `defaultServiceAccount`. */
  serviceAccount?: string;
  /** Argo CD's name for `serviceAccount`, same meaning. */
  defaultServiceAccount?: string;
}

/** A recurring period in which syncs are allowed or denied (Argo CD semantics, see docs/governance.md). */
export interface SyncWindow {
  kind: 'allow' | 'deny';
  /** Cron, 5 fields (minute hour day-of-month month day-of-week), in `timeZone`. */
  schedule: string;
  /** How long the window stays open after each start: `30m`, `1h`, `1h30m`. */
  duration: string;
  /** IANA zone such as `Europe/Berlin`; default UTC. */
  timeZone?: string;
  /** Application name globs. A window applies when any of its three lists matches. */
  applications?: string[];
  /** Destination cluster name globs. */
  clusters?: string[];
  /** Destination namespace globs. */
  namespaces?: string[];
  /** Let manual syncs (`gitfleet app sync`) through while this window blocks. Default false. */
  manualSync?: boolean;
  /** Argo CD's window description: informational. */
  description?: string;
  /** Argo CD's `andOperator`: the window applies only when every list it sets matches. */
  andOperator?: boolean;
  /**
   * Argo CD's `syncOverrun`: a sync that started while allowed may go on after this window starts
   * denying (deny) or ends (allow). Without it, the sync must stop (see `runningSyncGate`).
   */
  syncOverrun?: boolean;
}

/** A rule evaluated on every rendered object before anything is applied. */
export interface ProjectPolicy {
  /** Unique within the project; shown in status. */
  name: string;
  /**
   * A built-in rule name (`requireResources`, `disallowLatestTag`, `disallowPrivileged`,
   * `disallowHostNamespaces`, `requireLabels`) or a CEL expression over `object` that is true when
   * the object complies.
   */
  rule: string;
  /** `enforce` (default): a violation fails the sync. `warn`: applied, with a warning. */
  mode?: 'enforce' | 'warn';
  /** Kind globs the rule applies to; all kinds when absent. */
  kinds?: string[];
  /** Message for a CEL rule's violation; default names the expression. */
  message?: string;
  /** Field a CEL rule is about, shown in results; default `(object)`. */
  field?: string;
  /** Parameters of built-in rules, e.g. `{labels: [team]}` for requireLabels. */
  parameters?: Record<string, unknown>;
}

/**
 * Governance for a team: where its Applications may come from, where they may go, which kinds
 * they may manage, as whom, when, and which policies their manifests must meet. Lives in
 * gitfleet-system; Applications name it in `spec.project`.
 */
export interface Project extends KubeObject {
  apiVersion: typeof API_VERSION;
  kind: 'Project';
  spec: ProjectSpec;
}

export interface ProjectSpec {
  /**
   * Namespace globs whose Applications may use this project. Applications in the controller's
   * namespace may use any project; others only one that lists their namespace (absent or empty:
   * none), so a tenant cannot borrow another team's project by naming it.
   */
  sourceNamespaces?: string[];
  /** Repository URL patterns (`*` wildcard); empty allows none. */
  sourceRepos?: string[];
  /** Allowed destinations; empty allows none. */
  destinations?: ProjectDestination[];
  /** Cluster-scoped kinds Applications may manage; none unless listed (as Argo CD). */
  clusterResourceWhitelist?: GroupKind[];
  /** Cluster-scoped kinds refused even when whitelisted. */
  clusterResourceBlacklist?: GroupKind[];
  /** Namespaced kinds Applications may manage; all when absent. */
  namespaceResourceWhitelist?: GroupKind[];
  /** Namespaced kinds Applications may not manage. */
  namespaceResourceBlacklist?: GroupKind[];
  /** Argo CD's AppProject `description`: informational, shown as written. */
  description?: string;
  destinationServiceAccounts?: DestinationServiceAccount[];
  syncWindows?: SyncWindow[];
  policies?: ProjectPolicy[];
  /** Team self-service: roles granting rights inside this project to the listed groups (see docs/rbac.md). */
  roles?: ProjectRole[];
  /**
   * SOPS keys for the project's Applications that set no `spec.decryption` of their own: a Secret
   * in the Project's namespace (the controller's), which tenants cannot read or write.
   */
  decryption?: DecryptionSpec;
  /** Custom health in CEL for the project's Applications; wins over the cluster-wide ConfigMap. */
  healthCheckExprs?: HealthCheckExprSpec[];
}

/** One custom health rule (Flux's `healthCheckExprs` entry); see src/engine/health/cel.ts. */
export interface HealthCheckExprSpec {
  apiVersion: string;
  kind: string;
  current: string;
  inProgress?: string;
  failed?: string;
}

/** A project role: policy lines in policy.csv form, confined to this project, bound to groups. */
export interface ProjectRole {
  name: string;
  description?: string;
  /** `p, proj:<project>:<role>, <resource>, <action>, <project>/<object glob>, allow|deny`. */
  policies?: string[];
  /** Groups (or user names) that hold the role. */
  groups?: string[];
}

/** One policy finding on one object, as kept in Application status. */
export interface PolicyResult {
  policy: string;
  /** `Kind/namespace/name`. */
  object: string;
  /** Dotted path such as `spec.template.spec.containers[0].image`. */
  field: string;
  message: string;
  mode: 'enforce' | 'warn';
}
