import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { SourceError } from '../errors.js';
import { extractCommit, isDirectory } from './checkout.js';
import { runGitResult, type ExecOptions, type GitCredentials } from './git-exec.js';
import {
  fetchMirror,
  headRef,
  listRefs,
  mirrorExists,
  objectId,
  peelToCommit,
  type MirrorRef,
} from './mirror.js';
import { findNamedRef, findTagByRange, isFullSha, isShaLike, treePath } from './revision.js';
import { SharedTasks } from './shared.js';
import { locateRepo, normalizeRepoUrl, type RepoLocation } from './url.js';

/** Options of GitSources; never mutated. Defaults: see defaultSourceOptions(). */
export interface SourceOptions {
  /** Root of mirrors (`mirrors/`), checkouts (`checkouts/`) and git's private HOME (`home/`). */
  cacheDir: string;
  /** Minimum time between two fetches of one repository unless forced. Default 180 000 (3 min). */
  fetchIntervalMs?: number;
  /** Limit for each git command (a fetch, an archive…). Default 120 000 (2 min). */
  timeoutMs?: number;
  /** The git executable. Default `git` from PATH. */
  gitBinary?: string;
  /** Clock for fetch throttling. Default Date.now. */
  now?: () => number;
}

/** The defaults of every optional SourceOptions field. */
export function defaultSourceOptions(): Required<Omit<SourceOptions, 'cacheDir'>> {
  return { fetchIntervalMs: 180_000, timeoutMs: 120_000, gitBinary: 'git', now: () => Date.now() };
}

/** A resolved revision: the commit and the ref that led to it. */
export interface Resolved {
  sha: string;
  /** `refs/heads/main`, `refs/tags/v1.2.0`, or the full SHA when a commit id was asked for. */
  ref: string;
}

interface RepoState {
  fetches: number;
  lastFetchAt?: number;
}

/**
 * The Git source stage: one bare mirror per repository (by normalizeRepoUrl), shared by every
 * Application that reads it, and content-addressed read-only checkouts. One instance per process:
 * the in-flight and throttling state is in memory. The constructor does no I/O; directories are
 * created on first use.
 */
export class GitSources {
  readonly #opts: Required<SourceOptions>;
  readonly #repos = new Map<string, RepoState>();
  readonly #fetches = new SharedTasks<boolean>();
  readonly #checkouts = new SharedTasks<string>();
  readonly #treeHashes = new Map<string, string>();
  readonly #commits = new Map<string, { author: string; date: string; message: string }>();
  #dirs: Promise<void> | undefined;

