import { isDeepStrictEqual } from 'node:util';

import type {
  ApplicationStatus,
  Condition,
  ConditionType,
  OperationState,
  ResourceStatus,
} from '../../api/application.js';

/**
 * Sets or replaces the condition of `type`, keeping lastTransitionTime when the status did not
 * change (so watchers can tell how long a state has lasted).
 */
export function setCondition<T extends string = ConditionType>(
  conditions: Condition<T>[] | undefined,
  c: Omit<Condition<NoInfer<T>>, 'lastTransitionTime'>,
  now: string,
): Condition<T>[] {
  const list = [...(conditions ?? [])];
  const i = list.findIndex((x) => x.type === c.type);
  const prev = i >= 0 ? list[i] : undefined;
  const next: Condition<T> = {
    ...c,
    lastTransitionTime: prev && prev.status === c.status ? prev.lastTransitionTime : now,
  };
  if (i >= 0) list[i] = next;
  else list.push(next);
  return list;
}

export function removeCondition<T extends string = ConditionType>(
  conditions: Condition<T>[] | undefined,
  type: NoInfer<T>,
): Condition<T>[] {
  return (conditions ?? []).filter((c) => c.type !== type);
}

/** Exponential backoff for sync retries: duration × factor^attempt, capped. Durations like `5s`, `2m`. */
export function retryDelayMs(
  attempt: number,
  backoff: { duration?: string; factor?: number; maxDuration?: string } = {},
): number {
  const base = parseDuration(backoff.duration ?? '5s');
  const max = parseDuration(backoff.maxDuration ?? '3m');
  return Math.min(max, base * Math.pow(backoff.factor ?? 2, attempt));
}

/**
 * How long a failed operation's retry must still wait (0: none waits). The backoff runs from when
 * the operation ended, so an app woken earlier by its objects' events does not retry sooner.
 */
export function retryWaitOf(
  op: { phase?: string; finishedAt?: string; retryCount?: number } | undefined,
  backoff: { duration?: string; factor?: number; maxDuration?: string } | undefined,
  now: number,
): number {
  if (op?.phase !== 'Failed' || !op.finishedAt) return 0;
  const ended = Date.parse(op.finishedAt);
  if (Number.isNaN(ended)) return 0;
  return Math.max(0, ended + retryDelayMs(op.retryCount ?? 0, backoff) - now);
}

/** Parses Go-style durations (`300ms`, `5s`, `2m`, `1h30m`); throws on anything else. */
export function parseDuration(s: string): number {
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;
  let total = 0;
  let consumed = 0;
  for (const m of s.matchAll(re)) {
    const n = Number(m[1]);
    const unit = m[2];
    total += n * (unit === 'ms' ? 1 : unit === 's' ? 1000 : unit === 'm' ? 60_000 : 3_600_000);
    consumed += m[0].length;
  }
  if (consumed !== s.length || consumed === 0)
    throw new Error(`invalid duration "${s}" (expected e.g. 5s, 2m, 1h)`);
  return total;
}

/**
 * What status.sync says when a stage before (or at) the comparison failed: the source, the render,
 * the destination or the project check. Nothing was compared with what Git says now, so the app is
 * Unknown — never the last Synced, which described an older revision or a cluster that could no
 * longer be read. `revision` is the one it tried to compare with, when the source resolved one.
 */
export function syncStatusAfterFailure(revision: string | undefined): NonNullable<ApplicationStatus['sync']> {
  return { status: 'Unknown', ...(revision ? { revision } : {}) };
}

/**
 * Health when a stage failed: a destination that cannot be reached (or read for the comparison)
 * has Unknown health; other failures (source, render, project) leave the last observed health,
 * which is about the cluster and still the latest known.
 */
export function healthAfterFailure(
  stage: string,
  previous: ApplicationStatus['health'],
  message: string,
): ApplicationStatus['health'] {
  if (stage === 'DestinationFailed' || stage === 'ComparisonError')
    return { status: 'Unknown', message: capText(message, 500) };
  return previous;
}

/**
 * The operation state written before a sync starts, so that while it runs status says what is
 * happening (Running, to this revision) instead of the last operation's result.
 */
export function runningOperation(revision: string, startedAt: string, retryCount: number): OperationState {
  return {
    phase: 'Running',
    message: `syncing to ${revision.slice(0, 12)}`,
    startedAt,
    revision,
    retryCount,
  };
}

/** Limits of a status write: etcd refuses requests over ~1.5 MiB and the spec shares the object. */
export interface StatusLimits {
  /** Serialised status size aimed for; detail is dropped, step by step, until it fits. */
  maxBytes: number;
  /** Entries of status.resources and of operationState.resources. */
  maxResources: number;
  /** Characters of any one message or diff. */
  maxMessage: number;
  maxDiff: number;
  /** History entries, whatever revisionHistoryLimit says. */
  maxHistory: number;
  /** Policy findings. */
  maxPolicy: number;
}

export const DEFAULT_STATUS_LIMITS: StatusLimits = {
  maxBytes: 512 * 1024,
  maxResources: 1000,
  maxMessage: 2000,
  maxDiff: 4000,
  maxHistory: 100,
  maxPolicy: 200,
};

/**
 * A copy of `status` that fits a status write. Lists keep what needs attention first (OutOfSync or
 * unhealthy resources, failed operation entries) with `resourceSummary` counting everything and
 * saying `truncated`; messages are capped. If it is still too large, detail goes in this order —
 * diffs, most resource entries, all resource entries and policy findings, then the oldest history
 * entries — so history (what rollback needs) is the last thing to shrink and the write never fails
 * for size. The full per-object list is the app's inventory in the destination cluster.
 */
