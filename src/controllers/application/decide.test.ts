import { describe, expect, it } from 'vitest';
import type { OperationState } from '../../api/application.js';
import { decide, type Decision, type DecideInput } from './decide.js';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const op = (phase: OperationState['phase'], revision: string, extra: Partial<OperationState> = {}) =>
  ({ phase, revision, message: '', startedAt: '2026-01-01T00:00:00Z', ...extra }) as OperationState;

const base: DecideInput = {
  op: undefined,
  revision: A,
  compared: 'OutOfSync',
  lastSync: undefined,
  auto: undefined,
  syncRequest: undefined,
  terminateRequested: false,
  retryLimit: 5,
};

describe('decide', () => {
  const cases: [string, Partial<DecideInput>, Decision][] = [
    ['manual app, nothing asked: nothing', {}, { action: 'none', drift: false }],
    [
      'manual request starts a manual operation',
      { syncRequest: 't1' },
      { action: 'start', manual: true, retryCount: 0, drift: false },
    ],
    [
      'auto, OutOfSync at a new revision: starts',
      { auto: {}, op: op('Succeeded', B) },
      { action: 'start', manual: false, retryCount: 0, drift: false },
    ],
    [
      'auto, Synced: nothing',
      { auto: {}, compared: 'Synced', op: op('Succeeded', A) },
      { action: 'none', drift: false },
    ],
    [
      'auto without selfHeal, drift at the synced revision: reported, not healed',
      { auto: {}, op: op('Succeeded', A), lastSync: 'Synced' },
      { action: 'none', drift: true },
    ],
    [
      'auto with selfHeal, drift: healed',
      { auto: { selfHeal: true }, op: op('Succeeded', A), lastSync: 'Synced' },
      { action: 'start', manual: false, retryCount: 0, drift: true },
    ],
    [
      'auto, failed here with retries left: retried with the count',
      { auto: {}, op: op('Failed', A, { retryCount: 2 }) },
      { action: 'start', manual: false, retryCount: 3, drift: false },
    ],
    [
      'auto, failed here with no retries left: nothing',
      { auto: {}, op: op('Failed', A, { retryCount: 5 }) },
      { action: 'none', drift: false },
    ],
    [
      'auto, failed here, its retry backoff not over: nothing yet, whatever woke the app',
      { auto: {}, op: op('Failed', A, { retryCount: 2 }), retryWaiting: true },
      { action: 'none', drift: false },
    ],
    [
      'auto with selfHeal, terminated here by a person: not retried at that revision',
      { auto: { selfHeal: true }, op: op('Failed', A, { message: 'terminated' }) },
      { action: 'none', drift: false },
    ],
    [
      'auto, terminated at an older revision, a new commit: synced',
      { auto: {}, op: op('Failed', B, { message: 'terminated' }) },
      { action: 'start', manual: false, retryCount: 0, drift: false },
    ],
    [
      'terminated here, then a sync request: synced',
      { auto: {}, op: op('Failed', A, { message: 'terminated' }), syncRequest: 't3' },
      { action: 'start', manual: true, retryCount: 0, drift: false },
    ],
    ['running at the same revision: goes on', { auto: {}, op: op('Running', A) }, { action: 'continue' }],
    [
      'running, terminate asked: ends terminated',
      { op: op('Running', A), terminateRequested: true },
      { action: 'end', message: 'terminated' },
    ],
    ['Terminating: ends terminated', { op: op('Terminating', A) }, { action: 'end', message: 'terminated' }],
    [
      'running an old revision, automated: cancelled and started over',
      { auto: {}, op: op('Running', B) },
      {
        action: 'start',
        manual: false,
        retryCount: 0,
        drift: false,
        cancel: `cancelled: superseded by revision ${A.slice(0, 12)}`,
      },
    ],
    [
      'running an old revision, manual app: cancelled',
      { op: op('Running', B) },
      { action: 'end', message: `cancelled: superseded by revision ${A.slice(0, 12)}` },
    ],
    [
      'running a manual operation, another request: the running one goes on',
      { op: op('Running', A, { syncRequest: 't1' }), syncRequest: 't2' },
      { action: 'continue' },
    ],
    [
      'terminate asked with nothing running: nothing',
      { terminateRequested: true, op: op('Succeeded', A), compared: 'Synced' },
      { action: 'none', drift: false },
    ],
  ];
  it.each(cases)('%s', (_name, input, want) => {
    expect(decide({ ...base, ...input })).toEqual(want);
  });
});
