import { execFileSync } from 'node:child_process';
import {
  accessSync,
  chownSync,
  constants,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from './ports.js';
import { startProcess } from './process.js';
import { waitFor } from './wait.js';

/** A throwaway PostgreSQL server for one test file. */
export interface PostgresHandle {
  /** `postgres://gitfleet@127.0.0.1:PORT/postgres` (trust authentication, loopback only). */
  url: string;
  /** Kills the server by its PID and deletes its data. */
  stop(): Promise<void>;
}

const APT_HINT = "install it with 'apt-get install -y postgresql'";

/** A PostgreSQL server binary: on PATH, else in Debian's versioned directory. */
export function postgresBinary(name: 'initdb' | 'postgres'): string {
  const dirs = (process.env.PATH ?? '').split(':');
  try {
    const versions = readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a));
    dirs.push(...versions.map((v) => `/usr/lib/postgresql/${v}/bin`));
  } catch {
    // no Debian PostgreSQL at all
  }
  for (const d of dirs) {
    try {
      accessSync(join(d, name), constants.X_OK);
      return join(d, name);
    } catch {
      // keep looking
    }
  }
  throw new Error(`PostgreSQL's ${name} is not installed: ${APT_HINT}`);
}

/** PostgreSQL refuses to run as root: under root, the server runs as the `postgres` user. */
function postgresUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('postgres:'));
  const [, , uid, gid] = line?.split(':') ?? [];
  if (!uid || !gid) throw new Error(`running as root and there is no postgres user: ${APT_HINT}`);
  return { uid: Number(uid), gid: Number(gid) };
}

/**
 * Starts a fresh cluster: `initdb` into a temporary directory, then `postgres -D dir -p port -k
 * socketdir` as a plain child process with a log file, killed by its own PID on stop (or by the
 * harness's exit hooks). fsync is off: the data is thrown away, and tests are not about disks.
 */
export async function startPostgres(opts: { logDir: string; name?: string }): Promise<PostgresHandle> {
  const initdb = postgresBinary('initdb');
  const server = postgresBinary('postgres');
  const user = postgresUser();
  const root = mkdtempSync(join(tmpdir(), 'gitfleet-pg-'));
  const data = join(root, 'data');
  const sockets = join(root, 'sockets');
  mkdirSync(data, { mode: 0o700 });
  mkdirSync(sockets, { mode: 0o700 });
  if (user) for (const d of [root, data, sockets]) chownSync(d, user.uid, user.gid);
  try {
    execFileSync(initdb, ['-D', data, '-U', 'gitfleet', '--auth=trust', '-E', 'UTF8', '--no-sync'], {
      stdio: 'pipe',
      ...(user ? { uid: user.uid, gid: user.gid } : {}),
    });
  } catch (e) {
    const err = e as { stderr?: Buffer };
    rmSync(root, { recursive: true, force: true });
    throw new Error(`initdb failed: ${err.stderr?.toString() ?? String(e)}`);
  }
  const port = await freePort();
  const args = ['-D', data, '-p', String(port), '-k', sockets, '-c', 'listen_addresses=127.0.0.1'];
  args.push('-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'shared_buffers=16MB');
  // setpriv execs (no fork), so the PID we record and kill is the postmaster itself.
  const proc = user
    ? startProcess({
        name: opts.name ?? `postgres-${port}`,
        command: 'setpriv',
        args: [
          '--reuid',
          String(user.uid),
          '--regid',
          String(user.gid),
          '--clear-groups',
          '--',
          server,
          ...args,
        ],
        logDir: opts.logDir,
      })
    : startProcess({ name: opts.name ?? `postgres-${port}`, command: server, args, logDir: opts.logDir });
  const url = `postgres://gitfleet@127.0.0.1:${port}/postgres`;
  const stop = async (): Promise<void> => {
    await proc.stop(10_000);
    rmSync(root, { recursive: true, force: true });
  };
  try {
    await waitFor(
      `postgres on port ${port}`,
      async () => {
        if (!proc.running) throw new Error(`postgres exited:\n${proc.tail()}`);
        const c = new pg.Client({ connectionString: url });
        try {
          await c.connect();
          await c.query('SELECT 1');
          return true;
        } catch {
          return false;
        } finally {
          await c.end().catch(() => undefined);
        }
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
  } catch (e) {
    await stop();
    throw e;
  }
  return { url, stop };
}
