import pg from 'pg';
import type { SqlDriver } from './sql-store.js';

/** The production store: a PostgreSQL server, through a small connection pool. */
export function openPostgresDriver(url: string): SqlDriver {
  // Bounded waits: the controller awaits each record, and an unreachable database must cost a
  // reconcile seconds (then an error in the log), never hang it.
  const pool = new pg.Pool({
    connectionString: url,
    max: 4,
    connectionTimeoutMillis: 5000,
    query_timeout: 10_000,
    statement_timeout: 10_000,
  });
  // An idle client losing its connection (server restart) must not crash the hub; the pool
  // replaces it on the next query.
  pool.on('error', () => undefined);
  return {
    query: async <R>(text: string, params?: unknown[]) => {
      const res = await pool.query(text, params);
      return { rows: res.rows as R[] };
    },
    exec: async (sql) => {
      await pool.query(sql);
    },
    close: () => pool.end(),
  };
}
