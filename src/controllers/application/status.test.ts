import { describe, expect, it } from 'vitest';
import type { ApplicationStatus, HistoryEntry, ResourceStatus } from '../../api/application.js';
import {
  boundStatus,
  onlyReconciledAtMoved,
  RECONCILED_AT_REFRESH_MS,
  DEFAULT_STATUS_LIMITS,
  healthAfterFailure,
  parseDuration,
  retryDelayMs,
  retryWaitOf,
  runningOperation,
  setCondition,
  statusBytes,
  syncStatusAfterFailure,
} from './status.js';

/** etcd's default request limit (--max-request-bytes), which a status write must stay under. */
const ETCD_LIMIT = 1.5 * 1024 * 1024;

function bigStatus(n: number): ApplicationStatus {
  const resources: ResourceStatus[] = Array.from({ length: n }, (_, i) => ({
    group: 'apps',
    version: 'v1',
    kind: 'Deployment',
    namespace: `team-namespace-${i % 50}`,
    name: `service-with-a-fairly-long-name-${i}`,
    status: i % 1000 === 7 ? 'OutOfSync' : 'Synced',
    health: i % 1000 === 9 ? { status: 'Degraded', message: 'x'.repeat(300) } : { status: 'Healthy' },
    ...(i % 1000 === 7 ? { diff: `~ spec.replicas: 1 -> 2\n${'y'.repeat(3000)}` } : {}),
  }));
  const history: HistoryEntry[] = Array.from({ length: 10 }, (_, id) => ({
    id,
    revision: `${id}`.padStart(40, 'a'),
    deployedAt: '2024-01-01T00:00:00Z',
    source: { repoURL: 'http://git/repo.git', path: 'app' },
    message: 'a commit',
  }));
  return {
    sync: { status: 'OutOfSync', revision: 'a'.repeat(40) },
    health: { status: 'Degraded' },
    resources,
    history,
    operationState: {
      phase: 'Failed',
      message: 'z'.repeat(100_000),
      startedAt: 't',
      resources: resources.map((r, i) => ({
        kind: r.kind,
        namespace: r.namespace,
        name: r.name,
        action: i === n - 1 ? 'failed' : 'unchanged',
        ...(i === n - 1 ? { message: 'the last one failed' } : {}),
      })),
    },
  };
}

describe('status helpers', () => {
  it('keeps lastTransitionTime while a condition keeps its status', () => {
    const a = setCondition(
      undefined,
      { type: 'SyncError', status: 'True', reason: 'Synced', message: 'ok' },
      't1',
    );
    const b = setCondition(
      a,
      { type: 'SyncError', status: 'True', reason: 'Synced', message: 'still ok' },
      't2',
    );
    const c = setCondition(b, { type: 'SyncError', status: 'False', reason: 'Failed', message: 'no' }, 't3');
    expect(b[0]?.lastTransitionTime).toBe('t1');
    expect(b[0]?.message).toBe('still ok');
    expect(c[0]?.lastTransitionTime).toBe('t3');
    expect(c).toHaveLength(1);
  });

  it('parses durations and grows retry delays exponentially up to the cap', () => {
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('300ms')).toBe(300);
    expect(() => parseDuration('5 minutes')).toThrow(/invalid duration/);
    expect(
      [0, 1, 2, 3].map((n) => retryDelayMs(n, { duration: '1s', factor: 2, maxDuration: '5s' })),
    ).toEqual([1000, 2000, 4000, 5000]);
  });

  it('never calls an app Synced when the source, render, destination or comparison failed', () => {
    expect(syncStatusAfterFailure(undefined)).toEqual({ status: 'Unknown' });
    expect(syncStatusAfterFailure('abc123')).toEqual({ status: 'Unknown', revision: 'abc123' });
    const healthy = { status: 'Healthy' as const };
    expect(healthAfterFailure('SourceFailed', healthy, 'git down')).toEqual(healthy);
    expect(healthAfterFailure('DestinationFailed', healthy, 'cannot reach')).toEqual({
      status: 'Unknown',
      message: 'cannot reach',
    });
    expect(healthAfterFailure('ComparisonError', healthy, 'timeout')?.status).toBe('Unknown');
    const op = runningOperation('0123456789abcdef0123', 't0', 2);
    expect(op).toMatchObject({ phase: 'Running', revision: '0123456789abcdef0123', retryCount: 2 });
    expect(op.finishedAt).toBeUndefined();
  });
});

