// The hub API's shapes as the UI reads them. Written out here on purpose: web/ never imports
// src/ (ARCHITECTURE.md), so these mirror src/hub/{api,views,fleet-matrix,resource-tree}.ts.

export interface FleetCell {
  namespace: string;
  name: string;
  sync: string;
  health: string;
  drift: boolean;
  revision?: string;
  project?: string;
}

export interface FleetRow {
  key: string;
  service: string;
  namespace: string;
  applicationSet?: string;
  cells: Record<string, FleetCell>;
}

export interface FleetColumn {
  name: string;
  labels: Record<string, string>;
  mode: 'push' | 'agent';
  reachable?: boolean;
}

export interface FleetMatrix {
  columns: FleetColumn[];
  rows: FleetRow[];
  generatedAt: string;
}

/** What the event stream sends for each Application change. */
export interface ApplicationSummary {
  namespace: string;
  name: string;
  destination: { cluster: string; namespace: string };
  sync: string;
  health: string;
  revision?: string;
  applicationSet?: string;
}

export interface ResourceStatus {
  group: string;
  version: string;
  kind: string;
  namespace?: string;
  name: string;
  status: string;
  health?: { status: string; message?: string };
  diff?: string;
}

export interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
  lastTransitionTime: string;
}

export interface HistoryEntry {
  id: number;
  revision: string;
  deployedAt: string;
  source: { repoURL: string; path?: string; targetRevision?: string };
  /** Not recorded by every controller version: shown when present. */
  author?: string;
  message?: string;
}

export interface Application {
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec: {
    project?: string;
    source: { repoURL: string; path?: string; targetRevision?: string };
    destination: { name?: string; namespace?: string };
    syncPolicy?: { automated?: { prune?: boolean; selfHeal?: boolean } };
  };
  status?: {
    sync?: { status: string; revision?: string };
    health?: { status: string; message?: string };
    resources?: ResourceStatus[];
    conditions?: Condition[];
    operationState?: {
      phase: string;
      message: string;
      startedAt: string;
      finishedAt?: string;
      revision?: string;
    };
    history?: HistoryEntry[];
    reconciledAt?: string;
  };
}

export interface TreeNode {
  group: string;
  version: string;
  kind: string;
  namespace?: string;
  name: string;
  sync?: string;
  health?: { status: string; message?: string };
  info?: string[];
  children: TreeNode[];
}

export interface ResourceTree {
  source: 'live' | 'status';
  message?: string;
  nodes: TreeNode[];
}

export interface EventView {
  type: string;
  reason: string;
  message: string;
  count: number;
  firstTimestamp?: string;
  lastTimestamp?: string;
}

export interface ClusterDetail {
  name: string;
  registered: boolean;
  server: string;
  mode: string;
  labels: Record<string, string>;
  status: {
    reachable?: boolean;
    serverVersion?: string;
    lastCheck?: string;
    lastHeartbeat?: string;
    agentVersion?: string;
    message?: string;
  };
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

export interface RolloutDetail {
  namespace: string;
  name: string;
  steps: {
    matchLabels: Record<string, string>;
    matchExpressions: { key: string; operator: string; values?: string[] }[];
    maxUpdate?: number;
    soakSeconds?: number;
    approval: boolean;
  }[];
  rollout: RolloutState | null;
  paused: boolean;
  conditions: Condition[];
  applications: { name: string; step?: number; cluster?: string; cell?: FleetCell }[];
}

export interface ApplicationSetSummary {
  namespace: string;
  name: string;
  applications: string[];
  rollout: RolloutState | null;
}
