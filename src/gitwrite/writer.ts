/**
 * Git write-back: clone a branch into a private temporary directory with the automation's write
 * credentials, let the caller edit files, commit with the given author and message, push. A push
 * refused as non-fast-forward (someone else pushed first) starts over on a fresh clone with the edit
 * re-applied, a bounded number of times, so racing writers end in one linear history and no update
 * is lost. A push refused for any other reason (branch protection, read-only credentials) is a
 * clear error; nothing was pushed, and the temporary clone is removed either way.
 *
 * Credentials reach git only through its environment (the engine's gitEnv: an Authorization header
 * in GIT_CONFIG_*), never argv, URLs, files or logs; error text is scrubbed of them.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GitfleetError } from '../core/errors.js';
import { redactUrl } from '../engine/errors.js';
import {
  assertArgument,
  runGit,
  runGitResult,
  scrubber,
  type ExecOptions,
  type GitCredentials,
  type GitResult,
} from '../engine/source/git-exec.js';
import { locateRepo } from '../engine/source/url.js';

export interface GitAuthor {
  name: string;
  email: string;
}

export interface WriteRequest {
  repoURL: string;
  /** Write credentials (kept apart from the read credentials Applications use). */
  creds?: GitCredentials;
  /** The branch cloned and built on. */
  checkoutBranch: string;
  /**
   * Where the commit goes. The checkout branch (default): a fast-forward push, retried on a fresh
   * clone when refused. Another branch: it is reset to checkout + this one commit (force push), the
   * shape of a pull request branch that always carries the latest update; unchanged trees are not
   * pushed again.
   */
  pushBranch?: string;
  author: GitAuthor;
  /** The commit message, or a function building it after the edit (to list what changed). */
  message: string | (() => string);
  /**
   * Changes the work tree at `dir` and returns the repository-relative paths it changed (none:
   * nothing to commit). Called once per attempt, each time on a fresh clone, so it must derive its
   * edit from what it finds, not from an earlier attempt.
   */
  edit(dir: string, attempt: number): Promise<string[]>;
}

export interface WriteResult {
  /** The pushed commit; absent when the edit changed nothing (or the push branch already had it). */
  commit?: string;
  /** The checkout branch's head the commit was built on. */
  base: string;
  changed: string[];
  attempts: number;
}

export interface GitWriterOptions {
  gitBinary?: string;
  /** Parent of the private temporary clones; the OS temporary directory by default. */
  workDir?: string;
  timeoutMs?: number;
  /** Attempts when the push is refused as non-fast-forward; default 5. */
  maxAttempts?: number;
}

/** Thrown for a push the server refused for good (protection, permissions): not retried. */
export class PushRefusedError extends GitfleetError {}

const NON_FAST_FORWARD =
  /\[rejected\][^\n]*(non-fast-forward|fetch first|stale info)|Updates were rejected because|failed to update ref|cannot lock ref|incorrect old value/iu;
const PROTECTED =
  /protected branch|GH006|pre-receive hook declined|not allowed to push|push declined|You are not allowed|\[remote rejected\]/iu;

/** What hosts say when branch protection refuses a push (Gitea, GitHub's GH006, GitLab). */
const BRANCH_PROTECTED = /protected branch|GH006|protected branches/iu;

/**
 * The error for a push the server refused for good. Branch protection gets its own code
 * (`gitwrite.BranchProtected`) and names the repository and branch, since the fix is on the host
 * (allow the bot to push) or in the spec (push to another branch and open a pull request).
 */
