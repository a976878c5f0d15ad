// The hub API's shapes as the UI reads them: the wire contract (./wire, a copy of the hub's
// src/api/wire.ts kept identical by a test), under the names the UI has always used.
export type {
  ApplicationSetSummary,
  ApplicationSummary,
  ClusterDetail,
  EventView,
  FleetCell,
  FleetColumn,
  FleetMatrix,
  FleetRow,
  ResourceTree,
  RolloutDetail,
  RolloutState,
  TreeNode,
} from './wire';
export type {
  ApplicationObject as Application,
  ConditionView as Condition,
  HistoryEntryView as HistoryEntry,
  ResourceStatusView as ResourceStatus,
} from './wire';
