import type { ObjectRef } from '../../core/object-ref.js';
import type { HealthResult } from '../health/types.js';
import type { HookPhase } from '../plan/annotations.js';

export type ChangeAction = 'created' | 'configured' | 'unchanged' | 'deleted' | 'skipped' | 'failed';

/** What a sync did to one object: the data status, events, CLI output and the UI are drawn from. */
export interface ChangeSetEntry {
  ref: ObjectRef;
  action: ChangeAction;
  /** Why it was skipped or failed, or what the hook did. */
  message?: string;
  /** Redacted diff of what changed (configured) — never Secret values. */
  diff?: string;
  hook?: boolean;
  /** The phase the object was applied in (Argo CD's syncPhase: PreSync, Sync, PostSync, SyncFail). */
  syncPhase?: HookPhase;
  health?: HealthResult;
}
