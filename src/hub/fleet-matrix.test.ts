import { describe, expect, it } from 'vitest';
import { API_VERSION, type Application, type ApplicationStatus } from '../api/application.js';
import type { ApplicationSet } from '../api/applicationset.js';
import type { Cluster } from '../api/cluster.js';
import type { Pipeline } from '../api/promotion.js';
import type { FleetCell } from '../api/wire.js';
import { place } from '../cli/commands/fleet.js';
import { buildFleetMatrix, cellOf, isDrifted, promotionOf, rolloutOf, serviceName } from './fleet-matrix.js';

function app(
  name: string,
  dest?: string,
  status?: ApplicationStatus,
  labels?: Record<string, string>,
): Application {
  return {
    apiVersion: API_VERSION,
    kind: 'Application',
    metadata: { name, namespace: 'team', ...(labels ? { labels } : {}) },
    spec: { source: { repoURL: 'r' }, destination: dest ? { name: dest } : {} },
    ...(status ? { status } : {}),
  };
}

function cluster(name: string, labels: Record<string, string> = {}): Cluster {
  return {
    apiVersion: API_VERSION,
    kind: 'Cluster',
    metadata: { name, labels },
    spec: { server: 'https://x', secretRef: { name: 's' } },
    status: { reachable: true },
  };
}

describe('fleet matrix', () => {
  it('names the service by stripping the destination cluster as prefix or suffix', () => {
    expect(serviceName(app('web-prod', 'prod'))).toBe('web');
    expect(serviceName(app('prod-web', 'prod'))).toBe('web');
    expect(serviceName(app('web', 'prod'))).toBe('web');
    expect(serviceName(app('prod', 'prod'))).toBe('prod');
    expect(serviceName(app('web-in-cluster'))).toBe('web');
    expect(serviceName(app('anything', 'prod', undefined, { 'gitfleet.dev/service': 'cart' }))).toBe('cart');
  });

  it('marks drift only when out of sync at the revision last synced', () => {
    const synced = { phase: 'Succeeded' as const, message: '', startedAt: '', revision: 'a' };
    expect(
      isDrifted(app('x', 'c', { sync: { status: 'OutOfSync', revision: 'a' }, operationState: synced })),
    ).toBe(true);
    // A new commit not yet synced is not drift.
    expect(
      isDrifted(app('x', 'c', { sync: { status: 'OutOfSync', revision: 'b' }, operationState: synced })),
    ).toBe(false);
    expect(
      isDrifted(app('x', 'c', { sync: { status: 'Synced', revision: 'a' }, operationState: synced })),
    ).toBe(false);
  });

  it('puts one cell per app under its cluster, adds unregistered destinations, never hides a collision', () => {
    const m = buildFleetMatrix(
      [
        app('web-dev', 'dev'),
        app('web-prod', 'prod'),
        app('db-prod', 'prod'),
        app('web', 'prod'),
        app('local'),
      ],
      [cluster('prod', { env: 'prod' }), cluster('dev')],
    );
    expect(m.columns.map((c) => c.name)).toEqual(['dev', 'in-cluster', 'prod']);
    expect(m.columns.find((c) => c.name === 'prod')?.labels).toEqual({ env: 'prod' });
    expect(m.rows.map((r) => r.key)).toEqual(['team/db', 'team/local', 'team/web', 'team/web-prod']);
    const web = m.rows.find((r) => r.key === 'team/web');
    expect(Object.keys(web?.cells ?? {}).sort()).toEqual(['dev', 'prod']);
    expect(web?.cells.prod?.name).toBe('web');
    expect(m.rows.find((r) => r.key === 'team/web-prod')?.cells.prod?.name).toBe('web-prod');
  });
});

describe('fleet matrix: where each cell is in a delivery flow', () => {
  const set = {
    apiVersion: API_VERSION,
    kind: 'ApplicationSet',
    metadata: { name: 'web', namespace: 'team' },
    spec: {
      generators: [],
      template: { metadata: { name: '{{name}}' }, spec: { source: { repoURL: 'r' }, destination: {} } },
      strategy: {
        type: 'RollingSync',
        rollingSync: { steps: [{ clusterSelector: {} }, { clusterSelector: {} }, { clusterSelector: {} }] },
      },
    },
    status: {
      applications: [
        { name: 'web-dev', step: 0 },
        { name: 'web-staging', step: 1 },
        { name: 'web-prod', step: 2 },
      ],
      rollout: { revision: 'abc', stableRevision: 'old', phase: 'Progressing', step: 1, message: '' },
    },
  } as unknown as ApplicationSet;
  const pipeline = {
    apiVersion: API_VERSION,
    kind: 'Pipeline',
    metadata: { name: 'promo', namespace: 'team' },
    spec: {
      git: { repoURL: 'r' },
      stages: [
        { name: 'dev', applications: { names: ['api-dev'] }, file: 'f', field: 'x' },
        { name: 'prod', applications: { selector: { matchLabels: { env: 'prod' } } }, file: 'f', field: 'x' },
      ],
    },
    status: {
      promotion: { from: 'dev', to: 'prod', revision: '1.2.0', phase: 'WaitingApproval', startedAt: '' },
    },
  } as unknown as Pipeline;
  const label = { 'gitfleet.dev/applicationset': 'web' };

  it("gives a generated app its roll-out step and the roll-out's position", () => {
    const m = buildFleetMatrix(
      [app('web-dev', 'dev', undefined, label), app('web-staging', 'staging', undefined, label)],
      [cluster('dev'), cluster('staging')],
      { applicationSets: [set] },
    );
    expect(m.rows[0]?.cells.staging?.rollout).toEqual({
      applicationSet: 'web',
      step: 1,
      steps: 3,
      current: 1,
      phase: 'Progressing',
      revision: 'abc',
    });
    expect(m.rows[0]?.cells.dev?.rollout?.step).toBe(0);
    expect(place(m.rows[0]?.cells.staging as FleetCell)).toBe('step 2/3*');
    expect(place(m.rows[0]?.cells.dev as FleetCell)).toBe('step 1/3');
    // Another namespace's ApplicationSet of the same name is not this app's.
    expect(
      rolloutOf(app('web-prod', 'prod', undefined, label), [
        { ...set, metadata: { name: 'web', namespace: 'x' } },
      ]),
    ).toBeUndefined();
    expect(place(cellOf(app('web-prod', 'prod', undefined, label), { applicationSets: [set] }))).toBe(
      'step 3/3…',
    );
  });

  it('gives an app its pipeline stage by name or selector, with the promotion entering it', () => {
    expect(promotionOf(app('api-dev', 'dev'), [pipeline])).toEqual({
      pipeline: 'promo',
      stage: 'dev',
      phase: 'WaitingApproval',
      direction: 'out',
      revision: '1.2.0',
    });
    const prod = cellOf(app('api-prod', 'prod', undefined, { env: 'prod' }), { pipelines: [pipeline] });
    expect(prod.promotion).toMatchObject({ stage: 'prod', direction: 'in', phase: 'WaitingApproval' });
    expect(place(prod)).toBe('←prod');
    expect(cellOf(app('other', 'prod'), { pipelines: [pipeline] }).promotion).toBeUndefined();
  });
});
