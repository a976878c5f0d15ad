// Generated from src/api/wire.ts by scripts/sync-wire.ts: edit that file, then run the script.
// The hub API's wire contract: the JSON shapes of /api/v1 that the hub writes and the CLI and the
// web UI read. One source of truth: the hub's routes are typed with these, the CLI imports them,
// and web/src/api/wire.ts is a verbatim copy (web/ never imports src/; scripts/sync-wire.ts
// rewrites it and src/api/wire.test.ts fails when the two differ). Types only, no imports: that
// is what lets the file be copied as it is.

/** Every refusal and failure: `{"error": "<reason a user can act on>"}`. */
export interface ErrorBody {
  error: string;
}

/** GET /whoami */
export interface Whoami {
  kind: 'user' | 'agent';
  name: string;
  groups: string[];
}

/** One line of the fleet view (GET /applications) and of the event stream (GET /events). */
export interface ApplicationSummary {
  namespace: string;
  name: string;
  project: string;
  repoURL: string;
  path: string;
  targetRevision: string;
  destination: { cluster: string; namespace: string };
  sync: string;
  health: string;
  revision?: string;
  applicationSet?: string;
}

/** GET /applications */
export interface ApplicationList {
  items: ApplicationSummary[];
}

/** An Application's source as the UI reads it. */
export interface SourceView {
  repoURL: string;
  path?: string;
  targetRevision?: string;
}

/** One object an Application owns, as its status records it. */
export interface ResourceStatusView {
  group: string;
  version: string;
  kind: string;
  namespace?: string;
  name: string;
  status: string;
  health?: { status: string; message?: string };
  diff?: string;
}

export interface ConditionView {
  type: string;
  status: string;
  reason: string;
  message: string;
  lastTransitionTime: string;
}

export interface HistoryEntryView {
  id: number;
  revision: string;
  deployedAt: string;
  source: SourceView;
  /** Not recorded by every controller version: shown when present. */
  author?: string;
  message?: string;
}

/**
 * GET /applications/{namespace}/{name}: the Application object itself; these are the fields
 * readers rely on (the hub checks at compile time that the resource type still has them).
 */
export interface ApplicationObject {
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec: {
    project?: string;
    /** Absent on a multi-source Application, which has `sources` instead. */
    source?: SourceView;
    sources?: SourceView[];
    destination: { name?: string; server?: string; namespace?: string };
    syncPolicy?: { automated?: { prune?: boolean; selfHeal?: boolean } };
  };
  status?: {
    sync?: { status: string; revision?: string };
    health?: { status: string; message?: string };
    resources?: ResourceStatusView[];
    conditions?: ConditionView[];
    operationState?: {
      phase: string;
      message: string;
      startedAt: string;
      finishedAt?: string;
      revision?: string;
    };
    history?: HistoryEntryView[];
    reconciledAt?: string;
  };
}

/** One cell of the fleet matrix: one Application on one cluster. */
export interface FleetCell {
  namespace: string;
  name: string;
  sync: string;
  health: string;
  /** Out of sync at the revision last synced: something changed in the cluster, not in Git. */
  drift: boolean;
  revision?: string;
  project?: string;
}

/** One row: one service (in one namespace of the management cluster) across clusters. */
export interface FleetRow {
  /** `namespace/service`: unique per row. */
  key: string;
  service: string;
  namespace: string;
  applicationSet?: string;
  /** Cells by cluster name (column). */
  cells: Record<string, FleetCell>;
}

export interface FleetColumn {
  name: string;
  labels: Record<string, string>;
  mode: 'push' | 'agent';
  /** Undefined when unknown: `in-cluster` and destinations with no Cluster object. */
  reachable?: boolean;
}

/** GET /fleet */
export interface FleetMatrix {
  columns: FleetColumn[];
  rows: FleetRow[];
  generatedAt: string;
}

/**
 * One node of an Application's resource tree. Only names and states: never an object's body, so
 * no Secret data can leave through here.
 */
export interface TreeNode {
  group: string;
  version: string;
  kind: string;
  namespace?: string;
  name: string;
  /** Sync state: only owned (top-level) objects have one; children are not in Git. */
  sync?: string;
  health?: { status: string; message?: string };
  /** Short facts worth a glance (replicas, pod phase, restarts). */
  info?: string[];
  children: TreeNode[];
}

/** GET /applications/{namespace}/{name}/tree */
export interface ResourceTree {
  /** `live`: read from the destination now; `status`: the controller's last record only. */
  source: 'live' | 'status';
  /** Why the tree is not live, when it is not. */
  message?: string;
  nodes: TreeNode[];
}

/** One Kubernetes Event as the UI shows it. */
export interface EventView {
  type: string;
  reason: string;
  message: string;
  count: number;
  firstTimestamp?: string;
  lastTimestamp?: string;
}

/** GET /applications/{namespace}/{name}/events */
export interface EventList {
  items: EventView[];
}

/** A Cluster's status as the hub shows it (never its credentials). */
export interface ClusterStatusView {
  reachable?: boolean;
  serverVersion?: string;
  lastCheck?: string;
  lastHeartbeat?: string;
  agentVersion?: string;
  message?: string;
}

/** One item of GET /clusters. */
export interface ClusterSummary {
  name: string;
  server: string;
  mode: 'push' | 'agent';
  labels: Record<string, string>;
  status: ClusterStatusView;
}

/** GET /clusters */
export interface ClusterList {
  items: ClusterSummary[];
}

/** GET /clusters/{name} */
export interface ClusterDetail extends ClusterSummary {
  /** False for a destination Applications name without a Cluster object (in-cluster). */
  registered: boolean;
  applications: FleetCell[];
}

export interface RolloutState {
  revision: string;
  stableRevision: string;
  phase: string;
  step: number;
  message: string;
  stepHealthySince?: string;
}

/** One item of GET /applicationsets. */
export interface ApplicationSetSummary {
  namespace: string;
  name: string;
  applications: string[];
  rollout: RolloutState | null;
}

/** GET /applicationsets */
export interface ApplicationSetList {
  items: ApplicationSetSummary[];
}

/** GET /applicationsets/{namespace}/{name} */
export interface RolloutDetail {
  namespace: string;
  name: string;
  steps: {
    matchLabels: Record<string, string>;
    matchExpressions: { key: string; operator: string; values?: string[] }[];
    /** A count, or a percentage of the step's Applications such as `25%`. */
    maxUpdate?: number | string;
    soakSeconds?: number;
    approval: boolean;
  }[];
  rollout: RolloutState | null;
  paused: boolean;
  conditions: ConditionView[];
  applications: { name: string; step?: number; cluster?: string; cell?: FleetCell }[];
}

/** POST /applications/{namespace}/{name}/sync (202) */
export interface SyncAccepted {
  requested: string;
  by: string;
}

/** POST /applications/{namespace}/{name}/refresh (202) */
export interface RefreshAccepted {
  requested: string;
}

/** POST /applications/{namespace}/{name}/rollback (202) */
export interface RollbackAccepted {
  requested: string;
  revision: string;
}

/** POST /applicationsets/{namespace}/{name}/rollout/approve (202) */
export interface ApproveAccepted {
  approvedStep: number;
}

/** POST /applicationsets/{namespace}/{name}/rollout/pause|resume (202) */
export interface PauseAccepted {
  paused: boolean;
}
