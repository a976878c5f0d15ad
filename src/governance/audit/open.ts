import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { GitfleetError } from '../../core/errors.js';
import { entriesAfter, SqlAuditStore } from './sql-store.js';
import type { SqliteAuditStore } from './sqlite-store.js';
import type { AuditStore } from './types.js';

/** The embedded store's file inside its data directory. */
export const SQLITE_FILE = 'audit.sqlite';

/** Whether a store location names a PostgreSQL server rather than an embedded data directory. */
export function isPostgresUrl(location: string): boolean {
  return /^postgres(ql)?:\/\//.test(location);
}

/** Options of openAuditStore. */
export interface OpenAuditOptions {
  /** Told once when an earlier embedded (PGlite) trail found in the directory was copied over. */
  onImport?: (message: string) => void;
}

/**
 * Opens the audit store at `location`: a `postgres://` URL for PostgreSQL, anything else is the
 * data directory of the embedded SQLite store (created when missing). The schema is migrated
 * before this resolves.
 *
 * A directory that holds a trail written by the earlier embedded store (PGlite: a PostgreSQL data
 * directory, PG_VERSION at its top) is imported into the SQLite file once, on the first start,
 * and its files are left as they were: an audit trail is never dropped by an upgrade.
 */
export async function openAuditStore(location: string, opts: OpenAuditOptions = {}): Promise<AuditStore> {
  // Each store's driver is loaded only when it is the one in use: a hub on PostgreSQL never maps
  // SQLite's native module, and an embedded hub never loads `pg`.
  if (isPostgresUrl(location)) {
    const { openPostgresDriver } = await import('./postgres-driver.js');
    const driver = openPostgresDriver(location);
    try {
      return await SqlAuditStore.open(driver);
    } catch (e) {
      await driver.close().catch(() => undefined);
      throw e;
    }
  }
  try {
    mkdirSync(location, { recursive: true });
  } catch (e) {
    throw new GitfleetError(
      'audit.StoreUnavailable',
      `cannot create the audit store directory ${location}: ${(e as Error).message}`,
    );
  }
  const { SqliteAuditStore } = await import('./sqlite-store.js');
  const store = SqliteAuditStore.open(join(location, SQLITE_FILE));
  try {
    if (existsSync(join(location, 'PG_VERSION')) && !store.imported('pglite')) {
      const n = await importPglite(store, location);
      opts.onImport?.(
        `imported ${n} audit entries from the earlier embedded store (PGlite) in ${location} into ${SQLITE_FILE}; ` +
          'its files are kept and no longer written',
      );
    }
    return store;
  } catch (e) {
    await store.close().catch(() => undefined);
    throw e;
  }
}

async function importPglite(store: SqliteAuditStore, dir: string): Promise<number> {
  // Loaded only here: PGlite costs hundreds of MiB, paid once, on the upgrade's first start.
  const { openPgliteDriver } = await import('./pglite-driver.js');
  // Read as it is: no migration is run on it, so its files stay exactly as the old hub left them.
  const old = await openPgliteDriver(dir);
  try {
    return await store.importFrom('pglite', (after) => entriesAfter(old, after, 1000));
  } finally {
    await old.close();
  }
}
