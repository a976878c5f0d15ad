import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, lstat, mkdtemp, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { gitEnv, outcomeError, supervise, type ExecOptions, type Outcome } from './git-exec.js';
import { archiveArgs } from './mirror.js';
import { mapLimit } from '../../core/concurrency.js';

/** Whether a finished checkout is at `dir` (only complete checkouts are ever renamed there). */
export async function isDirectory(dir: string): Promise<boolean> {
  try {
    return (await stat(dir)).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Writes the tree of commit `sha` from the mirror `mirrorDir` into `final`, atomically: `git
 * archive` is piped into `tar -x` in a temporary sibling directory, which is made read-only and
 * then renamed to `final`. If another process got there first, its checkout is kept (same commit,
 * same content) and ours is removed. Symlinks are extracted as symlinks; the render stage's confinement decides later
 * whether following them is allowed. GNU tar already refuses members with `..` or absolute names
 * and defers symlinks that point outside, so a crafted tree cannot write outside the directory.
 */
export async function extractCommit(
  mirrorDir: string,
  sha: string,
  final: string,
  checkoutsDir: string,
  exec: ExecOptions,
): Promise<number> {
  const tmp = await mkdtemp(join(checkoutsDir, `.tmp-${sha}-`));
  try {
    await pipeArchive(mirrorDir, sha, tmp, exec);
    const bytes = await makeReadOnly(tmp);
    try {
      // Same parent directory, so renaming a read-only directory needs no write access to it.
      await rename(tmp, final);
    } catch (e) {
      if (!(await isDirectory(final))) throw e;
      await forceRemove(tmp);
    }
    return bytes;
  } catch (e) {
    await forceRemove(tmp);
    throw e;
  }
}

async function pipeArchive(mirrorDir: string, sha: string, dest: string, exec: ExecOptions): Promise<void> {
  if (exec.signal?.aborted)
    throw outcomeError('git archive', { code: null, stderr: '', stopped: 'aborted' }, exec);
  const archive = spawn(exec.gitBinary, archiveArgs(mirrorDir, sha), {
    detached: true,
    env: gitEnv(exec.home, undefined),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // --no-same-owner: as root, tar would otherwise apply the archive's uid/gid.
  const tar = spawn('tar', ['-x', '-f', '-', '-C', dest, '--no-same-owner', '--no-same-permissions'], {
    detached: true,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C' },
    stdio: ['pipe', 'ignore', 'pipe'],
  });
  // tar may exit early (its own error); git then sees EPIPE, which its exit status reports.
  tar.stdin.on('error', () => undefined);
  archive.stdout.pipe(tar.stdin);
  const a = supervise(archive, exec);
  const t = supervise(tar, exec);
  const failed = (o: Outcome): boolean =>
    o.code !== 0 || o.stopped !== undefined || o.spawnError !== undefined;
  // Whichever side ends first takes the other down if it failed, so neither waits for the timeout
  // (when the first one succeeded, the other is the only one left and ends on its own).
  const first = await Promise.race([
    a.done.then((o) => ({ o, other: t })),
    t.done.then((o) => ({ o, other: a })),
  ]);
  if (failed(first.o)) first.other.stop('peer');
  const [ao, to] = await Promise.all([a.done, t.done]);
  if (failed(ao) && ao.stopped !== 'peer') throw outcomeError('git archive', ao, { ...exec, remote: false });
  if (failed(to)) throw outcomeError('tar', to, { ...exec, remote: false });
  if (failed(ao)) throw outcomeError('git archive', ao, { ...exec, remote: false });
}

/**
 * Takes write permission away from everything under `dir` (executables stay executable), so a
 * renderer that tries to write into a shared checkout fails instead of changing it for everyone.
 * Symlinks are skipped: Linux has no permissions on links themselves. Returns the bytes of the
 * files, for the checkout disk budget.
 */
async function makeReadOnly(dir: string): Promise<number> {
  // Many calls in flight, not one after another: each await of a busy hub's event loop costs far
  // more than the system call, and a monorepo's checkout has thousands of files (a sequential walk
  // took 0.5–2 s of a push's commit→applied for 2,216 files under load).
  // Level by level, READ_ONLY_CONCURRENCY directories at a time: a tenant's tree of any shape
  // costs bounded work in flight. Symlinks are neither followed nor changed (chmod would follow
  // one to its target, anywhere on the hub's disk).
  const files: string[] = [];
  const dirs: string[] = [];
  for (let level = [dir]; level.length;) {
    const next: string[] = [];
    await mapLimit(level, READ_ONLY_CONCURRENCY, async (d) => {
      dirs.push(d);
      for (const entry of await readdir(d, { withFileTypes: true })) {
        const path = join(d, entry.name);
        if (entry.isDirectory()) next.push(path);
        else if (entry.isFile()) files.push(path);
      }
    });
    level = next;
  }
  const sizes = await mapLimit(files, READ_ONLY_CONCURRENCY, async (path) => {
    const { mode, size } = await lstat(path);
    await chmod(path, mode & 0o111 ? 0o555 : 0o444);
    return size;
  });
  // Directories after their files (a file's mode can change in a read-only directory, but the
  // directories going last keeps the tree writable until every file is done).
  await mapLimit(dirs, READ_ONLY_CONCURRENCY, (d) => chmod(d, 0o555));
  return sizes.reduce((a, b) => a + b, 0);
}

/** System calls in flight while a checkout is made read-only (libuv queues them on its threads). */
const READ_ONLY_CONCURRENCY = 64;

/** Bytes of the files under `dir` (symlinks not followed); 0 when it is gone. */
export async function directorySize(dir: string): Promise<number> {
  let bytes = 0;
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) bytes += await directorySize(path);
    else if (entry.isFile()) bytes += (await lstat(path).catch(() => ({ size: 0 }))).size;
  }
  return bytes;
}

/**
 * Removes a checkout: renamed aside first (one atomic step, so the name is free at once and no
 * reader ever sees a half-deleted tree under it), then deleted.
 */
export async function removeCheckout(checkoutsDir: string, sha: string): Promise<void> {
  const trash = join(checkoutsDir, `.trash-${sha}-${randomBytes(4).toString('hex')}`);
  try {
    await rename(join(checkoutsDir, sha), trash);
  } catch {
    return; // already gone
  }
  await forceRemove(trash);
}

/** rm -rf that also works on read-only trees when not running as root. */
export async function forceRemove(dir: string): Promise<void> {
  const makeWritable = async (d: string): Promise<void> => {
    await chmod(d, 0o755);
    for (const entry of await readdir(d, { withFileTypes: true }))
      if (entry.isDirectory()) await makeWritable(join(d, entry.name));
  };
  await makeWritable(dir).catch(() => undefined);
  await rm(dir, { recursive: true, force: true });
}
