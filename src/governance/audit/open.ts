import { openPgliteDriver } from './pglite-driver.js';
import { openPostgresDriver } from './postgres-driver.js';
import { SqlAuditStore } from './sql-store.js';
import type { AuditStore } from './types.js';

/** Whether a store location names a PostgreSQL server rather than an embedded data directory. */
export function isPostgresUrl(location: string): boolean {
  return /^postgres(ql)?:\/\//.test(location);
}

/**
 * Opens the audit store at `location`: a `postgres://` URL for PostgreSQL, anything else is the
 * data directory of the embedded store (created when missing). The schema is created or
 * checked before this resolves.
 */
export async function openAuditStore(location: string): Promise<AuditStore> {
  const driver = isPostgresUrl(location) ? openPostgresDriver(location) : await openPgliteDriver(location);
  try {
    return await SqlAuditStore.open(driver);
  } catch (e) {
    await driver.close().catch(() => undefined);
    throw e;
  }
}
