import { describe, expect, it } from 'vitest';
import { planRollout, type RolloutApp, type RolloutState, type RolloutStep } from './rollout.js';

const steps: RolloutStep[] = [
  { clusterSelector: { matchLabels: { env: 'dev' } } },
  { clusterSelector: { matchLabels: { env: 'staging' } }, soakSeconds: 10 },
  { clusterSelector: { matchLabels: { env: 'prod' } }, approval: true, maxUpdate: 1 },
];
const app = (name: string, env: string, o: Partial<RolloutApp> = {}): RolloutApp => ({
  name,
  cluster: name,
  clusterLabels: { env },
  synced: true,
  health: 'Healthy',
  ...o,
});
const healthyOn = (rev: string) => ({ pinned: rev, syncedRevision: rev, synced: true, health: 'Healthy' });
const base = { steps, paused: false, approvedStep: -1, now: 1_000_000 };
const completed: RolloutState = {
  revision: 'old',
  stableRevision: 'old',
  phase: 'Completed',
  step: 3,
  message: '',
};

describe('planRollout', () => {
  it('puts everything on the first revision it sees', () => {
    const d = planRollout({
      ...base,
      apps: [app('d', 'dev'), app('p', 'prod')],
      latest: 'v1',
      previous: undefined,
    });
    expect(d.state.phase).toBe('Completed');
    expect([...d.pins.values()]).toEqual(['v1', 'v1']);
  });

  it('moves only the first step to a new revision and keeps later steps on the stable one', () => {
    const apps = [
      app('d', 'dev', healthyOn('old')),
      app('s', 'staging', healthyOn('old')),
      app('p', 'prod', healthyOn('old')),
    ];
    const d = planRollout({ ...base, apps, latest: 'new', previous: completed });
    expect(d.state).toMatchObject({ phase: 'Progressing', step: 0, stableRevision: 'old' });
    expect(Object.fromEntries(d.pins)).toEqual({ d: 'new', s: 'old', p: 'old' });
  });

  it('advances when a step is healthy, soaks, then waits for approval before prod', () => {
    const prev: RolloutState = {
      revision: 'new',
      stableRevision: 'old',
      phase: 'Progressing',
      step: 0,
      message: '',
    };
    const apps = [
      app('d', 'dev', healthyOn('new')),
      app('s', 'staging', healthyOn('new')),
      app('p1', 'prod', healthyOn('old')),
      app('p2', 'prod', healthyOn('old')),
    ];
    const soaking = planRollout({ ...base, apps, latest: 'new', previous: prev });
    expect(soaking.state).toMatchObject({ step: 1, phase: 'Progressing' });
    expect(soaking.recheckMs).toBe(10_000);
    const after = planRollout({
      ...base,
      apps,
      latest: 'new',
      previous: soaking.state,
      now: base.now + 10_001,
    });
    expect(after.state).toMatchObject({ step: 2, phase: 'WaitingApproval' });
    expect(after.pins.get('p1')).toBe('old');
    const approved = planRollout({
      ...base,
      apps,
      latest: 'new',
      previous: after.state,
      approvedStep: 2,
      now: base.now + 10_002,
    });
    expect(approved.state.phase).toBe('Progressing');
    // maxUpdate 1: one prod cluster at a time.
    expect([approved.pins.get('p1'), approved.pins.get('p2')]).toEqual(['new', 'old']);
  });

  it('halts on a Degraded app, naming its cluster, and later steps keep the stable revision', () => {
    const prev: RolloutState = {
      revision: 'bad',
      stableRevision: 'old',
      phase: 'Progressing',
      step: 0,
      message: '',
    };
    const apps = [
      app('d', 'dev', {
        pinned: 'bad',
        syncedRevision: 'bad',
        health: 'Degraded',
        degradedResource: 'Deployment/web',
      }),
      app('s', 'staging', healthyOn('old')),
    ];
    const d = planRollout({ ...base, apps, latest: 'bad', previous: prev });
    expect(d.state.phase).toBe('Halted');
    expect(d.state.message).toContain('cluster d');
    expect(d.state.message).toContain('Deployment/web');
    expect(d.pins.get('s')).toBe('old');
    // A fix pushed afterwards starts a new roll-out from the same stable revision.
    const fixed = planRollout({ ...base, apps, latest: 'fix', previous: d.state });
    expect(fixed.state).toMatchObject({ phase: 'Progressing', stableRevision: 'old', step: 0 });
  });

  it('pauses and resumes', () => {
    const prev: RolloutState = {
      revision: 'new',
      stableRevision: 'old',
      phase: 'Progressing',
      step: 0,
      message: '',
    };
    const apps = [app('d', 'dev', healthyOn('old'))];
    const paused = planRollout({ ...base, apps, latest: 'new', previous: prev, paused: true });
    expect(paused.state.phase).toBe('Paused');
    expect(paused.pins.get('d')).toBe('old');
    expect(planRollout({ ...base, apps, latest: 'new', previous: paused.state }).pins.get('d')).toBe('new');
  });
});