export function boundStatus(
  status: ApplicationStatus,
  limits: StatusLimits = DEFAULT_STATUS_LIMITS,
): ApplicationStatus {
  const s: ApplicationStatus = structuredClone(status);
  const all = s.resources ?? [];
  // A status bounded before (an agent's, re-bounded by the hub) keeps the counts it was cut from.
  const prior = s.resourceSummary?.truncated ? { ...s.resourceSummary } : undefined;
  if (s.resources) {
    const attention = (r: ResourceStatus): boolean =>
      r.status !== 'Synced' ||
      (!!r.health && r.health.status !== 'Healthy' && r.health.status !== 'Suspended');
    s.resourceSummary = prior ?? {
      total: all.length,
      outOfSync: all.filter((r) => r.status !== 'Synced').length,
      unhealthy: all.filter(
        (r) => r.health && r.health.status !== 'Healthy' && r.health.status !== 'Suspended',
      ).length,
      truncated: false,
    };
    s.resources = keepFirst(all, attention, limits.maxResources).map((r) => capResource(r, limits));
    s.resourceSummary.truncated = !!prior || s.resources.length < all.length;
  }
  const op = s.operationState;
  const opTotal = op?.resourceCount ?? op?.resources?.length ?? 0;
  if (op) {
    op.message = capText(op.message, limits.maxMessage);
    if (op.resources) {
      op.resources = keepFirst(op.resources, (r) => r.action === 'failed', limits.maxResources).map((r) =>
        r.message ? { ...r, message: capText(r.message, limits.maxMessage) } : r,
      );
    }
  }
  if (s.health?.message) s.health = { ...s.health, message: capText(s.health.message, limits.maxMessage) };
  s.conditions = s.conditions?.map((c) => ({ ...c, message: capText(c.message, limits.maxMessage) }));
  if (s.history && s.history.length > limits.maxHistory) s.history = s.history.slice(-limits.maxHistory);
  s.history = s.history?.map((h) => (h.message ? { ...h, message: capText(h.message, 500) } : h));
  if (s.policy && s.policy.length > limits.maxPolicy) s.policy = s.policy.slice(0, limits.maxPolicy);

  // Fallbacks, least valuable detail first.
  const fits = (): boolean => statusBytes(s) <= limits.maxBytes;
  const steps: (() => void)[] = [
    () => {
      s.resources = s.resources?.map(({ diff: _diff, ...r }) => r);
    },
    () => {
      const few = Math.max(1, Math.floor(limits.maxResources / 10));
      if (s.resources) s.resources = s.resources.slice(0, few);
      if (op?.resources) op.resources = op.resources.slice(0, few);
    },
    () => {
      delete s.resources;
      if (op) delete op.resources;
      delete s.policy;
      s.conditions = s.conditions?.map((c) => ({ ...c, message: capText(c.message, 200) }));
      if (op) op.message = capText(op.message, 200);
    },
  ];
  for (const step of steps) {
    if (fits()) break;
    step();
  }
  if (s.resourceSummary) s.resourceSummary.truncated = !!prior || (s.resources?.length ?? 0) < all.length;
  if (op && (op.resources?.length ?? 0) < opTotal) op.resourceCount = opTotal;
  // Last resort: the oldest history entries, keeping at least the newest one.
  while (!fits() && s.history && s.history.length > 1) s.history = s.history.slice(1);
  return s;
}

/** Bytes of the status as it is sent. */
export function statusBytes(status: unknown): number {
  return Buffer.byteLength(JSON.stringify(status));
}

/** Up to `max` items, those matching `first` before the rest, each group in its original order. */
function keepFirst<T>(items: T[], first: (t: T) => boolean, max: number): T[] {
  if (items.length <= max) return items;
  return [...items.filter(first), ...items.filter((t) => !first(t))].slice(0, max);
}

function capResource(r: ResourceStatus, limits: StatusLimits): ResourceStatus {
  return {
    ...r,
    ...(r.health?.message
      ? { health: { ...r.health, message: capText(r.health.message, limits.maxMessage) } }
      : {}),
    ...(r.diff ? { diff: capText(r.diff, limits.maxDiff) } : {}),
  };
}

/** `s` cut to `max` characters, marked as cut. */
export function capText(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, max - 20)}... (${s.length - max + 20} more)` : s;
}

/**
 * How long a reconcile that found everything as it was may leave `reconciledAt` alone. A status
 * write per poll (the whole status: resources, history) was most of what a quiet fleet cost the
 * hub and the apiserver, and each one woke every watcher of the Application for nothing.
 */
export const RECONCILED_AT_REFRESH_MS = 10 * 60_000;

/**
 * True when writing `next` would change nothing but `reconciledAt`, and the stored one is younger
 * than RECONCILED_AT_REFRESH_MS at `nowMs`: the write can be skipped. Both are compared as JSON
 * (a member set to undefined is no member), `next` as it would be written (bounded).
 */
export function onlyReconciledAtMoved(
  stored: ApplicationStatus | undefined,
  next: ApplicationStatus,
  nowMs: number,
): boolean {
  const at = stored?.reconciledAt ? Date.parse(stored.reconciledAt) : NaN;
  if (!stored || !Number.isFinite(at) || nowMs - at >= RECONCILED_AT_REFRESH_MS || nowMs < at) return false;
  const plain = (s: ApplicationStatus): unknown => {
    const copy = JSON.parse(JSON.stringify(s)) as ApplicationStatus;
    delete copy.reconciledAt;
    return copy;
  };
  return isDeepStrictEqual(plain(stored), plain(next));
}
