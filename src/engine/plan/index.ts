export * from './annotations.js';
export { KIND_ORDER, compareForApply, kindRank } from './order.js';
export {
  MANAGED_BY_LABEL,
  MANAGED_BY_VALUE,
  OWNER_ANNOTATION,
  OWNER_LABEL,
  isOwnedBy,
  ownerId,
  ownerOf,
  stampOwner,
} from './ownership.js';
export { planSync, type PlanInput, type SyncPlan, type SyncStep, type SyncTask } from './plan.js';
