import type { OperationState } from '../../api/application.js';

/** What the decide stage knows: the app's last status, what the source and comparison found now. */
export interface DecideInput {
  /** status.operationState before this reconcile. */
  op: OperationState | undefined;
  /** The revision the source resolved to now. */
  revision: string;
  /** What the comparison found now. */
  compared: 'Synced' | 'OutOfSync';
  /** status.sync.status before this reconcile. */
  lastSync: string | undefined;
  /** The automated policy when automation is on. */
  auto: { selfHeal?: boolean } | undefined;
  /** An unhandled manual sync request (REFRESH_ANNOTATION value), if any. */
  syncRequest: string | undefined;
  /** An unhandled terminate request, if any. */
  terminateRequested: boolean;
  /** syncPolicy.retry.limit (default 5). */
  retryLimit: number;
  /** The operation failed here less than its retry backoff ago: no retry yet. */
  retryWaiting?: boolean;
}

export type Decision =
  /** Nothing to operate; `drift` when the cluster changed at the revision last synced. */
  | { action: 'none'; drift: boolean }
  /** A new operation. `cancel` names why a running one at another revision ends first. */
  | { action: 'start'; manual: boolean; retryCount: number; drift: boolean; cancel?: string }
  /** The running operation goes on at its saved step. */
  | { action: 'continue' }
  /** The running operation ends Failed with `message`. */
  | { action: 'end'; message: string };

const running = (op: OperationState | undefined): boolean =>
  op?.phase === 'Running' || op?.phase === 'Terminating';

/**
 * Decides, without any effect, what this reconcile does with the app's operation: manual, auto,
 * drift, retry, terminate or new revision. A running operation is ended by a terminate request
 * and cancelled by a new revision (and restarted on it when automation or a request wants it);
 * otherwise it goes on. Without one, a manual request starts one; automation starts one when the
 * app is OutOfSync at a new revision, or drifted with selfHeal, or failed here with retries left.
 */
export function decide(i: DecideInput): Decision {
  const { op } = i;
  if (op && running(op)) {
    if (op.phase === 'Terminating' || i.terminateRequested) return { action: 'end', message: 'terminated' };
    if (op.revision === i.revision) return { action: 'continue' };
    const cancel = `cancelled: superseded by revision ${i.revision.slice(0, 12)}`;
    if (i.syncRequest !== undefined || op.syncRequest !== undefined)
      return { action: 'start', manual: true, retryCount: 0, drift: false, cancel };
    if (i.auto) return { action: 'start', manual: false, retryCount: 0, drift: false, cancel };
    return { action: 'end', message: cancel };
  }
  const lastSynced = op?.phase === 'Succeeded' ? op.revision : undefined;
  // Out of sync at the revision last synced: something changed in the cluster, not in Git.
  const drift = i.compared === 'OutOfSync' && i.revision === lastSynced && i.lastSync === 'Synced';
  if (i.syncRequest !== undefined) return { action: 'start', manual: true, retryCount: 0, drift };
  const failedHere = !!op && op.phase !== 'Succeeded' && op.revision === i.revision;
  // A retry waits out its backoff, whatever wakes the app; one a person terminated is not retried
  // at that revision (as in Argo CD): a new commit, or a sync request, starts the next one.
  const retriesLeft =
    !failedHere || ((op?.retryCount ?? 0) < i.retryLimit && op?.message !== 'terminated' && !i.retryWaiting);
  const wantAuto =
    !!i.auto &&
    i.compared === 'OutOfSync' &&
    (i.revision !== lastSynced || !!i.auto.selfHeal || failedHere) &&
    retriesLeft;
  if (!wantAuto) return { action: 'none', drift };
  return { action: 'start', manual: false, retryCount: failedHere ? (op?.retryCount ?? 0) + 1 : 0, drift };
}
