import { describe, expect, it } from 'vitest';
import {
  planRollout,
  type RolloutApp,
  type RolloutGate,
  type RolloutState,
  type RolloutStep,
} from './rollout.js';

const steps: RolloutStep[] = [
  {
    clusterSelector: { matchLabels: { env: 'staging' } },
    analysis: { templates: [{ templateName: 'err' }], onFailure: 'rollback' },
  },
  { clusterSelector: { matchLabels: { env: 'prod' } } },
];
const app = (name: string, env: string, pinned: string, healthy = true): RolloutApp => ({
  name,
  cluster: name,
  clusterLabels: { env },
  pinned,
  syncedRevision: pinned,
  synced: true,
  health: healthy ? 'Healthy' : 'Progressing',
});
const previous: RolloutState = {
  revision: 'new',
  stableRevision: 'old',
  phase: 'Progressing',
  step: 0,
  message: '',
};
const gate = (phase: RolloutGate['phase']): RolloutGate => ({
  step: 0,
  revision: 'new',
  phase,
  startedAt: '2026-01-01T00:00:00Z',
  metrics: [],
  ...(phase === 'Failed' ? { message: 'metric staging:err/rate Failed: value [0.3]' } : {}),
});
const base = { steps, latest: 'new', paused: false, approvedStep: -1, now: Date.now() };

describe('roll-out analysis gates', () => {
  it('asks for the gate once the step is healthy, and does not move prod before it passes', () => {
    const d = planRollout({
      ...base,
      apps: [app('staging', 'staging', 'new'), app('prod', 'prod', 'old')],
      previous,
    });
    expect(d.gateWanted?.step).toBe(0);
    expect(d.gateWanted?.apps.map((a) => a.name)).toEqual(['staging']);
    expect(d.pins.get('prod')).toBe('old');
  });

  it('advances when the gate passes', () => {
    const d = planRollout({
      ...base,
      apps: [app('staging', 'staging', 'new'), app('prod', 'prod', 'old')],
      previous: { ...previous, gate: gate('Successful') },
    });
    expect(d.state.step).toBe(1);
    expect(d.pins.get('prod')).toBe('new');
  });

  it('halts on a failed gate and, with onFailure rollback, pins the step back to the stable revision', () => {
    const d = planRollout({
      ...base,
      apps: [app('staging', 'staging', 'new'), app('prod', 'prod', 'old')],
      previous: { ...previous, gate: gate('Failed') },
    });
    expect(d.state.phase).toBe('Halted');
    expect(d.state.rolledBack).toBe(true);
    expect(d.state.message).toContain('[0.3]');
    expect(d.pins.get('staging')).toBe('old');
    expect(d.pins.get('prod')).toBe('old');
    // Stays halted and rolled back on the next look.
    const again = planRollout({
      ...base,
      apps: [app('staging', 'staging', 'old'), app('prod', 'prod', 'old')],
      previous: d.state,
    });
    expect(again.state.phase).toBe('Halted');
    expect(again.pins.get('staging')).toBe('old');
  });
});
