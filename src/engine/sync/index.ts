export { afterSync, compareApp, type Comparison, type ResourceState } from './compare.js';
export {
  EmptyRenderError,
  objectKey,
  prepareSync,
  stepsOf,
  syncNext,
  type PreparedSync,
  type SyncDeps,
  type SyncProgress,
  type SyncRequest,
  type SyncStepResult,
} from './sync.js';
export { CompareMemo, type LiveVersions } from './memo.js';
