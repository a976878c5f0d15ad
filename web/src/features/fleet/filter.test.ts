import { describe, expect, it } from 'vitest';
import type { FleetMatrix } from '../../api/types';
import { applyFilter, emptyFilter } from './filter';

const cell = (
  name: string,
  sync: string,
  health: string,
  extra: { drift?: boolean; project?: string } = {},
) => ({
  namespace: 'team',
  name,
  sync,
  health,
  drift: extra.drift ?? false,
  ...(extra.project ? { project: extra.project } : {}),
});

const matrix: FleetMatrix = {
  generatedAt: '',
  columns: [
    { name: 'dev', labels: { env: 'dev' }, mode: 'push' },
    { name: 'prod', labels: { env: 'prod', region: 'eu' }, mode: 'push' },
  ],
  rows: [
    {
      key: 'team/web',
      service: 'web',
      namespace: 'team',
      cells: {
        dev: cell('web-dev', 'Synced', 'Healthy'),
        prod: cell('web-prod', 'OutOfSync', 'Healthy', { drift: true }),
      },
    },
    {
      key: 'team/db',
      service: 'db',
      namespace: 'team',
      cells: { dev: cell('db-dev', 'Synced', 'Degraded', { project: 'data' }) },
    },
  ],
};
const rows = (f: Partial<typeof emptyFilter>): string[] =>
  applyFilter(matrix, { ...emptyFilter, ...f }).rows.map((r) => r.service);

describe('fleet filter', () => {
  it('keeps everything without filters', () => {
    expect(rows({})).toEqual(['web', 'db']);
  });

  it('filters by status, drift and project', () => {
    expect(rows({ status: 'OutOfSync' })).toEqual(['web']);
    expect(rows({ status: 'drift' })).toEqual(['web']);
    expect(rows({ status: 'Degraded' })).toEqual(['db']);
    expect(rows({ project: 'data' })).toEqual(['db']);
    expect(rows({ project: 'default' })).toEqual(['web']);
  });

  it('filters clusters by label and drops rows with no cell left', () => {
    const v = applyFilter(matrix, { ...emptyFilter, clusterLabel: 'env=prod' });
    expect(v.columns.map((c) => c.name)).toEqual(['prod']);
    expect(v.rows.map((r) => r.service)).toEqual(['web']);
    expect(
      applyFilter(matrix, { ...emptyFilter, clusterLabel: 'region' }).columns.map((c) => c.name),
    ).toEqual(['prod']);
  });

  it('matches the name against the service or the Application', () => {
    expect(rows({ name: 'DB' })).toEqual(['db']);
    expect(rows({ name: 'web-prod' })).toEqual(['web']);
    expect(rows({ name: 'nothing' })).toEqual([]);
  });
});
