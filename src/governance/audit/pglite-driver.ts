import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { GitfleetError } from '../../core/errors.js';
import type { SqlDriver } from './sql-store.js';

const LOCK = 'gitfleet-audit.lock';

/**
 * The embedded store: PostgreSQL compiled to WASM (PGlite) with its data directory on disk. One
 * process at a time: PGlite has no locking of its own and two writers would corrupt the files, so
 * a lock file naming our PID guards the directory (a lock left by a dead process is taken over).
 */
export async function openPgliteDriver(dataDir: string): Promise<SqlDriver> {
  mkdirSync(dataDir, { recursive: true });
  const lock = join(dataDir, LOCK);
  takeLock(lock);
  let db: PGlite;
  try {
    // An audit log needs little cache: 16 MB of shared buffers instead of 128 MB saves ~120 MB RSS.
    db = await PGlite.create(dataDir, { postgresqlconf: 'shared_buffers = 16MB\nwork_mem = 1MB\n' });
  } catch (e) {
    rmSync(lock, { force: true });
    throw e;
  }
  return {
    query: async <R>(text: string, params?: unknown[]) => ({ rows: (await db.query<R>(text, params)).rows }),
    exec: async (sql) => {
      await db.exec(sql);
    },
    close: async () => {
      await db.close();
      rmSync(lock, { force: true });
    },
  };
}

function takeLock(path: string): void {
  try {
    writeFileSync(path, String(process.pid), { flag: 'wx' });
    return;
  } catch {
    // held: by a live process, or left behind by a dead one
  }
  const holder = Number(readFileSync(path, 'utf8').trim());
  if (holder && holder !== process.pid && alive(holder))
    throw new GitfleetError(
      'audit.StoreLocked',
      `the embedded audit store ${path.slice(0, -LOCK.length - 1)} is in use by process ${holder}; ` +
        'one hub process per data directory (use PostgreSQL for several replicas)',
    );
  writeFileSync(path, String(process.pid));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
