import { describe, expect, it } from 'vitest';
import type { Application, OperationState } from '../../api/application.js';
import {
  appFingerprint,
  ContinuationCache,
  endedQuiet,
  FULL_LOOK_MS,
  nextLookMs,
  quietEligible,
  quietLook,
  operationRequeueMs,
  rebaseOperation,
  wakeDelayMs,
  WAKE_COALESCE_MS,
  WAKE_SETTLING_SPACING_MS,
  WAKE_SPACING_MS,
  type NextLook,
} from './continuation.js';

const app = (generation: number, annotations: Record<string, string> = {}): Application =>
  ({
    apiVersion: 'gitfleet.dev/v1alpha1',
    kind: 'Application',
    metadata: { name: 'a', namespace: 'n', generation, annotations },
    spec: { source: { repoURL: 'http://git/r', path: '.' }, destination: {} },
  }) as unknown as Application;
const running = (revision: string, waitingSince?: string): OperationState => ({
  phase: 'Running',
  message: '',
  startedAt: new Date(0).toISOString(),
  revision,
  ...(waitingSince ? { step: { index: 1, count: 3, waitingSince } } : {}),
});
const resolved = { sha: 'abc', manifests: [] };

describe('ContinuationCache', () => {
  it('reuses the resolution while the same operation runs on the same Application', () => {
    let t = 0;
    const c = new ContinuationCache(60_000, () => t);
    c.set('n/a', app(1), resolved);
    t = 59_000;
    expect(c.get('n/a', app(1), running('abc'))).toEqual(resolved);
  });

  it.each([
    ['no operation runs', app(1), undefined, 0],
    ['the operation runs at another revision', app(1), running('def'), 0],
    ['the spec changed', app(2), running('abc'), 0],
    ['a sync or refresh was asked (annotation)', app(1, { 'gitfleet.dev/refresh': 'x' }), running('abc'), 0],
    ['the resolution is older than the poll interval', app(1), running('abc'), 61_000],
  ])('resolves again when %s', (_why, a, op, later) => {
    let t = 0;
    const c = new ContinuationCache(60_000, () => t);
    c.set('n/a', app(1), resolved);
    t = later;
    expect(c.get('n/a', a, op)).toBeUndefined();
    expect(c.size).toBe(0);
  });

  it('drops the entry once no operation runs', () => {
    const c = new ContinuationCache(60_000);
    c.set('n/a', app(1), resolved);
    c.keepIf('n/a', true);
    expect(c.size).toBe(1);
    c.keepIf('n/a', false);
    expect(c.size).toBe(0);
  });
});

describe('operationRequeueMs', () => {
  const since = Date.parse('2026-01-01T00:00:00Z');
  const at = (ms: number): OperationState => running('abc', new Date(since - ms + ms).toISOString());
  it('starts at 2 s, grows with the wait, and stops at 30 s', () => {
    expect(operationRequeueMs(at(0), since, 300_000)).toBe(2000);
    expect(operationRequeueMs(at(0), since + 30_000, 300_000)).toBe(10_000);
    expect(operationRequeueMs(at(0), since + 200_000, 300_000)).toBe(30_000);
  });
  it('never sleeps past the health deadline', () => {
    expect(operationRequeueMs(at(0), since + 290_000, 300_000)).toBe(10_100);
    expect(operationRequeueMs(at(0), since + 310_000, 300_000)).toBe(30_000);
  });
  it('is 2 s when nothing is awaited yet', () => {
    expect(operationRequeueMs(running('abc'), since, 300_000)).toBe(2000);
  });
});

describe('nextLookMs: when an app is looked at again if nothing wakes it', () => {
  const t0 = Date.parse('2026-01-01T00:00:00Z');
  const base: NextLook = {
    op: undefined,
    health: 'Healthy',
    watched: true,
    now: t0,
    healthTimeoutMs: 300_000,
    pollIntervalMs: 180_000,
    random: 0.5,
  };
  const progressing = (waitedMs: number, extra: Partial<NextLook> = {}): NextLook => ({
    ...base,
    health: 'Progressing',
    progressingSince: t0 - waitedMs,
    ...extra,
  });
  it.each<[string, NextLook, number]>([
    ['Healthy: the poll interval', base, 180_000],
    ['Healthy, jitter at its low end', { ...base, random: 0 }, 162_000],
    ['Degraded: the poll interval (its objects wake it)', { ...base, health: 'Degraded' }, 180_000],
    ['Progressing, watched, just now: 5 s', progressing(0), 5_000],
    ['Progressing, watched, no start known: 5 s', { ...base, health: 'Progressing' }, 5_000],
    ['Progressing, watched, for 12 s: 12 s', progressing(12_000), 12_000],
    ['Progressing, watched, for 10 min: at most 60 s', progressing(600_000), 60_000],
    [
      'Progressing, watched, short poll: never past the poll',
      progressing(600_000, { pollIntervalMs: 1000 }),
      1000,
    ],
    ['Progressing on an object no watch has listed yet: 2 s', progressing(600_000, { watched: false }), 2000],
    [
      'a running operation: its own backoff',
      { ...base, health: 'Progressing', op: running('abc', new Date(t0 - 30_000).toISOString()) },
      10_000,
    ],
  ])('%s', (_why, n, ms) => {
    expect(nextLookMs(n)).toBe(ms);
  });

  it('a Progressing app watched for a minute costs a handful of fallback looks, not one every 2 s', () => {
    let now = t0;
    let looks = 0;
    while (now < t0 + 60_000) {
      now += nextLookMs(progressing(0, { now, progressingSince: t0 }));
      looks += 1;
    }
    expect(looks).toBeLessThanOrEqual(5);
  });
});

