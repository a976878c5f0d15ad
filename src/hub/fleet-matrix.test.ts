import { describe, expect, it } from 'vitest';
import { API_VERSION, type Application, type ApplicationStatus } from '../api/application.js';
import type { Cluster } from '../api/cluster.js';
import { buildFleetMatrix, isDrifted, serviceName } from './fleet-matrix.js';

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
