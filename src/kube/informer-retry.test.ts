import { describe, expect, it } from 'vitest';
import { KubeApiError } from './errors.js';
import { RetryDelay } from './informer.js';

const initializing = new KubeApiError('GET /apis/gitfleet.dev/v1alpha1/clusters', 503, {
  kind: 'Status',
  status: 'Failure',
  reason: 'ServiceUnavailable',
  message: 'storage is (re)initializing',
  code: 503,
});
const unavailable = new KubeApiError('GET /api/v1/configmaps', 503, undefined);
const forbidden = new KubeApiError('GET /api/v1/secrets', 403, undefined);

describe('RetryDelay', () => {
  it('doubles from 100 ms up to 30 s on failures', () => {
    const r = new RetryDelay();
    const waits = Array.from({ length: 11 }, () => r.next(forbidden, 0));
    expect(waits).toEqual([100, 200, 400, 800, 1600, 3200, 6400, 12800, 25600, 30000, 30000]);
  });

  it('retries a new kind whose storage is initializing every 200 ms, for up to 10 s', () => {
    const r = new RetryDelay();
    expect([0, 200, 400, 9_800].map((t) => r.next(initializing, t))).toEqual([200, 200, 200, 200]);
    // Past its patience it backs off like any failure.
    expect([10_000, 10_100, 10_300].map((t) => r.next(initializing, t))).toEqual([100, 200, 400]);
  });

  it('backs off on other 503 answers, and starts over after a success', () => {
    const r = new RetryDelay();
    expect([r.next(unavailable, 0), r.next(unavailable, 0), r.next(unavailable, 0)]).toEqual([100, 200, 400]);
    r.reset();
    expect(r.next(unavailable, 0)).toBe(100);
    expect(r.next(initializing, 50_000)).toBe(200);
  });
});
