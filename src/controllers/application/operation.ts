import type { OperationResource, OperationState, OperationStep, SyncPhase } from '../../api/application.js';
import type { ChangeSetEntry } from '../../engine/apply/changeset.js';
import type { SyncProgress, SyncStepResult } from '../../engine/sync/index.js';

/**
 * Conversions between the engine's step results and status.operationState, where a running
 * operation's progress is persisted (so a restarted controller resumes it at the same step).
 */

/** One change as status records it; hooks carry their outcome as Argo CD's hookPhase. */
export function toOperationResource(c: ChangeSetEntry): OperationResource {
  return {
    apiVersion: c.ref.apiVersion,
    kind: c.ref.kind,
    ...(c.ref.namespace ? { namespace: c.ref.namespace } : {}),
    name: c.ref.name,
    action: c.action,
    ...(c.message ? { message: c.message } : {}),
    ...(c.syncPhase ? { syncPhase: c.syncPhase } : {}),
    ...(c.hook ? { hookPhase: hookPhaseOf(c) } : {}),
  };
}

function hookPhaseOf(c: ChangeSetEntry): NonNullable<OperationResource['hookPhase']> {
  if (c.action === 'failed' || c.health?.status === 'Degraded') return 'Failed';
  if (!c.health || c.health.status === 'Healthy' || c.health.status === 'Suspended') return 'Succeeded';
  return 'Running';
}

/** The changes a running operation recorded, for the engine to carry on from. */
export function changesOf(op: OperationState): ChangeSetEntry[] {
  return (op.resources ?? []).map((r) => ({
    ref: {
      apiVersion: r.apiVersion ?? '',
      kind: r.kind,
      ...(r.namespace ? { namespace: r.namespace } : {}),
      name: r.name,
    },
    action: r.action as ChangeSetEntry['action'],
    ...(r.message ? { message: r.message } : {}),
    ...(r.hookPhase ? { hook: true } : {}),
    ...(isSyncPhase(r.syncPhase) ? { syncPhase: r.syncPhase } : {}),
  }));
}

function isSyncPhase(p: string | undefined): p is SyncPhase {
  return p === 'PreSync' || p === 'Sync' || p === 'PostSync' || p === 'SyncFail';
}

/** The engine's progress from a saved operation. */
export function progressOf(op: OperationState): SyncProgress | undefined {
  if (!op.step) return undefined;
  return {
    step: op.step.index,
    ...(op.step.waitingSince ? { waitingSince: Date.parse(op.step.waitingSince) } : {}),
    ...(op.step.kept ? { kept: op.step.kept } : {}),
    ...(op.step.failing ? { failing: op.step.failing } : {}),
    ...(op.step.generated ? { generated: op.step.generated } : {}),
  };
}

/** The step to save in status for a running operation. */
export function stepOf(r: SyncStepResult): OperationStep {
  return {
    index: r.progress.step,
    count: r.steps,
    ...(r.progress.waitingSince !== undefined
      ? { waitingSince: new Date(r.progress.waitingSince).toISOString() }
      : {}),
    ...(r.progress.kept?.length ? { kept: r.progress.kept } : {}),
    ...(r.progress.failing ? { failing: r.progress.failing } : {}),
    ...(r.progress.generated && Object.keys(r.progress.generated).length
      ? { generated: r.progress.generated }
      : {}),
  };
}

/** The operation as it ended. */
export function finishedOperation(
  op: OperationState,
  r: { phase: 'Succeeded' | 'Failed'; message: string; changes: ChangeSetEntry[]; syncPhase?: SyncPhase },
): OperationState {
  const { step: _step, syncRequest: _request, ...rest } = op;
  return {
    ...rest,
    ...(r.syncPhase ? { syncPhase: r.syncPhase } : {}),
    phase: r.phase,
    message: r.message,
    finishedAt: new Date().toISOString(),
    resources: r.changes.map(toOperationResource),
  };
}
