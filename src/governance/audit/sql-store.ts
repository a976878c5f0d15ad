import { GroupCommit } from './batch.js';
import { POSTGRES_APPLIED, POSTGRES_MIGRATIONS, postgresMigrationScript } from './migrations.js';
import { auditWhere } from './query.js';
import { AUDIT_TABLE } from './schema.js';
import type { AuditEntry, AuditObject, AuditQuery, AuditRecord, AuditStore } from './types.js';

export { AuditQueryError } from './query.js';

/** The little a store needs from a PostgreSQL client; PGlite and `pg` both fit it. */
export interface SqlDriver {
  query<R>(text: string, params?: unknown[]): Promise<{ rows: R[] }>;
  /** Several statements in one string, no parameters. */
  exec(sql: string): Promise<void>;
  close(): Promise<void>;
}

/** A row of the audit table as either database returns it. */
export interface AuditRow {
  id: string | number | bigint;
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

/** The columns written, in order, and a record's values for them. */
export const INSERT_COLUMNS =
  'started_at, duration_ms, operation, trigger, username, app_namespace, app, project, cluster, namespace, revision, repo_url, result, message, objects, unchanged';

export function insertValues(e: AuditRecord): unknown[] {
  return [
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
  ];
}

/**
 * The audit store over a PostgreSQL server (or PGlite). Writes are INSERTs only: the class has no
 * update or delete path, and the table's trigger refuses them from anyone else. Records arriving
 * together are written by one multi-row INSERT (GroupCommit).
 */
export class SqlAuditStore implements AuditStore {
  readonly #db: SqlDriver;
  readonly #writer: GroupCommit<AuditRecord>;

  private constructor(db: SqlDriver) {
    this.#db = db;
    this.#writer = new GroupCommit((batch) => this.#insert(batch), { maxBatch: 200 });
  }

  /** Applies the migrations this database lacks; safe to run on every start, from every replica. */
  static async open(db: SqlDriver): Promise<SqlAuditStore> {
    const applied = await db
      .query<{ version: number }>(POSTGRES_APPLIED)
      .then((r) => new Set(r.rows.map((x) => Number(x.version))))
      .catch((e: unknown) => {
        // 42P01: no bookkeeping table yet (a new database, or one made before migrations).
        if ((e as { code?: string }).code === '42P01') return new Set<number>();
        throw e;
      });
    for (const m of POSTGRES_MIGRATIONS)
      if (!applied.has(m.version)) await db.exec(postgresMigrationScript(m));
    return new SqlAuditStore(db);
  }

  record(e: AuditRecord): Promise<void> {
    return this.#writer.add(e);
  }

  async #insert(batch: AuditRecord[]): Promise<void> {
    const params: unknown[] = [];
    const rows = batch.map((e) => {
      const at = params.length;
      params.push(...insertValues(e));
      const ph = Array.from({ length: 16 }, (_, i) => `$${at + i + 1}`);
      ph[14] = `${ph[14]}::jsonb`;
      return `(${ph.join(', ')})`;
    });
    await this.#db.query(`INSERT INTO ${AUDIT_TABLE} (${INSERT_COLUMNS}) VALUES ${rows.join(', ')}`, params);
  }

  async query(q: AuditQuery): Promise<AuditEntry[]> {
    const { where, params, limit } = auditWhere(q, 'postgres');
    const res = await this.#db.query<AuditRow>(
      `SELECT * FROM ${AUDIT_TABLE}${where} ORDER BY started_at DESC, id DESC LIMIT ${limit}`,
      params,
    );
    return res.rows.map(toEntry);
  }

  async close(): Promise<void> {
    await this.#writer.close();
    await this.#db.close();
  }
}

export function toEntry(r: AuditRow): AuditEntry {
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

/** Entries with an id above `afterId`, oldest first, read without touching the schema (imports). */
export async function entriesAfter(db: SqlDriver, afterId: number, limit: number): Promise<AuditEntry[]> {
  const res = await db.query<AuditRow>(`SELECT * FROM ${AUDIT_TABLE} WHERE id > $1 ORDER BY id LIMIT $2`, [
    afterId,
    limit,
  ]);
  return res.rows.map(toEntry);
}
