import { describe, expect, it } from 'vitest';
import { compileHealthCheckExprs } from '../health/cel.js';
import type { KubeObject } from '../../kube/types.js';
import { afterSync, type Comparison } from './compare.js';

// afterSync turns a sync step's API answers into the comparison without comparing again; its
// health must follow the same rules as the comparison, or a kind judged only by a Project's CEL
// rule reads Healthy for one status write (and a roll-out step advances on it).

const widget = (state: string): KubeObject =>
  ({
    apiVersion: 'e2e.gitfleet.dev/v1',
    kind: 'Widget',
    metadata: { name: 'w', namespace: 'n' },
    spec: { revision: state },
    status: { state },
  }) as KubeObject;
const ref = { apiVersion: 'e2e.gitfleet.dev/v1', kind: 'Widget', namespace: 'n', name: 'w' };
const before: Comparison = {
  status: 'OutOfSync',
  health: { status: 'Healthy' },
  resources: [{ ref, status: 'OutOfSync', health: { status: 'Healthy' } }],
  prepared: {} as Comparison['prepared'],
  objects: new Map(),
};
const key = 'e2e.gitfleet.dev/Widget/n/w';

describe('afterSync', () => {
  const { overrides } = compileHealthCheckExprs(
    [
      {
        apiVersion: 'e2e.gitfleet.dev/v1',
        kind: 'Widget',
        failed: "status.?state.orValue('') == 'Broken'",
        current: "status.?state.orValue('') == 'Ready'",
      },
    ],
    'test',
  );

  it('judges applied objects by the custom health rules it is given', () => {
    const step = { applied: new Map([[key, widget('Broken')]]), pruned: new Set<string>(), changes: [] };
    const cmp = afterSync(before, step, { overrides });
    expect(cmp.status).toBe('Synced');
    expect(cmp.resources[0]?.health?.status).toBe('Degraded');
    expect(cmp.health.status).toBe('Degraded');
    expect(
      afterSync(before, { ...step, applied: new Map([[key, widget('Ready')]]) }, { overrides }).health.status,
    ).toBe('Healthy');
  });

  it('keeps the compared state of what failed and drops what was pruned', () => {
    const failed = afterSync(
      before,
      {
        applied: new Map([[key, widget('Ready')]]),
        pruned: new Set<string>(),
        changes: [{ ref, action: 'failed', message: 'conflict' }] as never,
      },
      { overrides },
    );
    expect(failed.status).toBe('OutOfSync');
    const pruned = afterSync(
      before,
      { applied: new Map(), pruned: new Set([key]), changes: [] },
      { overrides },
    );
    expect(pruned.resources).toHaveLength(0);
    expect(pruned.status).toBe('Synced');
  });
});
