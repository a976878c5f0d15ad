import Database from 'libsql';
import { GitfleetError } from '../../core/errors.js';
import { GroupCommit } from './batch.js';
import { MIGRATIONS_TABLE, SQLITE_MIGRATIONS, SQLITE_MIGRATIONS_TABLE } from './migrations.js';
import { auditWhere } from './query.js';
import { AUDIT_TABLE } from './schema.js';
import { INSERT_COLUMNS, insertValues, toEntry, type AuditRow } from './sql-store.js';
import type { AuditEntry, AuditQuery, AuditRecord, AuditStore } from './types.js';

/**
 * The embedded audit store: one SQLite file, through libSQL's prebuilt native module. It costs
 * about 11 MiB and a few milliseconds to open, where PGlite cost hundreds of MiB. SQLite locks the
 * file itself, so a second process on the same file waits (busy timeout) instead of corrupting it;
 * still, several hub replicas belong on PostgreSQL.
 *
 * The driver is synchronous: every statement runs on the event loop. That is why writes go through
 * GroupCommit (one short transaction per turn, however many reconciles finished in it) and why the
 * journal is WAL with synchronous=NORMAL: a commit is a write into the WAL, with no fsync on the
 * event loop; a crash of the hub loses nothing committed, a power cut may lose the last commits.
 */
export class SqliteAuditStore implements AuditStore {
  readonly #db: Database.Database;
  readonly #writer: GroupCommit<AuditRecord>;
  readonly #insert: (batch: AuditRecord[]) => void;

  private constructor(db: Database.Database) {
    this.#db = db;
    const insert = db.prepare(
      `INSERT INTO ${AUDIT_TABLE} (${INSERT_COLUMNS}) VALUES (${Array(16).fill('?').join(', ')})`,
    );
    this.#insert = db.transaction((batch: AuditRecord[]) => {
      for (const e of batch) insert.run(...insertValues(e));
    });
    this.#writer = new GroupCommit((batch) => this.#insert(batch), { maxBatch: 500 });
  }

  /** Opens (creating when missing) the database file and applies the migrations it lacks. */
  static open(file: string): SqliteAuditStore {
    let db: Database.Database;
    try {
      db = new Database(file, { timeout: 5000 });
    } catch (e) {
      throw new GitfleetError(
        'audit.StoreUnavailable',
        `cannot open the embedded audit store ${file}: ${e instanceof Error ? e.message : String(e)}`,
      );
    }
    try {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      // An append-mostly log read by indexed queries needs little page cache (default is 2 MiB).
      db.pragma('cache_size = -1024');
      migrate(db);
    } catch (e) {
      db.close();
      throw e;
    }
    return new SqliteAuditStore(db);
  }

  record(e: AuditRecord): Promise<void> {
    return this.#writer.add(e);
  }

  query(q: AuditQuery): Promise<AuditEntry[]> {
    // Validation errors become rejections, as with the PostgreSQL store.
    try {
      const { where, params, limit } = auditWhere(q, 'sqlite');
      const rows = this.#db
        .prepare(`SELECT * FROM ${AUDIT_TABLE}${where} ORDER BY started_at DESC, id DESC LIMIT ${limit}`)
        .all(...params) as AuditRow[];
      return Promise.resolve(rows.map(toEntry));
    } catch (e) {
      return Promise.reject(e as Error);
    }
  }

  /** Whether a trail from `source` was imported already. */
  imported(source: string): boolean {
    return !!this.#db.prepare(`SELECT 1 FROM ${AUDIT_TABLE}_imports WHERE source = ?`).get(source);
  }

  /**
   * Copies entries from another store, in id order, keeping their ids when this trail is empty,
   * and marks `source` imported: all in one transaction, so an interrupted import leaves nothing.
   */
  async importFrom(source: string, read: (afterId: number) => Promise<AuditEntry[]>): Promise<number> {
    const keepIds = !this.#db.prepare(`SELECT 1 FROM ${AUDIT_TABLE} LIMIT 1`).get();
    const insert = this.#db.prepare(
      `INSERT INTO ${AUDIT_TABLE} (${keepIds ? 'id, ' : ''}${INSERT_COLUMNS}) VALUES (${Array(
        keepIds ? 17 : 16,
      )
        .fill('?')
        .join(', ')})`,
    );
    // Page by page, so a long trail never sits in memory whole; nothing else writes meanwhile
    // (the store is not handed out before the import ends).
    let count = 0;
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      for (let page = await read(0); page.length; page = await read(page[page.length - 1]?.id ?? 0)) {
        for (const e of page) insert.run(...(keepIds ? [e.id] : []), ...insertValues(e));
        count += page.length;
      }
      this.#db
        .prepare(`INSERT INTO ${AUDIT_TABLE}_imports (source, entries) VALUES (?, ?)`)
        .run(source, count);
      this.#db.exec('COMMIT');
    } catch (e) {
      this.#db.exec('ROLLBACK');
      throw e;
    }
    return count;
  }

  async close(): Promise<void> {
    await this.#writer.close();
    this.#db.close();
  }
}

function migrate(db: Database.Database): void {
  db.exec(SQLITE_MIGRATIONS_TABLE);
  // IMMEDIATE takes the write lock first: a second process opening the same file waits, then
  // sees the versions the first one recorded.
  db.transaction(() => {
    const applied = new Set(
      (db.prepare(`SELECT version FROM ${MIGRATIONS_TABLE}`).all() as { version: number }[]).map(
        (r) => r.version,
      ),
    );
    for (const m of SQLITE_MIGRATIONS) {
      if (applied.has(m.version)) continue;
      db.exec(m.sql);
      db.prepare(`INSERT INTO ${MIGRATIONS_TABLE} (version, name) VALUES (?, ?)`).run(m.version, m.name);
    }
  }).immediate();
}
