export { diffObjects, ruleMatches, type DiffChange, type DiffResult, type IgnoreRule } from './diff.js';
export { managedPaths } from './managed-fields.js';
export { normalizeForDiff, removePointer } from './normalize.js';
export { redactSecret, redactSecretPair } from './redact.js';
