import { Hono } from 'hono';
import { AuditQueryError, type AuditQuery, type AuditStore } from '../governance/audit/index.js';
import { authorize } from './api.js';
import type { Authorizer, HubEnv } from './principal.js';

/**
 * `GET /api/v1/audit?app=&cluster=&commit=&user=&project=&since=&until=&limit=`: the audit trail,
 * newest first. `since`/`until` take an RFC 3339 time or an age (`90m`, `24h`, `7d`). The caller
 * needs `get` on `audit`; entries of projects it may not read are left out, so a team sees its own
 * operations only. A sub-app of /api/v1, behind its authentication; a bad parameter throws an
 * AuditQueryError, answered 400 by the hub's error handler.
 */
export function auditRoutes(deps: {
  store: AuditStore;
  authorizer: Authorizer;
  now?: () => Date;
}): Hono<HubEnv> {
  const app = new Hono<HubEnv>();
  const now = deps.now ?? (() => new Date());
  app.get('/audit', async (c) => {
    const q = c.req.query();
    authorize(c, deps.authorizer, 'get', {
      resource: 'audit',
      ...(q.project ? { project: q.project } : {}),
    });
    const query: AuditQuery = {
      ...(q.app ? { app: q.app } : {}),
      ...(q.cluster ? { cluster: q.cluster } : {}),
      ...(q.commit ? { commit: q.commit } : {}),
      ...(q.user ? { user: q.user } : {}),
      ...(q.project ? { project: q.project } : {}),
      ...(q.since ? { since: parseTime('since', q.since, now()) } : {}),
      ...(q.until ? { until: parseTime('until', q.until, now()) } : {}),
      ...(q.limit ? { limit: Number(q.limit) } : {}),
    };
    const principal = c.get('principal');
    const items = (await deps.store.query(query)).filter(
      (e) =>
        deps.authorizer.authorize(principal, 'get', {
          resource: 'audit',
          project: e.project,
          namespace: e.appNamespace,
          name: e.app,
        }).allowed,
    );
    return c.json({ items });
  });
  return app;
}

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** An RFC 3339 time, or an age before `now` such as `30m`, `24h` or `7d`. */
export function parseTime(field: string, value: string, now: Date): Date {
  const age = /^(\d+)([smhd])$/.exec(value);
  if (age?.[1] && age[2]) return new Date(now.getTime() - Number(age[1]) * (UNIT_MS[age[2]] ?? 0));
  const t = Date.parse(value);
  if (Number.isNaN(t))
    throw new AuditQueryError(`${field} must be an RFC 3339 time or an age like 24h or 7d, got "${value}"`);
  return new Date(t);
}
