import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, lstat, mkdtemp, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { gitEnv, outcomeError, supervise, type ExecOptions, type Outcome } from './git-exec.js';
import { archiveArgs } from './mirror.js';

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
 * archive` is piped into `tar -x` in a temporary sibling directory, read-only as extracted (the
 * archive's own modes have no write bit: archiveArgs) and then renamed to `final`. Returns the
 * archive's bytes, the checkout's charge against the disk budget. If another process got there first, its checkout is kept (same commit,
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
  /** Only these repository paths (and what lies under them); the whole commit when absent. */
  paths?: readonly string[],
): Promise<number> {
  const tmp = await mkdtemp(join(checkoutsDir, `.tmp-${sha}-`));
  try {
    // Read-only as extracted (archiveArgs: tar.umask); only the top directory is ours to close.
    const bytes = await pipeArchive(mirrorDir, sha, tmp, exec, paths);
    await chmod(tmp, 0o555);
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

/** Extracts `sha` into `dest`; returns the bytes of the archive (files, plus 512 per entry). */
async function pipeArchive(
  mirrorDir: string,
  sha: string,
  dest: string,
  exec: ExecOptions,
  paths: readonly string[] | undefined,
): Promise<number> {
  if (exec.signal?.aborted)
    throw outcomeError('git archive', { code: null, stderr: '', stopped: 'aborted' }, exec);
  const archive = spawn(exec.gitBinary, archiveArgs(mirrorDir, sha, paths), {
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
  let bytes = 0;
  archive.stdout.on('data', (chunk: Buffer) => (bytes += chunk.length));
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
  return bytes;
}

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
