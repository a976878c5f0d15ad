// Analysis runs in the audit trail, against the real embedded store (SQLite in a temporary
// directory) and read back through the hub's audit API routes, as `gitfleet audit` reads them.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Hono } from 'hono';
import { afterAll, describe, expect, it } from 'vitest';
import type { AnalysisRunStatus } from '../../api/delivery.js';
import { openAuditStore, type AuditEntry, type AuditStore } from '../../governance/audit/index.js';
import { auditRoutes } from '../../hub/audit-routes.js';
import { ADMIN_GROUP, builtinAuthorizer, type HubEnv } from '../../hub/principal.js';
import { analysisAuditRecord } from './audit.js';

const dir = mkdtempSync(join(tmpdir(), 'gitfleet-analysis-audit-'));
let store: AuditStore | undefined;
afterAll(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

const run = (phase: AnalysisRunStatus['phase'], values: string[], query: string): AnalysisRunStatus => ({
  phase,
  startedAt: '2026-12-01T10:00:00.000Z',
  ...(phase === 'Failed' ? { message: `error-rate/error-rate: ${values.at(-1) ?? ''} failed` } : {}),
  metrics: [
    {
      name: 'error-rate/error-rate',
      phase,
      query,
      count: values.length,
      successful: phase === 'Successful' ? values.length : 0,
      failed: phase === 'Failed' ? 1 : 0,
      inconclusive: 0,
      errors: 0,
      consecutiveErrors: 0,
      measurements: values.map((value, i) => ({
        value,
        verdict: phase === 'Failed' && i === values.length - 1 ? 'Failed' : 'Successful',
        at: `2026-12-01T10:00:0${i + 1}.000Z`,
      })),
    },
  ],
});

const input = (r: AnalysisRunStatus, revision: string, step: number) => ({
  subject: `Canary shop/web step ${step}`,
  appNamespace: 'apps',
  app: 'web',
  project: 'team-a',
  repoURL: 'https://git.example/web.git',
  cluster: 'in-cluster',
  namespace: 'shop',
  revision,
  templates: ['error-rate'],
  run: r,
  now: new Date('2026-12-01T10:00:05.000Z'),
});

function api(s: AuditStore): Hono<HubEnv> {
  const a = new Hono<HubEnv>();
  a.use('*', async (c, next) => {
    c.set('principal', { kind: 'user', name: 'admin', groups: [ADMIN_GROUP] });
    await next();
  });
  a.route('/api/v1', auditRoutes({ store: s, authorizer: builtinAuthorizer }));
  return a;
}

describe('analysis runs in the audit trail', () => {
  it('records each finished run with its canary, template, metric results, verdict and revision, readable through the audit API', async () => {
    store = await openAuditStore(join(dir, 'audit'));
    const v2 = 'a'.repeat(40);
    const v3 = 'b'.repeat(40);
    await store.record(
      analysisAuditRecord(input(run('Successful', ['0', '0.01'], 'sum(rate(x[1m]))'), v2, 1)),
    );
    await store.record(
      analysisAuditRecord(
        input(run('Failed', ['0.01', '0.23'], 'https://ops:s3cret@metrics.example/q?token=abc'), v3, 1),
      ),
    );
    const a = api(store);
    const res = await a.request('/api/v1/audit?app=apps/web');
    expect(res.status).toBe(200);
    const { items } = (await res.json()) as { items: AuditEntry[] };
    expect(items.map((e) => [e.operation, e.revision, e.result])).toEqual([
      ['analysis', v3, 'Failed'],
      ['analysis', v2, 'Succeeded'],
    ]);
    const failed = items[0] as AuditEntry;
    expect(failed).toMatchObject({
      trigger: 'automated',
      project: 'team-a',
      cluster: 'in-cluster',
      namespace: 'shop',
      durationMs: 5000,
    });
    expect(failed.message).toContain('Canary shop/web step 1: analysis error-rate Failed');
    expect(failed.message).toContain('0.23');
    expect(failed.objects).toEqual([
      {
        kind: 'AnalysisMetric',
        namespace: 'shop',
        name: 'error-rate/error-rate',
        action: 'failed',
        verdict: 'Failed',
        query: 'https://metrics.example/q',
        values: ['0.01 (Successful)', '0.23 (Failed)'],
      },
    ]);
    // A credential in a measured URL never reaches the trail.
    expect(JSON.stringify(items)).not.toMatch(/s3cret|token=abc/);
    expect(items[1]?.objects[0]).toMatchObject({
      action: 'skipped',
      verdict: 'Successful',
      query: 'sum(rate(x[1m]))',
    });
    // The commit filter finds the run that judged a revision.
    const byCommit = (await (await a.request(`/api/v1/audit?commit=${v3.slice(0, 8)}`)).json()) as {
      items: AuditEntry[];
    };
    expect(byCommit.items.map((e) => e.revision)).toEqual([v3]);
  });
});