describe('boundStatus', () => {
  it('fits a 10,000-object app under the etcd limit, keeping history and what needs attention', () => {
    const raw = bigStatus(10_000);
    expect(statusBytes(raw)).toBeGreaterThan(ETCD_LIMIT);
    const b = boundStatus(raw);
    expect(statusBytes(b)).toBeLessThanOrEqual(DEFAULT_STATUS_LIMITS.maxBytes);
    expect(b.history).toEqual(raw.history);
    expect(b.resourceSummary).toEqual({ total: 10_000, outOfSync: 10, unhealthy: 10, truncated: true });
    // OutOfSync and unhealthy objects come first, whatever was dropped.
    const kept = b.resources ?? [];
    expect(kept.length).toBeGreaterThanOrEqual(20);
    expect(kept.slice(0, 20).every((r) => r.status === 'OutOfSync' || r.health?.status === 'Degraded')).toBe(
      true,
    );
    expect(b.operationState?.resourceCount).toBe(10_000);
    expect(b.operationState?.resources?.[0]).toMatchObject({
      action: 'failed',
      message: 'the last one failed',
    });
    expect(b.operationState?.message.length).toBeLessThanOrEqual(DEFAULT_STATUS_LIMITS.maxMessage);
    // The input is not touched.
    expect(raw.resources).toHaveLength(10_000);
  });

  it('bounds a bounded status to itself, so the hub re-bounding an agent report keeps its counts', () => {
    for (const n of [10_000, 1_500, 30]) {
      const once = boundStatus(bigStatus(n));
      expect(boundStatus(once)).toEqual(once);
    }
    expect(boundStatus(boundStatus(bigStatus(10_000))).resourceSummary?.total).toBe(10_000);
  });

  it('leaves a small status whole, counting its resources', () => {
    const raw = bigStatus(30);
    const b = boundStatus(raw);
    expect(b.resources).toEqual(raw.resources);
    expect(b.resourceSummary).toEqual({ total: 30, outOfSync: 1, unhealthy: 1, truncated: false });
    expect(b.operationState?.resources).toHaveLength(30);
    expect(b.operationState?.resourceCount).toBeUndefined();
  });

  it('drops detail before history, and the oldest history only as a last resort', () => {
    const raw = bigStatus(2000);
    const b = boundStatus(raw, { ...DEFAULT_STATUS_LIMITS, maxBytes: 6000 });
    expect(statusBytes(b)).toBeLessThanOrEqual(6000);
    expect(b.resources).toBeUndefined();
    expect(b.resourceSummary?.truncated).toBe(true);
    expect(b.history).toEqual(raw.history);
    const tiny = boundStatus(raw, { ...DEFAULT_STATUS_LIMITS, maxBytes: 1500 });
    expect(tiny.history?.length).toBeGreaterThanOrEqual(1);
    expect(tiny.history?.at(-1)).toEqual(raw.history?.at(-1));
    expect((tiny.history?.length ?? 0) < (raw.history?.length ?? 0)).toBe(true);
  });

  it('caps history at maxHistory whatever revisionHistoryLimit said', () => {
    const raw = bigStatus(1);
    raw.history = Array.from({ length: 500 }, (_, id) => ({
      id,
      revision: 'r',
      deployedAt: 't',
      source: { repoURL: 'u' },
    }));
    const b = boundStatus(raw);
    expect(b.history).toHaveLength(DEFAULT_STATUS_LIMITS.maxHistory);
    expect(b.history?.at(-1)?.id).toBe(499);
  });
});

describe('retryWaitOf', () => {
  const ended = Date.parse('2026-01-01T00:00:00Z');
  const failed = { phase: 'Failed', finishedAt: '2026-01-01T00:00:00Z', retryCount: 1 };
  it.each([
    ['2 s after the first retry ended: 10 s backoff (5 s × 2), 8 s left', failed, ended + 2_000, 8_000],
    ['after the backoff: none', failed, ended + 11_000, 0],
    ['a succeeded operation: none', { ...failed, phase: 'Succeeded' }, ended, 0],
    ['no end time: none', { phase: 'Failed' }, ended, 0],
  ])('%s', (_name, op, now, want) => {
    expect(retryWaitOf(op, undefined, now)).toBe(want);
  });
});

describe('onlyReconciledAtMoved: a poll that changed nothing writes nothing', () => {
  const t = Date.parse('2026-12-02T10:00:00Z');
  const stored: ApplicationStatus = {
    sync: { status: 'Synced', revision: 'abc' },
    health: { status: 'Healthy' },
    reconciledAt: new Date(t).toISOString(),
  };
  const next = (over: Partial<ApplicationStatus> = {}): ApplicationStatus => ({
    // Another key order and an undefined member: the same status as JSON.
    health: { status: 'Healthy', message: undefined },
    sync: { revision: 'abc', status: 'Synced' },
    reconciledAt: new Date(t + 60_000).toISOString(),
    ...over,
  });

  it('skips a write that only moves reconciledAt, within the refresh period', () => {
    expect(onlyReconciledAtMoved(stored, next(), t + 60_000)).toBe(true);
  });

  it('writes when anything else changed', () => {
    expect(onlyReconciledAtMoved(stored, next({ sync: { status: 'Synced', revision: 'def' } }), t + 1)).toBe(
      false,
    );
    expect(onlyReconciledAtMoved(stored, next({ health: { status: 'Degraded' } }), t + 1)).toBe(false);
  });

  it('writes when the stored reconciledAt is old, missing, unreadable or in the future', () => {
    expect(onlyReconciledAtMoved(stored, next(), t + RECONCILED_AT_REFRESH_MS)).toBe(false);
    expect(onlyReconciledAtMoved({ ...stored, reconciledAt: undefined }, next(), t)).toBe(false);
    expect(onlyReconciledAtMoved({ ...stored, reconciledAt: 'yesterday' }, next(), t)).toBe(false);
    expect(onlyReconciledAtMoved(stored, next(), t - 1000)).toBe(false);
    expect(onlyReconciledAtMoved(undefined, next(), t)).toBe(false);
  });
});
