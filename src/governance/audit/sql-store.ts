import { GitfleetError } from '../../core/errors.js';
import { AUDIT_SCHEMA, AUDIT_TABLE } from './schema.js';
import type { AuditEntry, AuditObject, AuditQuery, AuditRecord, AuditStore } from './types.js';

/** The little a store needs from a PostgreSQL client; PGlite and `pg` both fit it. */
export interface SqlDriver {
  query<R>(text: string, params?: unknown[]): Promise<{ rows: R[] }>;
  /** Several statements in one string, no parameters. */
  exec(sql: string): Promise<void>;
  close(): Promise<void>;
}

interface Row {
  id: string | number;
  started_at: Date | string;
  duration_ms: number;
  operation: AuditEntry['operation'];
  trigger: AuditEntry['trigger'];
  username: string | null;
  app_namespace: string;
  app: string;
  project: string;
  cluster: string;
  namespace: string;
  revision: string;
  repo_url: string;
  result: AuditEntry['result'];
  message: string;
  objects: AuditObject[] | string;
  unchanged: number;
}

/** An audit query that cannot be answered as asked (bad commit, limit or time). */
export class AuditQueryError extends GitfleetError {
  constructor(message: string) {
    super('audit.BadQuery', message);
  }
}

const MAX_LIMIT = 1000;

/**
 * The audit store over any PostgreSQL dialect driver. Writes are INSERTs only: the class has no
 * update or delete path, and the table's trigger refuses them from anyone else.
 */
export class SqlAuditStore implements AuditStore {
  readonly #db: SqlDriver;

  private constructor(db: SqlDriver) {
    this.#db = db;
  }

  /** Creates the table, indexes and append-only trigger when missing; safe to run on every start. */
  static async open(db: SqlDriver): Promise<SqlAuditStore> {
    await db.exec(AUDIT_SCHEMA);
    return new SqlAuditStore(db);
  }

  async record(e: AuditRecord): Promise<void> {
    await this.#db.query(
      `INSERT INTO ${AUDIT_TABLE} (started_at, duration_ms, operation, trigger, username, app_namespace, app,
         project, cluster, namespace, revision, repo_url, result, message, objects, unchanged)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15::jsonb, $16)`,
      [
        e.startedAt.toISOString(),
        Math.round(e.durationMs),
        e.operation,
        e.trigger,
        e.user ?? null,
        e.appNamespace,
        e.app,
        e.project,
        e.cluster,
        e.namespace,
        e.revision,
        e.repoURL,
        e.result,
        e.message,
        JSON.stringify(e.objects),
        e.unchanged,
      ],
    );
  }

  async query(q: AuditQuery): Promise<AuditEntry[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: (p: string) => string, value: unknown): void => {
      params.push(value);
      where.push(sql(`$${params.length}`));
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
      add((p) => `revision LIKE ${p}`, `${q.commit.toLowerCase()}%`);
    }
    if (q.user) add((p) => `username = ${p}`, q.user);
    if (q.project) add((p) => `project = ${p}`, q.project);
    if (q.since) add((p) => `started_at >= ${p}`, q.since.toISOString());
    if (q.until) add((p) => `started_at <= ${p}`, q.until.toISOString());
    const limit = q.limit ?? 100;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT)
      throw new AuditQueryError(`limit must be an integer from 1 to ${MAX_LIMIT}, got ${limit}`);
    params.push(limit);
    const res = await this.#db.query<Row>(
      `SELECT * FROM ${AUDIT_TABLE}${where.length ? ` WHERE ${where.join(' AND ')}` : ''}
       ORDER BY started_at DESC, id DESC LIMIT $${params.length}`,
      params,
    );
    return res.rows.map(toEntry);
  }

  close(): Promise<void> {
    return this.#db.close();
  }
}

function toEntry(r: Row): AuditEntry {
  return {
    id: Number(r.id),
    operation: r.operation,
    trigger: r.trigger,
    ...(r.username !== null ? { user: r.username } : {}),
    appNamespace: r.app_namespace,
    app: r.app,
    project: r.project,
    cluster: r.cluster,
    namespace: r.namespace,
    revision: r.revision,
    repoURL: r.repo_url,
    result: r.result,
    message: r.message,
    startedAt: new Date(r.started_at),
    durationMs: r.duration_ms,
    objects: typeof r.objects === 'string' ? (JSON.parse(r.objects) as AuditObject[]) : r.objects,
    unchanged: r.unchanged,
  };
}
