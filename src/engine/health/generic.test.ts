import { describe, expect, it } from 'vitest';
import { cond, makeObject, type FixtureParts } from './fixtures.js';
import { genericHealth } from './generic.js';

const cr = (parts: FixtureParts) => genericHealth(makeObject('example.com/v1', 'Widget', parts));
const observed = (...conditions: Record<string, unknown>[]): FixtureParts => ({
  metadata: { generation: 3 },
  status: { observedGeneration: 3, conditions },
});

describe('genericHealth', () => {
  it('has no health without conditions', () => {
    expect(cr({})).toBeUndefined();
    expect(cr({ status: { phase: 'Running' } })).toBeUndefined();
    expect(cr({ status: { conditions: [] } })).toBeUndefined();
  });

  it('has no health when no condition is one it understands', () => {
    expect(cr(observed(cond('Synced', 'True')))).toBeUndefined();
  });

  it('is Healthy when Ready=True', () => {
    expect(cr(observed(cond('Ready', 'True', 'Succeeded')))).toEqual({ status: 'Healthy' });
  });

  it('is Progressing when Ready=Unknown', () => {
    expect(cr(observed(cond('Ready', 'Unknown', 'Progressing')))?.status).toBe('Progressing');
  });

  it('is Degraded when Ready=False for the observed generation', () => {
    expect(cr(observed(cond('Ready', 'False', 'BuildFailed', 'kustomize build failed')))).toEqual({
      status: 'Degraded',
      message: 'Ready=False (BuildFailed): kustomize build failed',
    });
  });

  it('takes the observed generation from the Ready condition when status has none', () => {
    const ready = { ...cond('Ready', 'False', 'IssuerNotFound'), observedGeneration: 3 };
    expect(cr({ metadata: { generation: 3 }, status: { conditions: [ready] } })?.status).toBe('Degraded');
  });

  it('is Progressing when Ready=False cannot be tied to the current generation', () => {
    expect(
      cr({ metadata: { generation: 3 }, status: { conditions: [cond('Ready', 'False', 'BuildFailed')] } })
        ?.status,
    ).toBe('Progressing');
  });

  it('is Progressing when Ready=False with a "still working" reason', () => {
    expect(cr(observed(cond('Ready', 'False', 'DependencyNotReady')))?.status).toBe('Progressing');
  });

  it('is Progressing while the observed generation lags', () => {
    const result = cr({
      metadata: { generation: 4 },
      status: { observedGeneration: 3, conditions: [cond('Ready', 'True')] },
    });
    expect(result).toEqual({
      status: 'Progressing',
      message: 'Widget: waiting for generation 4 to be observed (observed 3)',
    });
  });

  it('is Progressing when Reconciling=True', () => {
    expect(cr(observed(cond('Reconciling', 'True', 'Progressing'), cond('Ready', 'True')))?.status).toBe(
      'Progressing',
    );
  });

  it('is Degraded when Stalled=True, even if Ready=True', () => {
    expect(
      cr(observed(cond('Stalled', 'True', 'InvalidPath', 'path not found'), cond('Ready', 'True'))),
    ).toEqual({
      status: 'Degraded',
      message: 'Stalled=True (InvalidPath): path not found',
    });
  });

  it('ignores Reconciling and Stalled when False', () => {
    expect(
      cr(observed(cond('Reconciling', 'False'), cond('Stalled', 'False'), cond('Ready', 'True')))?.status,
    ).toBe('Healthy');
  });
});
