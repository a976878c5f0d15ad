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
  /** The step of its ApplicationSet's roll-out this app is in, and where that roll-out stands. */
  rollout?: CellRollout;
  /** The promotion pipeline stage this app belongs to, and the promotion in flight into or out of it. */
  promotion?: CellPromotion;
}

export interface CellRollout {
  applicationSet: string;
  /** The app's step, 0-based as in RolloutDetail. */
  step: number;
  /** How many steps the roll-out has. */
  steps: number;
  /** The step the roll-out is at, and its phase; absent before the first roll-out. */
  current?: number;
  phase?: string;
  /** The revision being rolled out. */
  revision?: string;
}

export interface CellPromotion {
  pipeline: string;
  stage: string;
  /** The promotion in flight that involves this stage: its phase, and whether it enters or leaves. */
  phase?: string;
  direction?: 'in' | 'out';
  /** The revision of that promotion. */
  revision?: string;
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

/** One stage of a promotion pipeline (GET /pipelines). */
export interface PipelineStageSummary {
  name: string;
  /** `namespace/name` of the stage's Applications, with their sync and health. */
  applications: { name: string; sync: string; health: string; revision?: string }[];
  file: string;
  field: string;
  /** The value the stage's field holds on the branch. */
  revision?: string;
  verified: boolean;
  verifiedSince?: string;
  soak?: string;
  /** Promotion into the stage asks for an approval, and its state. */
  approval?: {
    /** `waiting`: a revision waits for approval now; `approved`: an approval is recorded; else `none`. */
    state: 'waiting' | 'approved' | 'none';
    revision?: string;
    by?: string;
    at?: string;
  };
  pullRequest: boolean;
  message?: string;
}

/** The transition a pipeline has in flight. */
export interface PipelinePromotionView {
  from: string;
  to: string;
  revision: string;
  phase:
    'Verifying' | 'Soaking' | 'Analysing' | 'WaitingApproval' | 'Promoting' | 'PullRequestOpen' | 'Failed';
  message?: string;
  startedAt: string;
  pullRequest?: { number: number; url: string };
}

/** One promotion that happened. */
export interface PromotionRecordView {
  /** Target stage. */
  stage: string;
  from: string;
  revision: string;
  commit?: string;
  pullRequest?: { number: number; url: string };
  at: string;
  /** `automated`, or who approved (`<name> (unverified)` when it came from an annotation). */
  by: string;
  /** The approver was authenticated by the hub API (`by` is its principal). */
  verified?: boolean;
}

/** GET /pipelines/{namespace}/{name}, and each item of GET /pipelines */
export interface PipelineSummary {
  namespace: string;
  name: string;
  repoURL: string;
  branch: string;
  suspended: boolean;
  stages: PipelineStageSummary[];
  /** The transition in flight, if any. */
  promotion?: PipelinePromotionView;
  /** The latest promotions, newest first (at most 5; the object holds up to 50). */
  history: PromotionRecordView[];
  ready?: { status: string; reason?: string; message?: string };
}

/** GET /pipelines */
export interface PipelineList {
  items: PipelineSummary[];
}

/** What one object of one app will do when the change merges. */
export interface ObjectChange {
  /** `Kind/namespace/name` (`Kind/name` for cluster-scoped). */
  ref: string;
  action: 'create' | 'change' | 'delete';
  /** Server-side dry-run diff against the live object (Secret values masked); none for deletions. */
  diff?: string;
}

/** A policy finding on an object a preview renders. */
export interface PolicyFindingView {
  policy: string;
  /** `Kind/namespace/name`. */
  object: string;
  /** Dotted path such as `spec.template.spec.containers[0].image`. */
  field: string;
  message: string;
  mode: 'enforce' | 'warn';
}

/** One Application (existing, or generated by an ApplicationSet at head or base) that changes. */
export interface AppPreview {
  /** `namespace/name` of the Application. */
  app: string;
  appSet?: string;
  cluster: string;
  /** `added`: generated only at head; `removed`: only at base; `changed`: its inputs or spec change. */
  change: 'added' | 'removed' | 'changed';
  objects: ObjectChange[];
  policy: PolicyFindingView[];
  /** The ApplicationSet roll-out step (1-based) the app is updated in, when the set rolls out by steps. */
  rolloutStep?: { step: number; of: number };
  /** Why the app could not be fully previewed (render failure, unreachable cluster); the rest still counts. */
  error?: string;
}

export interface PreviewSummary {
  apps: number;
  clusters: number;
  created: number;
  changed: number;
  deleted: number;
  /** "N apps on M clusters change; K objects created/changed/deleted". */
  line: string;
}

/** POST /preview */
export interface PreviewReport {
  repoURL: string;
  base: { ref: string; sha: string };
  head: { ref: string; sha: string };
  summary: PreviewSummary;
  apps: AppPreview[];
  /** Apps of this repository that were not rendered because none of their inputs change. */
  unchanged: number;
  /** Enforced policy findings exist: the change would fail to sync somewhere. */
  blocked: boolean;
}
