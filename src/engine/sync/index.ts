export { compareApp, type Comparison, type ResourceState } from './compare.js';
export { EmptyRenderError, runSync, type SyncDeps, type SyncRequest, type SyncResult } from './sync.js';
