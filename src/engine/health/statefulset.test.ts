import { describe, expect, it } from 'vitest';
import { makeObject, type FixtureParts } from './fixtures.js';
import { statefulSetHealth } from './statefulset.js';

const sts = (parts: FixtureParts) =>
  statefulSetHealth(makeObject('apps/v1', 'StatefulSet', { metadata: { generation: 4 }, ...parts }));

const done = {
  observedGeneration: 4,
  replicas: 3,
  readyReplicas: 3,
  updatedReplicas: 3,
  currentRevision: 'db-2',
  updateRevision: 'db-2',
};

describe('statefulSetHealth', () => {
  it('is Healthy when all replicas are ready at the update revision', () => {
    expect(sts({ spec: { replicas: 3 }, status: done })).toEqual({ status: 'Healthy' });
  });

  it('is Progressing until the controller observes the current generation', () => {
    const result = sts({ spec: { replicas: 3 }, status: { ...done, observedGeneration: 3 } });
    expect(result.status).toBe('Progressing');
    expect(result.message).toContain('waiting for rollout to be observed');
  });

  it('is Progressing while replicas are not ready', () => {
    expect(sts({ spec: { replicas: 3 }, status: { ...done, readyReplicas: 2 } })).toEqual({
      status: 'Progressing',
      message: 'StatefulSet rollout: 2 of 3 replicas are ready',
    });
  });

  it('is Progressing while the current revision lags the update revision', () => {
    const status = { ...done, updatedReplicas: 1, currentRevision: 'db-1' };
    expect(sts({ spec: { replicas: 3 }, status })).toEqual({
      status: 'Progressing',
      message: 'StatefulSet rollout: 1 of 3 replicas at revision db-2',
    });
  });

  it('is Healthy with OnDelete once observed, whatever the revisions', () => {
    const spec = { replicas: 3, updateStrategy: { type: 'OnDelete' } };
    const status = { ...done, readyReplicas: 1, currentRevision: 'db-1' };
    expect(sts({ spec, status }).status).toBe('Healthy');
    expect(sts({ spec, status: { ...status, observedGeneration: 3 } }).status).toBe('Progressing');
  });

  describe('partitioned rolling update', () => {
    const spec = { replicas: 5, updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 3 } } };
    const partial = { ...done, replicas: 5, readyReplicas: 5, currentRevision: 'db-1' };

    it('is Progressing until the ordinals above the partition are updated', () => {
      expect(sts({ spec, status: { ...partial, updatedReplicas: 1 } })).toEqual({
        status: 'Progressing',
        message: 'StatefulSet partitioned rollout: 1 of 2 replicas have been updated',
      });
    });

    it('is Healthy once they are, though revisions still differ', () => {
      expect(sts({ spec, status: { ...partial, updatedReplicas: 2 } }).status).toBe('Healthy');
    });
  });
});
