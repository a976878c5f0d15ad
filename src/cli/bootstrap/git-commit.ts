import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gitEnv, scrubber, type GitCredentials } from '../../engine/source/git-exec.js';

/** What `commitTree` did: the commit the branch now points at, and whether it made it. */
export interface CommitResult {
  sha: string;
  changed: boolean;
}

export interface CommitRequest {
  repoURL: string;
  branch: string;
  /** Directory in the repository that `files` and `dirs` replace (relative, checked by the caller). */
  path: string;
  /** Files to write under `path`: relative name → content. */
  files: Record<string, string>;
  /** Directories to copy under `path`: relative name → local directory (replaced whole). */
  dirs: Record<string, string>;
  message: string;
  creds?: GitCredentials;
  timeoutMs?: number;
}

/**
 * Writes `files` and `dirs` under `path` on `branch` of the repository and pushes one commit, or
 * nothing when the tree is already identical (a re-run is a no-op). Works on an empty repository
 * or a missing branch (the branch is created). Credentials reach git only through its environment
 * (gitEnv: an Authorization header in GIT_CONFIG_*), never argv, the URL or a file, and are scrubbed
 * from any error text.
 */
export async function commitTree(req: CommitRequest): Promise<CommitResult> {
  const work = mkdtempSync(join(tmpdir(), 'gitfleet-bootstrap-'));
  const scrub = scrubber(req.creds);
  const home = join(work, 'home');
  const repo = join(work, 'repo');
  mkdirSync(home);
  const env = gitEnv(home, req.creds);
  const git = (args: string[]): Promise<string> =>
    new Promise((resolve, reject) => {
      execFile(
        'git',
        ['-C', repo, '-c', 'core.hooksPath=/dev/null', ...args],
        { env, timeout: req.timeoutMs ?? 60_000, maxBuffer: 16 * 1024 * 1024 },
        (err, stdout, stderr) => {
          if (!err) return resolve(stdout);
          const code = (err as { code?: unknown }).code;
          const e = new Error(
            `git ${args[0]} (${scrub(req.repoURL)}): ${scrub(stderr.trim() || err.message)}`,
          ) as Error & { exitCode?: unknown };
          e.exitCode = code;
          reject(e);
        },
      );
    });
  try {
    mkdirSync(repo);
    await git(['init', '-q']);
    let exists = true;
    try {
      await git(['fetch', '-q', '--depth=1', '--end-of-options', req.repoURL, `refs/heads/${req.branch}`]);
    } catch (e) {
      // An empty repository, or a branch not there yet: the first commit creates it.
      if (!/couldn't find remote ref|not found in upstream/i.test((e as Error).message)) throw e;
      exists = false;
    }
    if (exists) await git(['checkout', '-q', '-B', req.branch, 'FETCH_HEAD']);
    else await git(['checkout', '-q', '--orphan', req.branch]);
    const base = join(repo, req.path);
    for (const [name, from] of Object.entries(req.dirs)) {
      rmSync(join(base, name), { recursive: true, force: true });
      cpSync(from, join(base, name), { recursive: true });
    }
    for (const [name, content] of Object.entries(req.files)) {
      mkdirSync(dirname(join(base, name)), { recursive: true });
      writeFileSync(join(base, name), content);
    }
    await git(['add', '-A', '--', req.path]);
    const staged = await git(['diff', '--cached', '--name-only']);
    if (exists && staged.trim() === '')
      return { sha: (await git(['rev-parse', 'HEAD'])).trim(), changed: false };
    await git([
      '-c',
      'user.name=gitfleet bootstrap',
      '-c',
      'user.email=bootstrap@gitfleet.dev',
      'commit',
      '-q',
      '-m',
      req.message,
    ]);
    await git(['push', '-q', '--end-of-options', req.repoURL, `HEAD:refs/heads/${req.branch}`]);
    return { sha: (await git(['rev-parse', 'HEAD'])).trim(), changed: true };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
