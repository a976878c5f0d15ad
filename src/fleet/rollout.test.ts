import { describe, expect, it } from 'vitest';
import {
  planRollout,
  resolveMaxUpdate,
  reverseDeletionBatch,
  stepOf,
  type RolloutApp,
  type RolloutState,
  type RolloutStep,
} from './rollout.js';

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

describe("planRollout with Argo CD's RollingSync steps", () => {
  const argoSteps: RolloutStep[] = [
    { matchExpressions: [{ key: 'envLabel', operator: 'In', values: ['env-dev'] }] },
    { matchExpressions: [{ key: 'envLabel', operator: 'In', values: ['env-prod'] }], maxUpdate: '50%' },
  ];
  const labelled = (name: string, env: string, o: Partial<RolloutApp> = {}): RolloutApp => ({
    name,
    cluster: 'same-cluster',
    labels: { envLabel: env },
    clusterLabels: {},
    synced: true,
    health: 'Healthy',
    ...o,
  });
  const argo = { steps: argoSteps, paused: false, approvedStep: -1, now: 1_000_000 };

  it('selects steps by the Applications’ labels, not their cluster', () => {
    expect(stepOf(labelled('a', 'env-prod'), argoSteps)).toBe(1);
    expect(stepOf(labelled('a', 'env-dev'), argoSteps)).toBe(0);
    expect(stepOf({ ...labelled('a', 'env-dev'), labels: {} }, argoSteps)).toBe(1);
  });

  it('moves the first step, then 50% of the next at a time, waiting for health in between', () => {
    const apps = [
      labelled('dev-1', 'env-dev', healthyOn('old')),
      labelled('prod-1', 'env-prod', healthyOn('old')),
      labelled('prod-2', 'env-prod', healthyOn('old')),
      labelled('prod-3', 'env-prod', healthyOn('old')),
      labelled('prod-4', 'env-prod', healthyOn('old')),
    ];
    let d = planRollout({ ...argo, apps, latest: 'new', previous: completed });
    expect(Object.fromEntries(d.stepOfApp)).toEqual({
      'dev-1': 0,
      'prod-1': 1,
      'prod-2': 1,
      'prod-3': 1,
      'prod-4': 1,
    });
    expect(Object.fromEntries(d.pins)).toEqual({
      'dev-1': 'new',
      'prod-1': 'old',
      'prod-2': 'old',
      'prod-3': 'old',
      'prod-4': 'old',
    });
    // dev pinned but not yet synced: prod still waits.
    apps[0] = labelled('dev-1', 'env-dev', { pinned: 'new', syncedRevision: 'old', synced: false });
    d = planRollout({ ...argo, apps, latest: 'new', previous: d.state });
    expect(d.state.step).toBe(0);
    expect(d.pins.get('prod-1')).toBe('old');
    // dev healthy on new: two of the four prod apps (50%) move.
    apps[0] = labelled('dev-1', 'env-dev', healthyOn('new'));
    d = planRollout({ ...argo, apps, latest: 'new', previous: d.state });
    expect(d.state.step).toBe(1);
    expect(Object.fromEntries(d.pins)).toMatchObject({
      'prod-1': 'new',
      'prod-2': 'new',
      'prod-3': 'old',
      'prod-4': 'old',
    });
    // One moved app healthy, the other still progressing: only one more may move.
    apps[1] = labelled('prod-1', 'env-prod', healthyOn('new'));
    apps[2] = labelled('prod-2', 'env-prod', {
      pinned: 'new',
      syncedRevision: 'new',
      synced: true,
      health: 'Progressing',
    });
    d = planRollout({ ...argo, apps, latest: 'new', previous: d.state });
    expect(Object.fromEntries(d.pins)).toMatchObject({ 'prod-3': 'new', 'prod-4': 'old' });
  });

  it('holds a step whose maxUpdate is 0', () => {
    const apps = [labelled('dev-1', 'env-dev', healthyOn('old'))];
    const d = planRollout({
      ...argo,
      steps: [{ ...argoSteps[0], maxUpdate: 0 }],
      apps,
      latest: 'new',
      previous: completed,
    });
    expect(d.state.phase).toBe('Progressing');
    expect(d.pins.get('dev-1')).toBe('old');
  });
});

describe('resolveMaxUpdate', () => {
  it.each([
    [undefined, 7, 7],
    [3, 7, 3],
    ['3', 7, 3],
    ['50%', 4, 2],
    ['50%', 5, 2],
    ['10%', 3, 1],
    ['0%', 3, 0],
    ['100%', 3, 3],
    [0, 3, 0],
  ] as const)('%s of %i → %i', (max, count, want) => {
    expect(resolveMaxUpdate(max, count)).toBe(want);
  });
  it('throws for a value it cannot read', () => {
    expect(() => resolveMaxUpdate('lots', 3)).toThrow(/invalid maxUpdate "lots"/);
  });
});

describe('reverseDeletionBatch (deletionOrder: Reverse)', () => {
  const steps = [
    { matchExpressions: [{ key: 'env', operator: 'In' as const, values: ['dev'] }] },
    { matchExpressions: [{ key: 'env', operator: 'In' as const, values: ['prod'] }] },
  ];
  const app = (name: string, env: string, deleting = false) => ({
    name,
    labels: { env },
    clusterLabels: {},
    deleting,
  });

  it('removes the last step first and waits for it to be gone before the step before', () => {
    expect(reverseDeletionBatch([app('d1', 'dev'), app('p1', 'prod'), app('p2', 'prod')], steps)).toEqual({
      step: 1,
      remove: ['p1', 'p2'],
      waitingFor: [],
    });
    // p1 is being deleted, p2 gone: dev still waits.
    expect(reverseDeletionBatch([app('d1', 'dev'), app('p1', 'prod', true)], steps)).toEqual({
      step: 1,
      remove: [],
      waitingFor: ['p1'],
    });
    expect(reverseDeletionBatch([app('d1', 'dev')], steps)).toEqual({
      step: 0,
      remove: ['d1'],
      waitingFor: [],
    });
    expect(reverseDeletionBatch([], steps)).toEqual({ remove: [], waitingFor: [] });
  });

  it('puts an Application no step selects in the last step, as the roll-out does', () => {
    expect(reverseDeletionBatch([app('d1', 'dev'), app('x', 'qa')], steps).remove).toEqual(['x']);
  });
});
