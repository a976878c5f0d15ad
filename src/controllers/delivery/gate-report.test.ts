// A fleet roll-out gate's finished analysis: reported once (the transition, not every reconcile
// that carries it), with AnalysisFailed as Event and notification when it did not pass, and an
// `analysis` entry in the real embedded audit store either way.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ApplicationSet } from '../../api/applicationset.js';
import type { RolloutGate, RolloutState } from '../../fleet/rollout.js';
import { openAuditStore, type AuditStore } from '../../governance/audit/index.js';
import type { NotificationEvent } from '../notify/notifier.js';
import { finishedGate, reportGate } from './gate-report.js';

const dir = mkdtempSync(join(tmpdir(), 'gitfleet-gate-report-'));
let store: AuditStore | undefined;
afterAll(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

const V3 = 'c'.repeat(40);
const gate = (phase: RolloutGate['phase'], step = 0, revision = V3): RolloutGate => ({
  step,
  revision,
  phase,
  startedAt: '2026-12-01T10:00:00.000Z',
  ...(phase === 'Failed' ? { message: 'staging:error-rate/error-rate: 0.5' } : {}),
  metrics: [
    {
      name: 'staging:error-rate/error-rate',
      phase: phase === 'Running' ? 'Running' : phase,
      query: 'sum(errors{app="staging"})',
      count: 2,
      successful: 1,
      failed: phase === 'Failed' ? 1 : 0,
      inconclusive: 0,
      errors: 0,
      consecutiveErrors: 0,
      measurements: [
        {
          value: '0.5',
          verdict: phase === 'Failed' ? 'Failed' : 'Successful',
          at: '2026-12-01T10:00:02.000Z',
        },
      ],
    },
  ],
});
const state = (g?: RolloutGate): RolloutState =>
  ({
    revision: V3,
    stableRevision: 'b'.repeat(40),
    phase: 'Progressing',
    step: 0,
    message: '',
    ...(g ? { gate: g } : {}),
  }) as RolloutState;

const set = {
  apiVersion: 'gitfleet.dev/v1alpha1',
  kind: 'ApplicationSet',
  metadata: { name: 'shop', namespace: 'fleet', labels: { team: 'a' } },
  spec: {
    generators: [],
    template: {
      metadata: { name: '{{name}}' },
      spec: { project: 'team-a', source: { repoURL: 'https://git.example/shop.git' }, destination: {} },
    },
    strategy: {
      type: 'RollingSync',
      rollingSync: {
        steps: [{ matchExpressions: [], analysis: { templates: [{ templateName: 'error-rate' }] } }],
      },
    },
  },
} as unknown as ApplicationSet;

describe('fleet gate report', () => {
  it('finds a gate only on the reconcile that finished it', () => {
    expect(finishedGate(state(gate('Running')), state(gate('Failed')))?.phase).toBe('Failed');
    expect(finishedGate(undefined, state(gate('Successful')))?.phase).toBe('Successful');
    expect(finishedGate(state(gate('Failed')), state(gate('Failed')))).toBeUndefined();
    expect(finishedGate(state(gate('Failed')), state(gate('Running')))).toBeUndefined();
    // A new revision's gate is a new run, even if the old one had finished the same way.
    expect(finishedGate(state(gate('Failed', 0, 'd'.repeat(40))), state(gate('Failed')))?.revision).toBe(V3);
    expect(finishedGate(state(), state())).toBeUndefined();
  });

  it('sends AnalysisFailed as Event and notification and records the run in the audit store', async () => {
    store = await openAuditStore(join(dir, 'audit'));
    const events: string[] = [];
    const sent: NotificationEvent[] = [];
    const deps = {
      client: {
        recordEvent: async (_o: unknown, type: string, reason: string, message: string) => {
          events.push(`${type} ${reason} ${message}`);
        },
      },
      notifier: { notify: (ev: NotificationEvent) => void sent.push(ev) },
      audit: store,
      warn: (m: string) => {
        throw new Error(m);
      },
    };
    await reportGate(deps, set, gate('Failed'), new Date('2026-12-01T10:00:03.000Z'));
    await reportGate(deps, set, gate('Successful', 0, 'e'.repeat(40)), new Date('2026-12-01T10:05:00.000Z'));
    expect(events).toHaveLength(1);
    expect(events[0]).toMatch(
      /^Warning AnalysisFailed ApplicationSet fleet\/shop step 1 gate: analysis Failed on cccccccccccc: .*0\.5/,
    );
    expect(sent).toMatchObject([
      { trigger: 'AnalysisFailed', kind: 'ApplicationSet', namespace: 'fleet', app: 'shop', revision: V3 },
    ]);
    const entries = await store.query({ app: 'fleet/shop' });
    expect(entries.map((e) => [e.operation, e.result, e.revision])).toEqual([
      ['analysis', 'Succeeded', 'e'.repeat(40)],
      ['analysis', 'Failed', V3],
    ]);
    expect(entries[1]).toMatchObject({
      project: 'team-a',
      repoURL: 'https://git.example/shop.git',
      durationMs: 3000,
    });
    expect(entries[1]?.message).toContain('analysis error-rate Failed');
    expect(entries[1]?.objects[0]).toMatchObject({
      name: 'staging:error-rate/error-rate',
      verdict: 'Failed',
      values: ['0.5 (Failed)'],
    });
  });
});
