import { describe, expect, it } from 'vitest';
import type { Application } from '../../api/application.js';
import { currentCopy } from './app-read.js';

const app = (rv?: string): Application =>
  ({
    apiVersion: 'gitfleet.dev/v1alpha1',
    kind: 'Application',
    metadata: { name: 'a', namespace: 'apps', ...(rv ? { resourceVersion: rv } : {}) },
    spec: { destination: { name: 'in-cluster' } },
    status: { operationState: { phase: 'Running' } },
  }) as unknown as Application;

describe('currentCopy (the reconcile reads its Application from the cache only when it is current)', () => {
  it('uses the cached copy when its resourceVersion is the one the last status write answered', () => {
    const cached = app('42');
    const copy = currentCopy(cached, '42');
    expect(copy).toEqual(cached);
    // A copy: the stages edit the app in place, the cache must not change.
    expect(copy).not.toBe(cached);
    (copy as Application).spec.destination = { name: 'changed' };
    expect(cached.spec.destination).toEqual({ name: 'in-cluster' });
  });

  it.each([
    ['nothing was written yet', app('42'), undefined],
    ['the object changed since the write (spec, annotation, another writer)', app('43'), '42'],
    ['the cache lags behind the write', app('41'), '42'],
    ['the cache holds no copy', undefined, '42'],
    ['the copy has no resourceVersion', app(), '42'],
  ])('reads the object when %s', (_why, cached, written) => {
    expect(currentCopy(cached, written)).toBeUndefined();
  });
});
