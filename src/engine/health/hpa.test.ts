import { describe, expect, it } from 'vitest';
import { cond, makeObject } from './fixtures.js';
import { hpaHealth } from './hpa.js';

const v2 = (...conditions: Record<string, unknown>[]) =>
  hpaHealth(makeObject('autoscaling/v2', 'HorizontalPodAutoscaler', { status: { conditions } }));

const v1 = (annotation: string) =>
  hpaHealth(
    makeObject('autoscaling/v1', 'HorizontalPodAutoscaler', {
      metadata: { annotations: { 'autoscaling.alpha.kubernetes.io/conditions': annotation } },
      status: { currentReplicas: 1 },
    }),
  );

describe('hpaHealth', () => {
  it('is Healthy when able to scale and scaling is active', () => {
    expect(
      v2(cond('AbleToScale', 'True', 'ReadyForNewScale'), cond('ScalingActive', 'True', 'ValidMetricFound')),
    ).toEqual({
      status: 'Healthy',
    });
  });

  it('is Healthy when scaling is limited by min/max replicas', () => {
    const result = v2(
      cond('AbleToScale', 'True', 'ReadyForNewScale'),
      cond('ScalingActive', 'True', 'ValidMetricFound'),
      cond('ScalingLimited', 'True', 'TooManyReplicas'),
    );
    expect(result.status).toBe('Healthy');
  });

  it('is Healthy during a scale back-off', () => {
    expect(v2(cond('AbleToScale', 'False', 'BackoffBoth'), cond('ScalingActive', 'True')).status).toBe(
      'Healthy',
    );
  });

  it('is Progressing with no conditions yet', () => {
    expect(v2().status).toBe('Progressing');
  });

  it('is Progressing while scaling is not yet active', () => {
    expect(v2(cond('AbleToScale', 'True', 'SucceededGetScale')).status).toBe('Progressing');
  });

  it('is Degraded when metrics cannot be read', () => {
    const result = v2(
      cond('AbleToScale', 'True', 'SucceededGetScale'),
      cond('ScalingActive', 'False', 'FailedGetResourceMetric', 'missing request for cpu'),
    );
    expect(result).toEqual({ status: 'Degraded', message: 'ScalingActive: missing request for cpu' });
  });

  it('is Degraded when the scale target cannot be read', () => {
    expect(v2(cond('AbleToScale', 'False', 'FailedGetScale')).status).toBe('Degraded');
  });

  it('is Suspended when the target is scaled to zero', () => {
    expect(v2(cond('AbleToScale', 'True'), cond('ScalingActive', 'False', 'ScalingDisabled')).status).toBe(
      'Suspended',
    );
  });

  it('reads autoscaling/v1 conditions from the annotation', () => {
    const failing = JSON.stringify([cond('ScalingActive', 'False', 'FailedGetResourceMetric', 'no metrics')]);
    expect(v1(failing)).toEqual({ status: 'Degraded', message: 'ScalingActive: no metrics' });
    expect(v1(JSON.stringify([cond('AbleToScale', 'True'), cond('ScalingActive', 'True')])).status).toBe(
      'Healthy',
    );
  });

  it('treats a garbled v1 annotation as no conditions', () => {
    expect(v1('{not json').status).toBe('Progressing');
  });
});
