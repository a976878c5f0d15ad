import { describe, expect, it } from 'vitest';
import { deploymentHealth } from './deployment.js';
import { cond, makeObject, type FixtureParts } from './fixtures.js';

const deployment = (parts: FixtureParts) =>
  deploymentHealth(makeObject('apps/v1', 'Deployment', { metadata: { generation: 2 }, ...parts }));

const rolledOut = { observedGeneration: 2, replicas: 3, updatedReplicas: 3, availableReplicas: 3 };

describe('deploymentHealth', () => {
  it('is Healthy when every desired replica is updated and available', () => {
    expect(deployment({ spec: { replicas: 3 }, status: rolledOut })).toEqual({ status: 'Healthy' });
  });

  it('defaults spec.replicas to 1', () => {
    const status = { observedGeneration: 2 };
    expect(deployment({ spec: {}, status })).toEqual({
      status: 'Progressing',
      message: 'Deployment rollout: 0 of 1 replicas have been updated',
    });
  });

  it('is Healthy when scaled to zero', () => {
    expect(deployment({ spec: { replicas: 0 }, status: { observedGeneration: 2 } }).status).toBe('Healthy');
  });

  it('is Suspended when paused, even before the spec is observed', () => {
    expect(deployment({ spec: { paused: true }, status: { observedGeneration: 1 } })).toEqual({
      status: 'Suspended',
      message: 'Deployment is paused',
    });
  });

  it('is Progressing until the controller observes the current generation', () => {
    const result = deployment({ spec: { replicas: 3 }, status: { ...rolledOut, observedGeneration: 1 } });
    expect(result.status).toBe('Progressing');
    expect(result.message).toContain('waiting for rollout to be observed');
  });

  it('treats a missing status as not observed', () => {
    expect(deployment({ spec: { replicas: 3 } }).message).toContain('observed generation 0 of 2');
  });

  it('is Degraded when the rollout exceeded its progress deadline', () => {
    const status = {
      ...rolledOut,
      updatedReplicas: 1,
      conditions: [
        cond('Progressing', 'False', 'ProgressDeadlineExceeded', 'ReplicaSet "web-1" has timed out'),
      ],
    };
    expect(deployment({ spec: { replicas: 3 }, status })).toEqual({
      status: 'Degraded',
      message: 'ReplicaSet "web-1" has timed out',
    });
  });

  it('is Progressing while not every replica is updated', () => {
    expect(deployment({ spec: { replicas: 3 }, status: { ...rolledOut, updatedReplicas: 1 } })).toEqual({
      status: 'Progressing',
      message: 'Deployment rollout: 1 of 3 replicas have been updated',
    });
  });

  it('is Progressing while old replicas are still terminating', () => {
    expect(deployment({ spec: { replicas: 3 }, status: { ...rolledOut, replicas: 5 } })).toEqual({
      status: 'Progressing',
      message: 'Deployment rollout: 2 old replicas are pending termination',
    });
  });

  it('is Progressing while updated replicas are not yet available', () => {
    expect(deployment({ spec: { replicas: 3 }, status: { ...rolledOut, availableReplicas: 1 } })).toEqual({
      status: 'Progressing',
      message: 'Deployment rollout: 1 of 3 updated replicas are available',
    });
  });

  it('ignores a Progressing condition with a healthy reason', () => {
    const status = { ...rolledOut, conditions: [cond('Progressing', 'True', 'NewReplicaSetAvailable')] };
    expect(deployment({ spec: { replicas: 3 }, status }).status).toBe('Healthy');
  });
});
