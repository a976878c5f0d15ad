import { describe, expect, it } from 'vitest';
import type { Application, OperationState } from '../../api/application.js';
import { ContinuationCache, operationRequeueMs } from './continuation.js';

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
