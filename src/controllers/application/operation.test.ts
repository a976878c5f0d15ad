import { describe, expect, it } from 'vitest';
import type { ChangeSetEntry } from '../../engine/apply/changeset.js';
import type { SyncStepResult } from '../../engine/sync/index.js';
import { changesOf, finishedOperation, progressOf, stepOf, toOperationResource } from './operation.js';

describe('operation state persistence', () => {
  it('round-trips the changes and the step a restarted controller resumes from', () => {
    const changes: ChangeSetEntry[] = [
      {
        ref: { apiVersion: 'batch/v1', kind: 'Job', namespace: 'n', name: 'pre' },
        action: 'created',
        hook: true,
        health: { status: 'Healthy' },
      },
      {
        ref: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'n', name: 'db' },
        action: 'configured',
      },
    ];
    const resources = changes.map(toOperationResource);
    expect(resources[0]).toMatchObject({ kind: 'Job', hookPhase: 'Succeeded' });
    expect(resources[1]?.hookPhase).toBeUndefined();
    const op = {
      phase: 'Running' as const,
      message: '',
      startedAt: '2026-01-01T00:00:00.000Z',
      resources,
      step: stepOf({
        progress: { step: 2, waitingSince: Date.parse('2026-01-01T00:00:05.000Z') },
        steps: 4,
      } as SyncStepResult),
    };
    expect(op.step).toEqual({ index: 2, count: 4, waitingSince: '2026-01-01T00:00:05.000Z' });
    expect(progressOf(op)).toEqual({ step: 2, waitingSince: Date.parse('2026-01-01T00:00:05.000Z') });
    expect(changesOf(op).map((c) => [c.ref.apiVersion, c.ref.kind, c.action, !!c.hook])).toEqual([
      ['batch/v1', 'Job', 'created', true],
      ['apps/v1', 'Deployment', 'configured', false],
    ]);
    const ended = finishedOperation(op, { phase: 'Failed', message: 'terminated', changes: [] });
    expect(ended.step).toBeUndefined();
    expect(ended).toMatchObject({ phase: 'Failed', message: 'terminated' });
    expect(ended.finishedAt).toBeDefined();
  });
});

describe('generateName hooks in the saved step', () => {
  it('keeps the generated names across a restart', () => {
    const generated = { 'PreSync/batch/v1/Job/n/migrate-': 'migrate-x7k2p' };
    const step = stepOf({
      progress: { step: 0, waitingSince: 5, generated },
      steps: 2,
    } as unknown as SyncStepResult);
    expect(step.generated).toEqual(generated);
    const op = { phase: 'Running' as const, message: '', startedAt: '2026-01-01T00:00:00.000Z', step };
    expect(progressOf(op)?.generated).toEqual(generated);
    expect(
      stepOf({ progress: { step: 0, generated: {} }, steps: 2 } as unknown as SyncStepResult).generated,
    ).toBeUndefined();
  });
});
