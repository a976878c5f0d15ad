export {
  FIELD_MANAGER,
  applyObject,
  compareObject,
  type ApplyObjectOptions,
  type Comparison,
} from './apply-object.js';
export type { ChangeAction, ChangeSetEntry } from './changeset.js';
