export {
  FIELD_MANAGER,
  applyObject,
  compareObject,
  ownershipRefusal,
  type ApplyObjectOptions,
  type Comparison,
} from './apply-object.js';
export type { ChangeAction, ChangeSetEntry } from './changeset.js';
