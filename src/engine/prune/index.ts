export { pruneStale, type PruneOptions, type PruneResult } from './prune.js';