export function pushRefusal(
  text: string,
  stderr: string,
  repoURL: string,
  pushBranch: string,
  scrub: (s: string) => string,
): PushRefusedError {
  const detail = scrub(stderr.trim())
    .split('\n')
    .filter((l) => /remote:|error:|!/u.test(l))
    .slice(-3)
    .join(' | ');
  const tail = `nothing was pushed${detail ? ` (${detail})` : ''}`;
  const repo = redactUrl(repoURL);
  if (BRANCH_PROTECTED.test(text))
    return new PushRefusedError(
      'gitwrite.BranchProtected',
      `${repo}: branch ${pushBranch} is protected and the server refused the push; ${tail}. ` +
        'Allow this identity to push to it on the Git host, or push to another branch and open a pull request',
    );
  const reason = PROTECTED.test(text)
    ? `the server refused the push to ${pushBranch} (branch protection or missing write permission)`
    : /returned error: 40[13]|Authentication failed|could not read Username/iu.test(text)
      ? `the write credentials were refused for ${pushBranch}`
      : `push to ${pushBranch} failed`;
  return new PushRefusedError('gitwrite.PushRefused', `${repo}: ${reason}; ${tail}`);
}

export class GitWriter {
  readonly #o: Required<GitWriterOptions>;

  constructor(o: GitWriterOptions = {}) {
    this.#o = {
      gitBinary: 'git',
      workDir: tmpdir(),
      timeoutMs: 120_000,
      maxAttempts: 5,
      ...o,
    };
  }

  async write(req: WriteRequest): Promise<WriteResult> {
    const loc = locateRepo(req.repoURL);
    if (loc.ssh)
      throw new GitfleetError(
        'gitwrite.Unsupported',
        `${redactUrl(req.repoURL)}: write-back over SSH is not supported yet; use an https URL and a token`,
      );
    const pushBranch = req.pushBranch ?? req.checkoutBranch;
    for (const v of [req.author.name, req.author.email])
      // eslint-disable-next-line no-control-regex
      if (/[\u0000-\u001f\u007f<>]/u.test(v) || v.trim() === '')
        throw new GitfleetError(
          'gitwrite.InvalidAuthor',
          `commit author ${JSON.stringify(v)} is empty or holds control characters or <>`,
        );
    for (const [v, what] of [
      [req.checkoutBranch, 'checkout branch'],
      [pushBranch, 'push branch'],
    ] as const) {
      assertArgument(v, what, req.repoURL);
      if (!/^[A-Za-z0-9._/-]+$/u.test(v) || v.includes('..') || v.endsWith('/') || v.endsWith('.lock'))
        throw new GitfleetError(
          'gitwrite.InvalidBranch',
          `${what} ${JSON.stringify(v)} is not a valid branch name`,
        );
    }
    let attempt = 0;
    for (;;) {
      attempt++;
      const outcome = await this.#attempt(req, loc.fetchUrl, pushBranch, attempt);
      if (outcome !== 'retry') return outcome;
      if (attempt >= this.#o.maxAttempts)
        throw new GitfleetError(
          'gitwrite.Conflict',
          `${redactUrl(req.repoURL)}: branch ${pushBranch} kept moving; gave up after ${attempt} attempts (nothing was pushed)`,
          { transient: true },
        );
      // Spread racing writers apart a little before the fresh clone.
      await new Promise((r) => setTimeout(r, 50 + Math.floor(Math.random() * 200 * attempt)));
    }
  }

  async #attempt(
    req: WriteRequest,
    url: string,
    pushBranch: string,
    attempt: number,
  ): Promise<WriteResult | 'retry'> {
    // 0700, private to this process; removed whatever happens.
    const home = await mkdtemp(join(this.#o.workDir, 'gitfleet-write-'));
    const dir = join(home, 'repo');
    const opts: ExecOptions = {
      gitBinary: this.#o.gitBinary,
      home,
      timeoutMs: this.#o.timeoutMs,
      repoUrl: req.repoURL,
      ...(req.creds ? { creds: req.creds } : {}),
    };
    const local = { ...opts, remote: false };
    const git = (args: string[]): Promise<string> => runGit(['-C', dir, ...args], local);
    try {
      await runGit(
        [
          'clone',
          '--quiet',
          '--no-tags',
          '--single-branch',
          '--branch',
          req.checkoutBranch,
          '--end-of-options',
          url,
          dir,
        ],
        { ...opts, remote: true },
      );
      const base = (await git(['rev-parse', 'HEAD'])).trim();
      const changed = [...new Set(await req.edit(dir, attempt))].sort();
      if (changed.length === 0) return { base, changed, attempts: attempt };
      await git(['add', '--', ...changed]);
      const staged = await runGitResult(['-C', dir, 'diff', '--cached', '--quiet'], local);
      if (staged.exitCode === 0) return { base, changed: [], attempts: attempt };
      await git([
        '-c',
        `user.name=${req.author.name}`,
        '-c',
        `user.email=${req.author.email}`,
        '-c',
        'commit.gpgSign=false',
        'commit',
        '--quiet',
        '--no-verify',
        '-m',
        typeof req.message === 'string' ? req.message : req.message(),
      ]);
      const commit = (await git(['rev-parse', 'HEAD'])).trim();
      const direct = pushBranch === req.checkoutBranch;
      if (!direct && (await this.#sameTreeAsRemote(dir, pushBranch, opts)))
        return { base, changed, attempts: attempt };
      const refspec = `${direct ? '' : '+'}HEAD:refs/heads/${pushBranch}`;
      const push = await runGitResult(['-C', dir, 'push', '--porcelain', '--', 'origin', refspec], {
        ...opts,
        remote: true,
      });
      if (push.exitCode === 0) return { commit, base, changed, attempts: attempt };
      const text = `${push.stdout}\n${push.stderr}`;
      // Someone pushed first (git's own check, or the server's ref lock losing the race): start over.
      if (
        direct &&
        NON_FAST_FORWARD.test(text) &&
        !/protected branch|GH006|not allowed to push|push declined/iu.test(text)
      )
        return 'retry';
      throw pushRefusal(text, push.stderr, req.repoURL, pushBranch, scrubber(req.creds));
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  }

  /**
   * Clones `branch` (full history of that branch) into a private temporary directory, gives it to
   * `fn` with a way to run local git commands in it, and removes it. For readers that need the
   * files and history at once (the promotion pipeline reads each stage's field at the head and at
   * the commits its apps run).
   */
  async inspect<T>(
    req: { repoURL: string; creds?: GitCredentials; branch: string },
    fn: (dir: string, git: (args: string[]) => Promise<GitResult>) => Promise<T>,
  ): Promise<T> {
    const loc = locateRepo(req.repoURL);
    assertArgument(req.branch, 'branch', req.repoURL);
    const home = await mkdtemp(join(this.#o.workDir, 'gitfleet-read-'));
    const dir = join(home, 'repo');
    const opts: ExecOptions = {
      gitBinary: this.#o.gitBinary,
      home,
      timeoutMs: this.#o.timeoutMs,
      repoUrl: req.repoURL,
      ...(req.creds ? { creds: req.creds } : {}),
    };
    try {
      await runGit(
        [
          'clone',
          '--quiet',
          '--no-tags',
          '--single-branch',
          '--no-checkout',
          '--branch',
          req.branch,
          '--end-of-options',
          loc.fetchUrl,
          dir,
        ],
        { ...opts, remote: true },
      );
      return await fn(dir, (args) => runGitResult(['-C', dir, ...args], opts));
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  }

  /** Whether the push branch on the server already holds this commit's tree (nothing new to push). */
  async #sameTreeAsRemote(dir: string, branch: string, opts: ExecOptions): Promise<boolean> {
    const fetched = await runGitResult(
      ['-C', dir, 'fetch', '--quiet', '--no-tags', '--', 'origin', `refs/heads/${branch}`],
      { ...opts, remote: true },
    );
    if (fetched.exitCode !== 0) return false;
    const trees = await runGitResult(['-C', dir, 'rev-parse', 'HEAD^{tree}', 'FETCH_HEAD^{tree}'], opts);
    const [a, b] = trees.stdout.trim().split('\n');
    return trees.exitCode === 0 && a !== undefined && a === b;
  }
}