  constructor(opts: SourceOptions) {
    const d = defaultSourceOptions();
    this.#opts = {
      cacheDir: opts.cacheDir,
      fetchIntervalMs: opts.fetchIntervalMs ?? d.fetchIntervalMs,
      timeoutMs: opts.timeoutMs ?? d.timeoutMs,
      gitBinary: opts.gitBinary ?? d.gitBinary,
      now: opts.now ?? d.now,
    };
  }

  /**
   * Fetches all branches and tags of the repository into its mirror (creating it), pruning deleted
   * ones, unless this process fetched it less than `fetchIntervalMs` ago; `force` (webhooks, a
   * manual refresh) skips that check. Callers arriving while a fetch of the same repository runs
   * share it, with the first caller's credentials, and get true; so a forced call joining a fetch
   * that started just before a push may not see that push (call again once it resolved). Returns
   * whether a fetch ran. Failures: SourceError `source.AuthFailed` / `source.RepoNotFound`
   * (terminal), `source.Unreachable` / `source.FetchFailed` / `source.Timeout` (transient),
   * `source.UnsupportedUrl` for anything but http(s); a failed fetch does not count as recent.
   */
  async fetch(
    url: string,
    creds: GitCredentials | undefined,
    opts: { force?: boolean; since?: number; signal?: AbortSignal } = {},
  ): Promise<boolean> {
    const loc = locateRepo(url);
    const state = this.#state(loc.key);
    const last = state.lastFetchAt;
    const fresh = last !== undefined && this.#opts.now() - last < this.#opts.fetchIntervalMs;
    // `since`: a forced fetch is needed only if no fetch has started since that moment.
    const newEnough = opts.since !== undefined && last !== undefined && last >= opts.since;
    if ((fresh && !opts.force) || newEnough) {
      if (!this.#fetches.has(loc.key)) return false;
    }
    return this.#fetches.run(
      loc.key,
      async (signal) => {
        state.fetches += 1;
        const startedAt = this.#opts.now();
        await this.#ensureDirs();
        await fetchMirror(this.#mirrorDir(loc), loc.fetchUrl, this.#exec(loc, signal, creds));
        state.lastFetchAt = startedAt;
        return true;
      },
      opts.signal,
      () => aborted(loc, 'fetch'),
    );
  }

  /**
   * Resolves a revision to a commit, in this order: `''`/`HEAD` → the default branch; a full ref
   * name; a branch; a tag (annotated tags peeled); a full or abbreviated (≥ 7 hex digits) commit id
   * present in the mirror; a semver range over the tags (`v` prefix optional, highest wins,
   * prereleases only if the range names one). Fetches first only if the mirror does not exist yet;
   * keeping it fresh is the caller's job (fetch). Unknown revisions, ambiguous abbreviations and
   * ranges no tag matches: SourceError `source.RevisionNotFound` (terminal) naming the revision.
   */
  async resolve(
    url: string,
    revision: string,
    creds?: GitCredentials,
    opts: { signal?: AbortSignal } = {},
  ): Promise<Resolved> {
    const loc = locateRepo(url);
    const dir = this.#mirrorDir(loc);
    if (!(await mirrorExists(dir))) await this.fetch(url, creds, { force: true, signal: opts.signal });
    const exec = this.#exec(loc, opts.signal);
    const rev = revision.trim();
    const refs = await listRefs(dir, exec);

    const viaRef = async (ref: MirrorRef | undefined): Promise<Resolved | undefined> => {
      if (!ref) return undefined;
      const sha = ref.type === 'commit' ? ref.oid : await peelToCommit(dir, ref.name, exec);
      return sha ? { sha, ref: ref.name } : undefined;
    };
    if (rev === '' || rev === 'HEAD') {
      const head = await headRef(dir, exec);
      const found = await viaRef(refs.find((r) => r.name === head));
      if (found) return found;
      throw notFound(loc, revision, 'the repository has no default branch (is it empty?)');
    }
    const named = await viaRef(findNamedRef(refs, rev));
    if (named) return named;
    if (isShaLike(rev)) {
      const sha = await peelToCommit(dir, rev.toLowerCase(), exec);
      if (sha) return { sha, ref: sha };
    }
    const tagged = await viaRef(findTagByRange(refs, rev));
    if (tagged) return tagged;
    throw notFound(
      loc,
      revision,
      'no branch, tag or commit has that name and no tag matches it as a semver range',
    );
  }

  /**
   * The directory holding the files of commit `sha` (full id), `<cacheDir>/checkouts/<sha>`:
   * extracted once from the mirror (never fetched here: resolve or fetch first), atomically, then
   * read-only and shared by every caller and Application; concurrent callers share one extraction.
   * Copy it before changing anything. Errors: `source.InvalidRevision` for a non-full SHA,
   * `source.RevisionNotFound` when the mirror lacks the commit.
   */
  async checkout(url: string, sha: string, opts: { signal?: AbortSignal } = {}): Promise<string> {
    const loc = locateRepo(url);
    const id = fullSha(loc, sha);
    const checkoutsDir = join(this.#opts.cacheDir, 'checkouts');
    const final = join(checkoutsDir, id);
    if (await isDirectory(final)) return final;
    return this.#checkouts.run(
      id,
      async (signal) => {
        const exec = this.#exec(loc, signal);
        await this.#requireCommit(loc, id, exec);
        if (await isDirectory(final)) return final;
        await this.#ensureDirs();
        await extractCommit(this.#mirrorDir(loc), id, final, checkoutsDir, exec);
        return final;
      },
      opts.signal,
      () => aborted(loc, 'checkout'),
    );
  }

  /**
   * The Git object id of `path` in commit `sha` (the tree for a directory, `''` for the root; a
   * file gives its blob id): the key of the render cache, unchanged by commits that touch nothing
   * under `path`. Throws PathEscapeError for absolute or `..` paths, `source.PathNotFound` when the
   * commit has no such path, `source.RevisionNotFound` when the mirror lacks the commit.
   */
  async treeHash(
    url: string,
    sha: string,
    path: string,
    opts: { signal?: AbortSignal } = {},
  ): Promise<string> {
    const loc = locateRepo(url);
    const id = fullSha(loc, sha);
    const inTree = treePath(path);
    // A commit never changes, so neither does the object at a path in it: ask git once.
    const memoKey = `${loc.key}\u0000${id}\u0000${inTree}`;
    const memo = this.#treeHashes.get(memoKey);
    if (memo) return memo;
    const exec = this.#exec(loc, opts.signal);
    const dir = this.#mirrorDir(loc);
    const found = (await mirrorExists(dir))
      ? await objectId(dir, inTree === '' ? `${id}^{tree}` : `${id}:${inTree}`, exec)
      : undefined;
    if (found) {
      remember(this.#treeHashes, memoKey, found);
      return found;
    }
    await this.#requireCommit(loc, id, exec);
    throw new SourceError(loc.fetchUrl, `path "${path}" does not exist in commit ${id}`, {
      code: 'source.PathNotFound',
    });
  }

  /**
   * Author, date and subject of a commit in the mirror, for history and audit; undefined when the
   * mirror lacks it. The subject is cut at 200 characters.
   */
  async commitInfo(
    url: string,
    sha: string,
    opts: { signal?: AbortSignal } = {},
  ): Promise<{ author: string; date: string; message: string } | undefined> {
    const loc = locateRepo(url);
    const id = fullSha(loc, sha);
    const memoKey = `${loc.key}\u0000${id}`;
    const memo = this.#commits.get(memoKey);
    if (memo) return memo;
    const r = await runGitResult(['show', '-s', '--format=%an <%ae>%x00%aI%x00%s', '--end-of-options', id], {
      ...this.#exec(loc, opts.signal),
      gitDir: this.#mirrorDir(loc),
      remote: false,
    });
    if (r.exitCode !== 0) return undefined;
    const [author = '', date = '', message = ''] = r.stdout.trim().split('\u0000');
    const info = { author, date, message: message.slice(0, 200) };
    remember(this.#commits, memoKey, info);
    return info;
  }

  /** How many fetches of this repository ran in this process (any URL form; 0 if none or invalid). */
  fetchCount(url: string): number {
    try {
      return this.#repos.get(normalizeRepoUrl(url))?.fetches ?? 0;
    } catch {
      return 0;
    }
  }

  async #requireCommit(loc: RepoLocation, sha: string, exec: ExecOptions): Promise<void> {
    const dir = this.#mirrorDir(loc);
    if ((await mirrorExists(dir)) && (await peelToCommit(dir, sha, exec)) === sha) return;
    throw notFound(loc, sha, 'the mirror has no such commit (resolve or fetch first)');
  }

  #state(key: string): RepoState {
    let state = this.#repos.get(key);
    if (!state) {
      state = { fetches: 0 };
      this.#repos.set(key, state);
    }
    return state;
  }

  #mirrorDir(loc: RepoLocation): string {
    return join(this.#opts.cacheDir, 'mirrors', loc.mirrorName);
  }

  #exec(loc: RepoLocation, signal: AbortSignal | undefined, creds?: GitCredentials): ExecOptions {
    return {
      gitBinary: this.#opts.gitBinary,
      home: join(this.#opts.cacheDir, 'home'),
      timeoutMs: this.#opts.timeoutMs,
      repoUrl: loc.fetchUrl,
      ...(signal ? { signal } : {}),
      ...(creds ? { creds } : {}),
    };
  }

  #ensureDirs(): Promise<void> {
    this.#dirs ??= (async () => {
      for (const sub of ['mirrors', 'checkouts', 'home'])
        await mkdir(join(this.#opts.cacheDir, sub), { recursive: true, mode: 0o700 });
    })().catch((e: unknown) => {
      this.#dirs = undefined;
      throw e;
    });
    return this.#dirs;
  }
}

function fullSha(loc: RepoLocation, sha: string): string {
  if (isFullSha(sha)) return sha.toLowerCase();
  throw new SourceError(loc.fetchUrl, `"${sha}" is not a full commit SHA (resolve the revision first)`, {
    code: 'source.InvalidRevision',
  });
}

function notFound(loc: RepoLocation, revision: string, why: string): SourceError {
  return new SourceError(loc.fetchUrl, `revision "${revision}" not found: ${why}`, {
    code: 'source.RevisionNotFound',
  });
}

function aborted(loc: RepoLocation, what: string): SourceError {
  return new SourceError(loc.fetchUrl, `${what} was cancelled`, { code: 'source.Aborted', transient: true });
}

const MEMO_LIMIT = 20_000;

/** Caches an immutable fact; a full cache starts over rather than growing without bound. */
function remember<V>(map: Map<string, V>, key: string, value: V): void {
  if (map.size >= MEMO_LIMIT) map.clear();
  map.set(key, value);
}
