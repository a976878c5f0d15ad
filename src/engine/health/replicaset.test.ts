import { describe, expect, it } from 'vitest';
import { cond, makeObject, type FixtureParts } from './fixtures.js';
import { replicaSetHealth } from './replicaset.js';

const rs = (parts: FixtureParts) =>
  replicaSetHealth(makeObject('apps/v1', 'ReplicaSet', { metadata: { generation: 1 }, ...parts }));

describe('replicaSetHealth', () => {
  it('is Healthy when all desired replicas are available', () => {
    expect(rs({ spec: { replicas: 2 }, status: { observedGeneration: 1, availableReplicas: 2 } })).toEqual({
      status: 'Healthy',
    });
  });

  it('is Progressing while replicas are unavailable (spec.replicas defaults to 1)', () => {
    expect(rs({ spec: {}, status: { observedGeneration: 1 } })).toEqual({
      status: 'Progressing',
      message: 'ReplicaSet: 0 of 1 replicas are available',
    });
  });

  it('is Progressing until the current generation is observed', () => {
    const result = rs({ spec: { replicas: 1 }, status: { availableReplicas: 1 } });
    expect(result.message).toContain('waiting for rollout to be observed');
  });

  it('is Degraded when pods cannot be created', () => {
    const status = {
      observedGeneration: 1,
      conditions: [cond('ReplicaFailure', 'True', 'FailedCreate', 'exceeded quota: compute')],
    };
    expect(rs({ spec: { replicas: 2 }, status })).toEqual({
      status: 'Degraded',
      message: 'exceeded quota: compute',
    });
  });

  it('ignores a ReplicaFailure condition that is False', () => {
    const status = {
      observedGeneration: 1,
      availableReplicas: 1,
      conditions: [cond('ReplicaFailure', 'False')],
    };
    expect(rs({ spec: { replicas: 1 }, status }).status).toBe('Healthy');
  });
});
