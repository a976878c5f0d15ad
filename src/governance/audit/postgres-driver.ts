import pg from 'pg';
import type { SqlDriver } from './sql-store.js';

/** The production store: a PostgreSQL server, through a small connection pool. */
export function openPostgresDriver(url: string): SqlDriver {
  const pool = new pg.Pool({ connectionString: url, max: 4 });
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
