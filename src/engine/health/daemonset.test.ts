import { describe, expect, it } from 'vitest';
import { daemonSetHealth } from './daemonset.js';
import { makeObject, type FixtureParts } from './fixtures.js';

const ds = (parts: FixtureParts) =>
  daemonSetHealth(makeObject('apps/v1', 'DaemonSet', { metadata: { generation: 1 }, ...parts }));

const done = {
  observedGeneration: 1,
  desiredNumberScheduled: 4,
  updatedNumberScheduled: 4,
  numberAvailable: 4,
};

describe('daemonSetHealth', () => {
  it('is Healthy when every scheduled pod is updated and available', () => {
    expect(ds({ status: done })).toEqual({ status: 'Healthy' });
  });

  it('is Healthy when it matches no node', () => {
    expect(ds({ status: { observedGeneration: 1, desiredNumberScheduled: 0 } }).status).toBe('Healthy');
  });

  it('is Progressing until the current generation is observed', () => {
    expect(ds({ status: { ...done, observedGeneration: 0 } }).message).toContain(
      'waiting for rollout to be observed',
    );
  });

  it('is Progressing while pods are not updated', () => {
    expect(ds({ status: { ...done, updatedNumberScheduled: 3 } })).toEqual({
      status: 'Progressing',
      message: 'DaemonSet rollout: 3 of 4 pods have been updated',
    });
  });

  it('is Progressing while updated pods are not available', () => {
    expect(ds({ status: { ...done, numberAvailable: 2 } })).toEqual({
      status: 'Progressing',
      message: 'DaemonSet rollout: 2 of 4 updated pods are available',
    });
  });

  it('is Healthy with OnDelete once observed', () => {
    const spec = { updateStrategy: { type: 'OnDelete' } };
    expect(ds({ spec, status: { ...done, updatedNumberScheduled: 1 } }).status).toBe('Healthy');
  });
});
