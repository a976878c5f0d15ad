// The public surface of governance for controllers and the CLI. Audit, RBAC and OIDC export
// from their own modules.
export {
  assessGovernance,
  assessSource,
  loadProject,
  type GovernanceVerdict,
  type SourceVerdict,
} from './assess.js';
export { builtinDefaultProject, DEFAULT_PROJECT_NAME } from './default-project.js';
export { impersonatedUser } from './impersonation.js';
export {
  checkProject,
  checkProjectSource,
  checkSourceNamespace,
  destinationAllows,
  destinationsAllow,
  wildcard,
  type ProjectRequest,
} from './project.js';
export { hubNamespaces, protectedDestination, protectedViolations, type GuardedObject } from './protected.js';
export {
  compilePolicies,
  evaluatePolicies,
  formatPolicyResults,
  type PolicySubject,
} from './policy/evaluate.js';
export {
  describeWindow,
  runningSyncGate,
  syncGate,
  windowStates,
  type SyncGate,
  type WindowState,
  type WindowTarget,
} from './windows.js';
