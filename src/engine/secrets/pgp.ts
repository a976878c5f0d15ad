/**
 * PGP keys for sops without putting them on disk: GnuPG needs a home directory holding the
 * private key, so each decryption run gets its own 0700 directory on a memory-backed file system
 * (tmpfs, /dev/shm), imports the keys there through stdin, hands it to sops as GNUPGHOME, then
 * kills that home's gpg-agent and removes the directory. Where no tmpfs is available PGP keys are
 * refused with the reason, rather than written to a disk.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statfsSync } from 'node:fs';
import { join } from 'node:path';
import { GitfleetError } from '../../core/errors.js';

/** statfs(2) type of tmpfs (linux/magic.h TMPFS_MAGIC). */
const TMPFS_MAGIC = 0x01021994;
/** Where the homes are made; overridable for tests and hosts that mount another tmpfs. */
const shmDir = (): string => process.env.GITFLEET_GNUPG_TMPFS ?? '/dev/shm';

/** The memory-backed directory homes are made in, or throws naming why PGP cannot be used. */
export function memoryDir(): string {
  const dir = shmDir();
  let type: number;
  try {
    type = statfsSync(dir).type;
  } catch {
    throw new GitfleetError(
      'decrypt.PgpUnavailable',
      `PGP keys are refused: GnuPG needs a home directory for the private key and ${dir} (a tmpfs, so the key stays in memory) does not exist; use age keys, or mount a tmpfs and set GITFLEET_GNUPG_TMPFS`,
    );
  }
  if (type !== TMPFS_MAGIC) {
    throw new GitfleetError(
      'decrypt.PgpUnavailable',
      `PGP keys are refused: ${dir} is not a tmpfs, so GnuPG's home would put the private key on disk; use age keys, or set GITFLEET_GNUPG_TMPFS to a tmpfs`,
    );
  }
  return dir;
}

interface Run {
  code: number | null;
  stderr: string;
}

function run(cmd: string, args: string[], home: string, stdin: string, timeoutMs: number): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/nonexistent', GNUPGHOME: home },
      stdio: ['pipe', 'ignore', 'pipe'],
      cwd: home,
    });
    const err: Buffer[] = [];
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (e.code === 'ENOENT') {
        reject(
          new GitfleetError(
            'decrypt.ToolMissing',
            `${cmd} not found: PGP keys need GnuPG (Debian: apt-get install gnupg)`,
          ),
        );
      } else reject(new GitfleetError('decrypt.Failed', `running ${cmd}: ${e.message}`));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr: Buffer.concat(err).toString('utf8') });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(stdin);
  });
}

/**
 * Runs `fn` with a GnuPG home holding `armoredKeys` (ASCII-armored private keys, no passphrase,
 * as Flux expects), then kills its agent and removes it, whatever `fn` did. `source` names where
 * the keys came from in errors; key material is never echoed.
 */
export async function withGnupgHome<T>(
  armoredKeys: readonly { entry: string; key: string }[],
  source: string,
  fn: (home: string) => Promise<T>,
): Promise<T> {
  const home = mkdtempSync(join(memoryDir(), 'gitfleet-gnupg-'));
  try {
    for (const { entry, key } of armoredKeys) {
      const r = await run('gpg', ['--batch', '--no-tty', '--quiet', '--import'], home, key, 30_000);
      if (r.code !== 0) {
        throw new GitfleetError(
          'decrypt.InvalidKey',
          `${source}: entry ${entry} could not be imported as a PGP private key (gpg exit ${String(r.code)})`,
        );
      }
    }
    return await fn(home);
  } finally {
    // The agent holds the unlocked key in its memory: end it before the home goes.
    await run('gpgconf', ['--kill', 'all'], home, '', 10_000).catch(() => undefined);
    rmSync(home, { recursive: true, force: true });
  }
}