describe('wakeDelayMs: when an owned object changed', () => {
  const now = 1_000_000;
  it.each([
    ['never reconciled in this process', { reconciling: false, now }, WAKE_SPACING_MS],
    [
      'a reconcile is running (its own applies echo back)',
      { reconciling: true, lastEndedAt: now - 10_000, now },
      WAKE_SPACING_MS,
    ],
    [
      'quiet for a while: the first change is looked at almost at once',
      { reconciling: false, lastEndedAt: now - 10_000, now },
      WAKE_COALESCE_MS,
    ],
    [
      'just ended 100 ms ago: spaced from that end',
      { reconciling: false, lastEndedAt: now - 100, now },
      WAKE_SPACING_MS - 100,
    ],
    [
      'ended 480 ms ago: still coalesced, never sooner',
      { reconciling: false, lastEndedAt: now - 480, now },
      WAKE_COALESCE_MS,
    ],
    [
      'settling (Progressing, or an operation runs): spaced by the shorter settling spacing',
      { reconciling: false, lastEndedAt: now - 30, now, settling: true },
      WAKE_SETTLING_SPACING_MS - 30,
    ],
    [
      'settling and a reconcile is running',
      { reconciling: true, lastEndedAt: now - 10_000, now, settling: true },
      WAKE_SETTLING_SPACING_MS,
    ],
    [
      'settling, ended 90 ms ago: coalesced, never sooner',
      { reconciling: false, lastEndedAt: now - 90, now, settling: true },
      WAKE_COALESCE_MS,
    ],
  ])('%s', (_name, w, want) => {
    expect(wakeDelayMs(w)).toBe(want);
  });
});

describe('rebaseOperation: a running operation meets a new commit', () => {
  const op = { phase: 'Running', revision: 'old', startedAt: 't0' } as OperationState;
  it('goes on at the new commit when the render read the same objects at the operation revision', () => {
    expect(rebaseOperation(op, 'new', 'old')).toEqual({ ...op, revision: 'new' });
  });
  it.each([
    ['the render read other objects (or is not known)', op, undefined],
    ['the same objects, but at another revision than the operation', op, 'older'],
    ['no operation runs', { ...op, phase: 'Succeeded' } as OperationState, 'old'],
  ])('is left as it is when %s', (_name, o, rendersAs) => {
    expect(rebaseOperation(o, 'new', rendersAs)).toBe(o);
  });
});

describe('quiet polls: a settled app whose commit did not move stops at the fetch', () => {
  const settled = {
    sync: 'Synced',
    health: 'Healthy',
    operationPhase: 'Succeeded',
    conditions: 0,
    retrying: false,
    waitingForWindow: false,
    watched: true,
  };
  it('records only a look that ended Synced, Healthy, with nothing pending', () => {
    expect(endedQuiet(settled)).toBe(true);
    expect(endedQuiet({ ...settled, sync: 'OutOfSync' })).toBe(false);
    expect(endedQuiet({ ...settled, health: 'Progressing' })).toBe(false);
    expect(endedQuiet({ ...settled, operationPhase: 'Running' })).toBe(false);
    expect(endedQuiet({ ...settled, conditions: 1 })).toBe(false);
    expect(endedQuiet({ ...settled, retrying: true })).toBe(false);
    expect(endedQuiet({ ...settled, waitingForWindow: true })).toBe(false);
    expect(endedQuiet({ ...settled, watched: false })).toBe(false);
  });

  it('stops only at the same commit, the same Application and within FULL_LOOK_MS of the last full look', () => {
    const a = app(3, { x: '1' });
    const r = { fingerprint: appFingerprint(a), sha: 'c1', fullAt: 1_000_000 };
    const at = (sha: string, nowMs: number, of = a) =>
      quietLook(r, { fingerprint: appFingerprint(of), sha, nowMs });
    expect(at('c1', 1_000_000 + 180_000)).toBe(true);
    expect(at('c2', 1_000_000 + 180_000)).toBe(false);
    expect(at('c1', 1_000_000 + FULL_LOOK_MS)).toBe(false);
    expect(at('c1', 1_000_000 - 1)).toBe(false); // a clock set back: look in full
    expect(at('c1', 1_000_100, app(4, { x: '1' }))).toBe(false);
    expect(at('c1', 1_000_100, app(3, { x: '2' }))).toBe(false);
    expect(quietLook(undefined, { fingerprint: appFingerprint(a), sha: 'c1', nowMs: 1_000_100 })).toBe(false);
  });

  it('applies to one Git source alone: no chart, OCI, plugin or second source', () => {
    const a = app(1);
    expect(quietEligible(a)).toBe(true);
    const w = (source: Record<string, unknown>, more: Record<string, unknown> = {}) =>
      ({ ...a, spec: { ...a.spec, source: { ...a.spec.source, ...source }, ...more } }) as Application;
    expect(quietEligible(w({ chart: 'nginx', repoURL: 'https://charts.example' }))).toBe(false);
    expect(quietEligible(w({ repoURL: 'oci://registry.example/charts' }))).toBe(false);
    expect(quietEligible(w({ plugin: { name: 'p' } }))).toBe(false);
    expect(quietEligible(w({}, { sources: [{ repoURL: 'http://git/other' }] }))).toBe(false);
  });
});
