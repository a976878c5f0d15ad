import { GitfleetError } from '../../core/errors.js';
import type { AuditQuery } from './types.js';

/** An audit query that cannot be answered as asked (bad commit, limit or time). */
export class AuditQueryError extends GitfleetError {
  constructor(message: string) {
    super('audit.BadQuery', message);
  }
}

export const MAX_LIMIT = 1000;

/** Which SQL the WHERE clause is written in: placeholders and the commit-prefix test differ. */
export type Dialect = 'postgres' | 'sqlite';

/**
 * The WHERE clause, parameters and LIMIT of an audit query, validated once for every store so
 * PostgreSQL and SQLite answer the same questions the same way and refuse the same bad ones.
 */
export function auditWhere(
  q: AuditQuery,
  dialect: Dialect,
): { where: string; params: unknown[]; limit: string } {
  const where: string[] = [];
  const params: unknown[] = [];
  const ph = (): string => (dialect === 'postgres' ? `$${params.length}` : '?');
  const add = (sql: (p: string) => string, value: unknown): void => {
    params.push(value);
    where.push(sql(ph()));
  };
  if (q.app) {
    const slash = q.app.indexOf('/');
    if (slash >= 0) {
      add((p) => `app_namespace = ${p}`, q.app.slice(0, slash));
      add((p) => `app = ${p}`, q.app.slice(slash + 1));
    } else add((p) => `app = ${p}`, q.app);
  }
  if (q.cluster) add((p) => `cluster = ${p}`, q.cluster);
  if (q.commit) {
    // Short SHAs are what people paste; hex only, so the prefix needs no LIKE escaping.
    if (!/^[0-9a-f]{4,64}$/i.test(q.commit))
      throw new AuditQueryError(
        `commit must be a SHA or a prefix of at least 4 hex digits, got "${q.commit}"`,
      );
    const prefix = q.commit.toLowerCase();
    if (dialect === 'postgres') add((p) => `revision LIKE ${p}`, `${prefix}%`);
    else {
      // SQLite's LIKE ignores case and so skips the index; a range does not ('g' sorts after
      // every hex digit, so [prefix, prefix+'g') is exactly the revisions starting with it).
      add((p) => `revision >= ${p}`, prefix);
      add((p) => `revision < ${p}`, `${prefix}g`);
    }
  }
  if (q.user) add((p) => `username = ${p}`, q.user);
  if (q.project) add((p) => `project = ${p}`, q.project);
  // Both stores compare ISO-8601 UTC instants: PostgreSQL as timestamptz, SQLite as text written
  // by toISOString (fixed width, so text order is time order).
  if (q.since) add((p) => `started_at >= ${p}`, q.since.toISOString());
  if (q.until) add((p) => `started_at <= ${p}`, q.until.toISOString());
  const limit = q.limit ?? 100;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT)
    throw new AuditQueryError(`limit must be an integer from 1 to ${MAX_LIMIT}, got ${limit}`);
  params.push(limit);
  return { where: where.length ? ` WHERE ${where.join(' AND ')}` : '', params, limit: ph() };
}
