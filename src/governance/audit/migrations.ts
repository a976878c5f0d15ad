import { POSTGRES_V1, SQLITE_V1 } from './schema.js';

/** One change to the audit schema, applied once per database, in version order. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** Where a database records which migrations it has had. */
export const MIGRATIONS_TABLE = 'gitfleet_audit_migrations';

/**
 * PostgreSQL migrations. Each must be idempotent (IF NOT EXISTS, OR REPLACE): replicas starting
 * together can both find a version missing; the advisory lock runs them one after the other, and
 * the second run must then change nothing. Databases made before migrations existed hold exactly
 * version 1, which is why version 1 is the old schema, unchanged.
 */
export const POSTGRES_MIGRATIONS: readonly Migration[] = [
  { version: 1, name: 'audit table', sql: POSTGRES_V1 },
];

/** SQLite migrations: each runs in one IMMEDIATE transaction, so a second process waits, then skips it. */
export const SQLITE_MIGRATIONS: readonly Migration[] = [{ version: 1, name: 'audit table', sql: SQLITE_V1 }];

/** The advisory lock key that serialises schema changes between hub replicas on one PostgreSQL. */
const PG_LOCK = 7406119;

/** The script that applies one PostgreSQL migration and records it, as one implicit transaction. */
export function postgresMigrationScript(m: Migration): string {
  return `SELECT pg_advisory_xact_lock(${PG_LOCK});
CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} (
  version    integer     PRIMARY KEY,
  name       text        NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
);
${m.sql}
INSERT INTO ${MIGRATIONS_TABLE} (version, name) VALUES (${m.version}, '${m.name.replace(/'/g, "''")}')
  ON CONFLICT (version) DO NOTHING;`;
}

/** Versions a PostgreSQL database already has (none when the bookkeeping table is missing). */
export const POSTGRES_APPLIED = `SELECT version FROM ${MIGRATIONS_TABLE}`;

export const SQLITE_MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} (
  version    INTEGER PRIMARY KEY,
  name       TEXT    NOT NULL,
  applied_at TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);`;
