export { deleteExactly, pruneStale, type PruneOptions, type PruneResult } from './prune.js';
