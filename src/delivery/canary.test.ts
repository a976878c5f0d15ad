import { describe, expect, it } from 'vitest';
import type { Canary, CanaryStatus } from '../api/delivery.js';
import { canaryReplicas, decide, type DecideInput, type SlotObservation } from './canary.js';

const spec: Canary['spec'] = {
  targetRef: { name: 'web' },
  replicas: 4,
  strategy: {
    canary: {
      steps: [{ setWeight: 20 }, { analysis: { templates: [{ templateName: 't' }] } }, { pause: {} }],
    },
  },
};
const none: SlotObservation = { replicas: 0, ready: 0, current: true };
const ready = (hash: string, n: number): SlotObservation => ({ hash, replicas: n, ready: n, current: true });
const now = new Date('2026-01-01T00:00:00Z');
const input = (over: Partial<DecideInput>): DecideInput => ({
  spec,
  status: undefined,
  generation: 1,
  targetHash: 'h1',
  slots: { blue: none, green: none },
  now,
  ...over,
});
const stable: CanaryStatus = {
  phase: 'Initialized',
  stableSlot: 'blue',
  stableHash: 'h1',
  currentStep: 0,
  canaryWeight: 0,
  health: 'Healthy',
};

describe('canary state machine', () => {
  it('starts the first version as stable in the blue slot, Initialized once ready', () => {
    const d = decide(input({}));
    expect(d.status.phase).toBe('Initializing');
    expect(d.plan.writeTemplate).toEqual(['blue']);
    const d2 = decide(input({ status: d.status, slots: { blue: ready('h1', 4), green: none } }));
    expect(d2.status.phase).toBe('Initialized');
    expect(d2.status.stableSlot).toBe('blue');
  });

  it('walks the steps: weight waits for readiness, analysis is asked for, failure rolls back', () => {
    let d = decide(input({ status: stable, targetHash: 'h2', slots: { blue: ready('h1', 4), green: none } }));
    expect(d.status).toMatchObject({ phase: 'Progressing', canaryHash: 'h2', currentStep: 0 });
    d = decide(input({ status: d.status, targetHash: 'h2', slots: { blue: ready('h1', 4), green: none } }));
    expect(d.status.canaryWeight).toBe(20);
    expect(d.plan.replicas).toEqual({ blue: 4, green: 1 });
    expect(d.plan.writeTemplate).toEqual(['green']);
    expect(d.status.currentStep).toBe(0);
    d = decide(
      input({ status: d.status, targetHash: 'h2', slots: { blue: ready('h1', 4), green: ready('h2', 1) } }),
    );
    expect(d.status.currentStep).toBe(1);
    d = decide(
      input({ status: d.status, targetHash: 'h2', slots: { blue: ready('h1', 4), green: ready('h2', 1) } }),
    );
    expect(d.analysis?.templates[0]?.templateName).toBe('t');
    const failedRun = {
      phase: 'Failed' as const,
      startedAt: now.toISOString(),
      metrics: [
        {
          name: 't/err',
          phase: 'Failed' as const,
          query: 'q',
          count: 1,
          successful: 0,
          failed: 1,
          inconclusive: 0,
          errors: 0,
          consecutiveErrors: 0,
          measurements: [{ value: '[0.3]', verdict: 'Failed' as const, at: now.toISOString() }],
        },
      ],
    };
    d = decide(
      input({
        status: { ...d.status, analysis: failedRun },
        targetHash: 'h2',
        slots: { blue: ready('h1', 4), green: ready('h2', 1) },
      }),
    );
    expect(d.status.phase).toBe('Failed');
    expect(d.status.health).toBe('Degraded');
    expect(d.status.message).toContain('[0.3]');
    expect(d.plan.replicas).toEqual({ blue: 4, green: 0 });
    expect(d.plan.writeTemplate).toEqual([]);
    expect(d.notify.map((n) => n.trigger)).toEqual(['AnalysisFailed', 'RolledBack']);
    // The failed version stays failed (no retry loop) until Git changes or a promote asks.
    const again = decide(
      input({ status: d.status, targetHash: 'h2', slots: { blue: ready('h1', 4), green: none } }),
    );
    expect(again.status.phase).toBe('Failed');
    expect(again.notify).toEqual([]);
  });

  it('pauses without duration until a promote, acts on one request once, and promotes once', () => {
    const base: CanaryStatus = {
      ...stable,
      phase: 'Progressing',
      canaryHash: 'h2',
      currentStep: 2,
      canaryWeight: 20,
    };
    const slots = { blue: ready('h1', 4), green: ready('h2', 1) };
    let d = decide(input({ status: base, targetHash: 'h2', slots }));
    expect(d.status.phase).toBe('Paused');
    expect(d.status.health).toBe('Suspended');
    d = decide(input({ status: d.status, targetHash: 'h2', slots, promote: 'r1' }));
    expect(d.status.currentStep).toBe(3);
    d = decide(input({ status: d.status, targetHash: 'h2', slots, promote: 'r1' }));
    expect(d.status.phase).toBe('Promoting');
    expect(d.plan.replicas.green).toBe(4);
    d = decide(
      input({
        status: d.status,
        targetHash: 'h2',
        slots: { blue: ready('h1', 4), green: ready('h2', 4) },
        promote: 'r1',
      }),
    );
    expect(d.status).toMatchObject({
      phase: 'Succeeded',
      stableSlot: 'green',
      stableHash: 'h2',
      promotions: ['h2'],
    });
    expect(d.notify.map((n) => n.trigger)).toEqual(['CanaryPromoted']);
    expect(d.plan.replicas).toEqual({ blue: 0, green: 4 });
    // Deciding again on the saved status changes nothing and notifies nothing.
    const d2 = decide(
      input({
        status: d.status,
        targetHash: 'h2',
        slots: { blue: ready('h1', 0), green: ready('h2', 4) },
        promote: 'r1',
      }),
    );
    expect(d2.status.promotions).toEqual(['h2']);
    expect(d2.notify).toEqual([]);
  });

  it('aborts back to stable on request', () => {
    const base: CanaryStatus = {
      ...stable,
      phase: 'Progressing',
      canaryHash: 'h2',
      currentStep: 0,
      canaryWeight: 20,
    };
    const d = decide(
      input({
        status: base,
        targetHash: 'h2',
        abort: 'a1',
        slots: { blue: ready('h1', 4), green: ready('h2', 1) },
      }),
    );
    expect(d.status.phase).toBe('Aborted');
    expect(d.plan.replicas.green).toBe(0);
    expect(d.notify.map((n) => n.trigger)).toEqual(['RolledBack']);
  });

  it('blue/green keeps the active slot on stable until promotion', () => {
    const bg: Canary['spec'] = {
      ...spec,
      strategy: { blueGreen: { prePromotionAnalysis: { templates: [{ templateName: 't' }] } } },
    };
    let d = decide(
      input({ spec: bg, status: stable, targetHash: 'h2', slots: { blue: ready('h1', 4), green: none } }),
    );
    d = decide(
      input({ spec: bg, status: d.status, targetHash: 'h2', slots: { blue: ready('h1', 4), green: none } }),
    );
    expect(d.plan.replicas).toEqual({ blue: 4, green: 4 });
    expect(d.plan.active).toBe('blue');
    expect(d.plan.weight).toBe(0);
  });

  it('computes replica-ratio replicas', () => {
    expect(canaryReplicas(4, 20)).toBe(1);
    expect(canaryReplicas(10, 50)).toBe(5);
    expect(canaryReplicas(4, 100)).toBe(4);
    expect(canaryReplicas(4, 0)).toBe(0);
  });
});
