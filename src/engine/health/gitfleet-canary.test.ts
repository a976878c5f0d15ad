import { describe, expect, it } from 'vitest';
import { assessHealth } from './assess.js';
import { makeObject } from './fixtures.js';

const canary = (status: Record<string, unknown> | undefined, generation = 1) =>
  assessHealth(
    makeObject('gitfleet.dev/v1alpha1', 'Canary', {
      metadata: { name: 'web', generation },
      spec: {
        targetRef: { name: 'web' },
        strategy: { canary: { steps: [{ setWeight: 20 }, { pause: {} }, { setWeight: 50 }] } },
      },
      ...(status ? { status } : {}),
    }),
  );

describe('gitfleet.dev Canary health', () => {
  it('names the phase, the step and the weight', () => {
    expect(
      canary({
        phase: 'Paused',
        health: 'Suspended',
        currentStep: 1,
        canaryWeight: 20,
        message: 'paused at step 1: waiting for promote',
        observedGeneration: 1,
      }),
    ).toEqual({
      status: 'Suspended',
      message: 'Canary web Paused at step 1/3, weight 20%: paused at step 1: waiting for promote',
    });
  });

  it('takes the health the controller wrote: a rollback is Degraded, a stable canary Healthy', () => {
    const failed = canary({
      phase: 'Failed',
      health: 'Degraded',
      currentStep: 1,
      canaryWeight: 0,
      message: 'rolled back: error-rate 0.23',
      observedGeneration: 1,
    });
    expect(failed?.status).toBe('Degraded');
    expect(failed?.message).toContain('Failed at step 1/3');
    expect(failed?.message).toContain('0.23');
    expect(canary({ phase: 'Succeeded', health: 'Healthy', currentStep: 3, canaryWeight: 0 })).toEqual({
      status: 'Healthy',
    });
  });

  it('is Progressing until the controller has written (or observed) the spec', () => {
    expect(canary(undefined)?.status).toBe('Progressing');
    expect(
      canary(
        { phase: 'Succeeded', health: 'Healthy', currentStep: 0, canaryWeight: 0, observedGeneration: 1 },
        2,
      ),
    ).toEqual({
      status: 'Progressing',
      message: 'Canary web: waiting for the delivery controller to observe generation 2',
    });
  });

  it('blue/green has no steps to name', () => {
    const bg = assessHealth(
      makeObject('gitfleet.dev/v1alpha1', 'Canary', {
        metadata: { name: 'web' },
        spec: { targetRef: { name: 'web' }, strategy: { blueGreen: {} } },
        status: {
          phase: 'Progressing',
          health: 'Progressing',
          currentStep: 0,
          canaryWeight: 0,
          message: 'analysis',
        },
      }),
    );
    expect(bg).toEqual({ status: 'Progressing', message: 'Canary web Progressing: analysis' });
  });
});
