import { createHash, createHmac, randomBytes } from 'node:crypto';
import { mkdir, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { SourceError } from '../errors.js';
import { CheckoutLedger } from './checkout-gc.js';
import { directorySize, extractCommit, forceRemove, isDirectory, removeCheckout } from './checkout.js';
import {
  assertArgument,
  authorization,
  missingSshKey,
  runGitResult,
  type ExecOptions,
  type GitCredentials,
  type SourceLog,
} from './git-exec.js';
import {
  fetchMirror,
  fetchOneRef,
  headRef,
  listRefs,
  listTrees,
  mirrorExists,
  objectId,
  peelToCommit,
  proveAccess,
  type MirrorRef,
} from './mirror.js';
import {
  DEFAULT_DENIED_NETWORKS,
  parseDeniedNetworks,
  screenHost,
  screenUrl,
  type DeniedNetworks,
  type Resolver,
} from './network.js';
import { tidyPullRefs } from './pull-refs.js';
import { findNamedRef, findTagByRange, isFullSha, isShaLike, treePath } from './revision.js';
import { PromiseMemo } from './memo.js';
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
  /** Clock for fetch throttling, access proofs and checkout leases. Default Date.now. */
  now?: () => number;
  /**
   * How long the Git server's acceptance of one credential for one repository is trusted before a
   * cached mirror is served to that credential again without asking the server. Default:
   * fetchIntervalMs. A revoked credential stops being served at most this long after revocation.
   */
  accessTtlMs?: number;
  /** Checkouts kept per repository beyond those in use. Default 3. */
  checkoutsPerRepo?: number;
  /** Bytes of checkouts kept in all, in use excepted. Default 1 GiB. */
  maxCheckoutBytes?: number;
  /** A checkout handed out by checkout() counts as in use this long. Default 10 min. */
  checkoutLeaseMs?: number;
  /**
   * Address ranges (CIDR) a repository URL may not lead to. Default DEFAULT_DENIED_NETWORKS
   * (link-local: cloud metadata endpoints). Loopback and private ranges are allowed unless listed.
   */
  deniedNetworks?: readonly string[];
  /** Name resolution for the deny-list check. Default the system resolver (getaddrinfo). */
  resolver?: Resolver;
  /** Receives the detail of failed remote commands, which status never shows. Default: dropped. */
  log?: SourceLog;
}

type Defaults = Required<Omit<SourceOptions, 'cacheDir' | 'accessTtlMs' | 'resolver' | 'log'>>;

/** The defaults of the optional SourceOptions fields (accessTtlMs follows fetchIntervalMs). */
export function defaultSourceOptions(): Defaults {
  return {
    fetchIntervalMs: 180_000,
    timeoutMs: 120_000,
    gitBinary: 'git',
    now: () => Date.now(),
    checkoutsPerRepo: 3,
    maxCheckoutBytes: 1024 * 1024 * 1024,
    checkoutLeaseMs: 10 * 60_000,
    deniedNetworks: DEFAULT_DENIED_NETWORKS,
  };
}

/** A resolved revision: the commit and the ref that led to it. */
export interface Resolved {
  sha: string;
  /** `refs/heads/main`, `refs/tags/v1.2.0`, or the full SHA when a commit id was asked for. */
  ref: string;
}

interface RepoState {
  fetches: number;
  /**
   * Changes whenever something starts or stops writing the mirror's refs (a fetch): a ref view
   * listed at another generation may be stale and is listed again.
   */
  generation: number;
  lastFetchAt?: number;
  /** When the fetch now in flight (if any) started. */
  inFlightSince?: number;
}

/**
 * The Git source stage: one bare mirror per repository (by normalizeRepoUrl), shared by every
 * Application that reads it, and content-addressed read-only checkouts. One instance per process:
 * the in-flight and throttling state is in memory. The constructor does no I/O; directories are
 * created on first use.
 */
export class GitSources {
  readonly #opts: Defaults & { cacheDir: string; accessTtlMs: number };
  readonly #log: SourceLog | undefined;
  readonly #resolver: Resolver | undefined;
  readonly #denied: DeniedNetworks;
  readonly #repos = new Map<string, RepoState>();
  readonly #fetches = new SharedTasks<boolean>();
  /** Credential identity of the fetch running per repository (the one a joining caller shares). */
  readonly #fetchingAs = new Map<string, string>();
  /** `<repo key>\0<credential identity>` → when the server last accepted that credential. */
  readonly #proofs = new Map<string, number>();
  readonly #proving = new SharedTasks<boolean>();
  /** Per-process key: credential identities are HMACs, useless outside this process. */
  readonly #identityKey = randomBytes(32);
  readonly #checkouts = new SharedTasks<string>();
  readonly #ledger: CheckoutLedger;
  /** Checkouts being removed; a checkout() of one waits for the removal, then extracts again. */
  readonly #removals = new Map<string, Promise<void>>();
  #gc: Promise<void> | undefined;
  #gcAgain = false;
  #adopted = false;
  /** Per repository: its branches and tags as listed at one mirror generation (see refView). */
  readonly #refViews = new Map<string, { generation: number; view: Promise<RefView> }>();
  /** `<repo>\0<sha>` → the commit's directories (null: too many to list; asked path by path). */
  readonly #trees = new PromiseMemo<Map<string, string> | null | undefined>(16, (v) => v !== undefined);
  /** `<repo>\0<sha>\0<path>` → object id; "not found" is not kept (a fetch may bring the commit). */
  readonly #objectIds = new PromiseMemo<string | undefined>(MEMO_LIMIT, (v) => v !== undefined);
  readonly #commits = new PromiseMemo<{ author: string; date: string; message: string } | undefined>(
    MEMO_LIMIT,
    (v) => v !== undefined,
  );
  #dirs: Promise<void> | undefined;

  constructor(opts: SourceOptions) {
    const d = defaultSourceOptions();
    const fetchIntervalMs = opts.fetchIntervalMs ?? d.fetchIntervalMs;
    this.#opts = {
      cacheDir: opts.cacheDir,
      fetchIntervalMs,
      timeoutMs: opts.timeoutMs ?? d.timeoutMs,
      gitBinary: opts.gitBinary ?? d.gitBinary,
      now: opts.now ?? d.now,
      accessTtlMs: opts.accessTtlMs ?? fetchIntervalMs,
      checkoutsPerRepo: opts.checkoutsPerRepo ?? d.checkoutsPerRepo,
      maxCheckoutBytes: opts.maxCheckoutBytes ?? d.maxCheckoutBytes,
      checkoutLeaseMs: opts.checkoutLeaseMs ?? d.checkoutLeaseMs,
      deniedNetworks: opts.deniedNetworks ?? d.deniedNetworks,
    };
    this.#log = opts.log;
    this.#resolver = opts.resolver;
    this.#denied = parseDeniedNetworks(this.#opts.deniedNetworks);
    this.#ledger = new CheckoutLedger(
      {
        keepPerRepo: this.#opts.checkoutsPerRepo,
        maxBytes: this.#opts.maxCheckoutBytes,
        leaseMs: this.#opts.checkoutLeaseMs,
      },
      this.#opts.now,
    );
  }

  /**
   * Fetches all branches and tags of the repository into its mirror (creating it), pruning deleted
   * ones, unless this process fetched it less than `fetchIntervalMs` ago; `force` (webhooks, a
   * manual refresh) skips that check. Callers arriving while a fetch of the same repository runs
   * share it, and get true; so a forced call joining a fetch that started just before a push may
   * not see that push (call again once it resolved). Returns whether a fetch ran.
   *
   * Whatever happens, the caller's own credentials (`undefined`: anonymous) must have been accepted
   * by the server for this repository within `accessTtlMs` before this resolves: a mirror fetched
   * with someone else's credentials is never vouched for by their fetch. When the fetch a caller
   * joined failed on the other caller's credentials, this caller's are tried on their own.
   *
   * Failures: SourceError `source.AuthFailed` (terminal), `source.Unreachable` (transient: every
   * connection-level failure, detail in the log only), `source.AddressDenied`,
   * `source.UnsupportedUrl` for anything but http(s) and SSH, `source.CredentialsMissing` for an
   * SSH URL without `sshPrivateKey`, `source.HostKeyUnknown`/`source.HostKeyChanged` when the SSH
   * server's key is not the one `sshKnownHosts` lists; a failed fetch does not count as recent.
   */
  async fetch(
    url: string,
    creds: GitCredentials | undefined,
    opts: { force?: boolean; since?: number; signal?: AbortSignal } = {},
  ): Promise<boolean> {
    const loc = locateRepo(url);
    requireSshKey(loc, creds);
    const state = this.#state(loc.key);
    const last = state.lastFetchAt;
    const fresh = last !== undefined && this.#opts.now() - last < this.#opts.fetchIntervalMs;
    // `since`: a forced fetch is needed only if no fetch has started since that moment.
    const newEnough = opts.since !== undefined && last !== undefined && last >= opts.since;
    if (((fresh && !opts.force) || newEnough) && !this.#fetches.has(loc.key)) {
      await this.#proveAccess(loc, creds, opts.signal);
      return false;
    }
    const identity = this.#identity(loc, creds);
    const run = (): Promise<boolean> =>
      this.#fetches.run(
        loc.key,
        async (signal) => {
          this.#fetchingAs.set(loc.key, identity);
          state.fetches += 1;
          const startedAt = this.#opts.now();
          state.inFlightSince = startedAt;
          await this.#ensureDirs();
          const exec = await this.#remoteExec(loc, signal, creds);
          // Before and after: a ref listing that overlaps the fetch is never served afterwards.
          state.generation += 1;
          try {
            await fetchMirror(this.#mirrorDir(loc), loc.fetchUrl, exec);
          } catch (e) {
            this.#forgetProof(loc, identity, e);
            throw e;
          } finally {
            state.generation += 1;
          }
          // fetchMirror's ls-remote ran with these credentials: the server accepted them.
          remember(this.#proofs, proofKey(loc, identity), startedAt);
          state.lastFetchAt = startedAt;
          return true;
        },
        opts.signal,
        () => aborted(loc, 'fetch'),
      );
    const once = async (): Promise<void> => {
      const sharedWith = this.#fetches.has(loc.key) ? this.#fetchingAs.get(loc.key) : identity;
      try {
        await run();
      } catch (e) {
        // Another caller's credentials failed: that says nothing about ours (nor may it stop us).
        if (sharedWith === identity || !refusesCredential(e)) throw e;
        await run();
      }
    };
    // `since`: joining a fetch that started before that moment may miss what was pushed since
    // (a webhook's commit): fetch once more after it.
    const since = opts.since;
    const joinedOlder =
      since !== undefined &&
      this.#fetches.has(loc.key) &&
      (state.inFlightSince === undefined || state.inFlightSince < since);
    await once();
    if (joinedOlder && !(state.lastFetchAt !== undefined && state.lastFetchAt >= since)) await once();
    await this.#proveAccess(loc, creds, opts.signal);
    return true;
  }

  /**
   * Fetches the head of pull request `number` into the mirror and returns its commit. Hosts keep
   * every pull request's head in the target repository, a fork's included: `refs/pull/<n>/head`
   * (GitHub, Gitea, Forgejo; `style: 'pull'`) or `refs/merge-requests/<n>/head` (GitLab). It lands
   * under `refs/gitfleet/pull/<n>`, outside what resolve() reads by name, so a pull request never
   * shadows a branch or tag; its commit is then resolvable by id. The branch fetch is unchanged.
   * Errors: `source.InvalidArgument` for a number that is not a positive integer, else as fetch().
   */
  async fetchPullRequestHead(
    url: string,
    creds: GitCredentials | undefined,
    pr: { number: number; style: 'pull' | 'merge-requests'; open?: readonly number[] },
    opts: { signal?: AbortSignal } = {},
  ): Promise<string> {
    const loc = locateRepo(url);
    requireSshKey(loc, creds);
    if (!Number.isSafeInteger(pr.number) || pr.number <= 0)
      throw new SourceError(
        loc.fetchUrl,
        `pull request number ${JSON.stringify(pr.number)} is not a positive integer`,
        {
          code: 'source.InvalidArgument',
        },
      );
    const dir = this.#mirrorDir(loc);
    if (!(await mirrorExists(dir))) await this.fetch(url, creds, { force: true, signal: opts.signal });
    // Two fetches writing one mirror at once may race for its packed-refs lock: let a branch
    // fetch in flight finish first (its outcome is its callers' business).
    if (this.#fetches.has(loc.key))
      await this.#fetches
        .run(
          loc.key,
          () => Promise.resolve(false),
          undefined,
          () => aborted(loc, 'fetch'),
        )
        .catch(() => undefined);
    const remote =
      pr.style === 'pull' ? `refs/pull/${pr.number}/head` : `refs/merge-requests/${pr.number}/head`;
    const local = `refs/gitfleet/pull/${pr.number}`;
    const identity = this.#identity(loc, creds);
    const startedAt = this.#opts.now();
    const state = this.#state(loc.key);
    let sha: string | undefined;
    // It adds objects (an abbreviated id may now name one more commit): see refView.
    state.generation += 1;
    try {
      sha = await fetchOneRef(
        dir,
        loc.fetchUrl,
        remote,
        local,
        await this.#remoteExec(loc, opts.signal, creds),
      );
    } catch (e) {
      this.#forgetProof(loc, identity, e);
      throw e;
    } finally {
      state.generation += 1;
    }
    // The fetch ran with these credentials: the server accepted them.
    remember(this.#proofs, proofKey(loc, identity), startedAt);
    if (!sha) throw notFound(loc, remote, 'the host advertised no commit for it');
    // Heads of pull requests no longer open (`pr.open`), unused or too many go (pull-refs.ts).
    await tidyPullRefs(
      dir,
      pr.number,
      { now: this.#opts.now(), ...(pr.open ? { open: pr.open } : {}) },
      this.#exec(loc, opts.signal),
    ).catch((e: unknown) => this.#log?.warn({ err: String(e) }, 'pull request refs not tidied'));
    return sha;
  }

  /**
   * Resolves a revision to a commit, in this order: `''`/`HEAD` → the default branch; a full ref
   * name; a branch; a tag (annotated tags peeled); a full or abbreviated (≥ 7 hex digits) commit id
   * present in the mirror; a semver range over the tags (`v` prefix optional, highest wins,
   * prereleases only if the range names one). Fetches first only if the mirror does not exist yet;
   * keeping it fresh is the caller's job (fetch). `creds` must be accepted by the server (proved
   * at most `accessTtlMs` ago, else asked now), as in fetch(). Unknown revisions, ambiguous
   * abbreviations and ranges no tag matches: SourceError `source.RevisionNotFound` (terminal)
   * naming the revision; a revision starting with `-`: `source.InvalidArgument`.
   */
  async resolve(
    url: string,
    revision: string,
    creds?: GitCredentials,
    opts: { signal?: AbortSignal } = {},
  ): Promise<Resolved> {
    const loc = locateRepo(url);
    requireSshKey(loc, creds);
    const rev = revision.trim();
    // Only names found in the mirror and hex ids ever reach git (after --end-of-options); this
    // refuses option-like text outright with an error that names it.
    assertArgument(rev, 'revision', loc.fetchUrl);
    const dir = this.#mirrorDir(loc);
    if (!(await mirrorExists(dir))) await this.fetch(url, creds, { force: true, signal: opts.signal });
    // The mirror may have been fetched with another caller's credentials: ours must be accepted.
    await this.#proveAccess(loc, creds, opts.signal);
    const view = await this.#refView(loc);
    const refs = view.refs;

    const viaRef = async (ref: MirrorRef | undefined): Promise<Resolved | undefined> => {
      if (!ref) return undefined;
      const sha = ref.type === 'commit' ? ref.oid : await view.peel(ref.name);
      return sha ? { sha, ref: ref.name } : undefined;
    };
    if (rev === '' || rev === 'HEAD') {
      const head = await view.head();
      const found = await viaRef(refs.find((r) => r.name === head));
      if (found) return found;
      throw notFound(loc, revision, 'the repository has no default branch (is it empty?)');
    }
    const named = await viaRef(findNamedRef(refs, rev));
    if (named) return named;
    if (isShaLike(rev)) {
      const sha = await view.peel(rev.toLowerCase());
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
   * Copy it before changing anything. The directory is leased to the caller for `checkoutLeaseMs`
   * (read it right away; use withCheckout() for longer work): older, unused checkouts beyond
   * `checkoutsPerRepo` per repository or `maxCheckoutBytes` in all are removed. Errors:
   * `source.InvalidRevision` for a non-full SHA, `source.RevisionNotFound` when the mirror lacks
   * the commit.
   *
   * `paths`: only these repository paths are extracted (`<sha>-p<digest of the paths>`): what one
   * app's render read last time, where a monorepo's whole commit costs seconds of disk writes.
   * Throws PathEscapeError for an absolute or `..` path, and `source.PathNotFound` when the commit
   * lacks one of them (the caller then takes the whole commit).
   */
  async checkout(
    url: string,
    sha: string,
    opts: { signal?: AbortSignal; paths?: readonly string[] } = {},
  ): Promise<string> {
    const loc = locateRepo(url);
    const id = fullSha(loc, sha);
    const asked = opts.paths?.length ? [...new Set(opts.paths.map(treePath))].sort() : undefined;
    // The root among them is the whole commit.
    const only = asked?.includes('') ? undefined : asked;
    const dirId = only ? partialCheckoutName(id, only) : id;
    // Leased before the first await: the collector cannot pick it from here on.
    this.#ledger.touch(dirId, loc.key);
    return this.#materialize(loc, id, opts.signal, only ? { dirId, paths: only } : undefined);
  }

  /**
   * Runs `use` with the checkout of `sha` held: it is not removed while `use` runs, however long.
   */
  async withCheckout<T>(
    url: string,
    sha: string,
    use: (dir: string) => Promise<T>,
    opts: { signal?: AbortSignal } = {},
  ): Promise<T> {
    const loc = locateRepo(url);
    const id = fullSha(loc, sha);
    const release = this.#ledger.hold(id, loc.key);
    try {
      return await use(await this.#materialize(loc, id, opts.signal));
    } finally {
      release();
    }
  }

  /** Waits for the checkout collector to finish its current round (tests, shutdown). */
  async collectCheckouts(): Promise<void> {
    this.#scheduleGc();
    while (this.#gc) await this.#gc;
  }

  async #materialize(
    loc: RepoLocation,
    id: string,
    signal: AbortSignal | undefined,
    partial?: { dirId: string; paths: readonly string[] },
  ): Promise<string> {
    const checkoutsDir = join(this.#opts.cacheDir, 'checkouts');
    const name = partial?.dirId ?? id;
    const final = join(checkoutsDir, name);
    const removing = this.#removals.get(name);
    if (removing) await removing;
    if (await isDirectory(final)) {
      if (this.#ledger.needsSize(name)) this.#ledger.setSize(name, await directorySize(final));
      return final;
    }
    const dir = await this.#checkouts.run(
      name,
      async (sig) => {
        const exec = this.#exec(loc, sig);
        await this.#requireCommit(loc, id, exec);
        if (await isDirectory(final)) return final;
        await this.#ensureDirs();
        let bytes: number;
        try {
          bytes = await extractCommit(this.#mirrorDir(loc), id, final, checkoutsDir, exec, partial?.paths);
        } catch (e) {
          // The commit is there (checked above): git names a path it lacks. Other failures
          // (a timeout, the output limit) keep their own code.
          if (
            partial &&
            e instanceof SourceError &&
            e.code === 'source.GitFailed' &&
            /did not match/u.test(e.message)
          )
            throw new SourceError(loc.fetchUrl, `commit ${id} lacks one of ${partial.paths.join(', ')}`, {
              code: 'source.PathNotFound',
            });
          throw e;
        }
        this.#ledger.setSize(name, bytes);
        return final;
      },
      signal,
      () => aborted(loc, 'checkout'),
    );
    if (this.#ledger.needsSize(name)) this.#ledger.setSize(name, await directorySize(final));
    this.#scheduleGc();
    return dir;
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
    if (opts.signal?.aborted) throw aborted(loc, 'tree hash');
    const dir = this.#mirrorDir(loc);
    // A commit never changes, so neither does the object at a path in it: ask git once, and for
    // a directory (an app's path) answer from one listing of the commit's directories shared by
    // every app reading it. Shared work runs without one caller's signal (local, time-limited).
    const found = await this.#objectIds.get(`${loc.key}\u0000${id}\u0000${inTree}`, async () => {
      if (!(await mirrorExists(dir))) return undefined;
      const exec = this.#exec(loc, undefined);
      if (inTree !== '') {
        const trees = await this.#trees.get(`${loc.key}\u0000${id}`, () => treesOf(dir, id, exec));
        const tree = trees?.get(inTree);
        if (tree) return tree;
      }
      // The root, a file (a value file), a submodule, or a commit too large to list.
      return objectId(dir, inTree === '' ? `${id}^{tree}` : `${id}:${inTree}`, exec);
    });
    if (found) return found;
    await this.#requireCommit(loc, id, this.#exec(loc, opts.signal));
    throw new SourceError(loc.fetchUrl, `path "${path}" does not exist in commit ${id}`, {
      code: 'source.PathNotFound',
    });
  }

  /**
   * Every directory of commit `sha` (repository paths, sorted; the root not included), from one
   * listing of its trees shared with treeHash(): no checkout. Undefined when the listing is over its
   * size limit or cannot be made (the caller walks a checkout instead). Symlinks and submodules are not directories
   * here, as in a walk that does not follow links. `source.RevisionNotFound` when the mirror lacks
   * the commit.
   */
  async directories(
    url: string,
    sha: string,
    opts: { signal?: AbortSignal } = {},
  ): Promise<string[] | undefined> {
    const loc = locateRepo(url);
    const id = fullSha(loc, sha);
    if (opts.signal?.aborted) throw aborted(loc, 'directories');
    const dir = this.#mirrorDir(loc);
    const trees = (await mirrorExists(dir))
      ? await this.#trees.get(`${loc.key}\u0000${id}`, () => treesOf(dir, id, this.#exec(loc, undefined)))
      : undefined;
    // Not listed: a missing commit is an error; any other failure leaves it to a checkout.
    if (trees === undefined) await this.#requireCommit(loc, id, this.#exec(loc, opts.signal));
    return trees ? [...trees.keys()].sort() : undefined;
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
    if (opts.signal?.aborted) throw aborted(loc, 'commit info');
    // Every app synced to one commit asks at once: one `git show` between them.
    return this.#commits.get(`${loc.key}\u0000${id}`, async () => {
      const r = await runGitResult(
        ['show', '-s', '--format=%an <%ae>%x00%aI%x00%s', '--end-of-options', id],
        {
          ...this.#exec(loc, undefined),
          gitDir: this.#mirrorDir(loc),
          remote: false,
        },
      );
      if (r.exitCode !== 0) return undefined;
      const [author = '', date = '', message = ''] = r.stdout.trim().split('\u0000');
      return { author, date, message: message.slice(0, 200) };
    });
  }

  /**
   * The mirror's branches and tags, listed once per mirror generation and shared by every
   * resolve() until a fetch starts or ends: N apps resolving one repository cost one
   * `for-each-ref`, and a branch a fetch moved is never answered from the listing before it.
   * The default branch and peeled tags are asked on demand, once per generation. A failed listing
   * is not kept.
   */
  #refView(loc: RepoLocation): Promise<RefView> {
    const generation = this.#state(loc.key).generation;
    const known = this.#refViews.get(loc.key);
    if (known?.generation === generation) return known.view;
    const dir = this.#mirrorDir(loc);
    const exec = this.#exec(loc, undefined);
    const view = listRefs(dir, exec).then((refs): RefView => {
      let head: Promise<string | undefined> | undefined;
      // Found commits only: an abbreviated id unknown now may be fetched within this generation
      // by a pull request's head (which bumps it anyway) — never answer "missing" from memory.
      const peeled = new PromiseMemo<string | undefined>(1_000, (v) => v !== undefined);
      return {
        refs,
        head: () => (head ??= headRef(dir, exec)),
        peel: (name) => peeled.get(name, () => peelToCommit(dir, name, exec)),
      };
    });
    const entry = { generation, view };
    this.#refViews.set(loc.key, entry);
    view.catch(() => {
      if (this.#refViews.get(loc.key) === entry) this.#refViews.delete(loc.key);
    });
    return view;
  }

  /** How many fetches of this repository ran in this process (any URL form; 0 if none or invalid). */
  fetchCount(url: string): number {
    try {
      return this.#repos.get(normalizeRepoUrl(url))?.fetches ?? 0;
    } catch {
      return 0;
    }
  }

  /**
   * Makes sure the server accepted `creds` for this repository within accessTtlMs, asking it
   * (`git ls-remote`) otherwise; concurrent callers with the same credentials share one request.
   * Throws the classified SourceError when the server refuses; a refusal also forgets any earlier
   * acceptance, so a revoked credential is refused from then on.
   */
  async #proveAccess(
    loc: RepoLocation,
    creds: GitCredentials | undefined,
    signal?: AbortSignal,
  ): Promise<void> {
    const identity = this.#identity(loc, creds);
    const key = proofKey(loc, identity);
    const at = this.#proofs.get(key);
    if (at !== undefined && this.#opts.now() - at < this.#opts.accessTtlMs) return;
    await this.#proving.run(
      key,
      async (sig) => {
        const startedAt = this.#opts.now();
        await this.#ensureDirs();
        try {
          await proveAccess(loc.fetchUrl, { ...(await this.#remoteExec(loc, sig, creds)), remote: true });
        } catch (e) {
          this.#forgetProof(loc, identity, e);
          throw e;
        }
        remember(this.#proofs, key, startedAt);
        return true;
      },
      signal,
      () => aborted(loc, 'access check'),
    );
  }

  #forgetProof(loc: RepoLocation, identity: string, e: unknown): void {
    // Only a refusal revokes: a network failure says nothing about the credential. A changed
    // SSH host key revokes too: whoever answers now is not the server that accepted it.
    if (refusesCredential(e)) this.#proofs.delete(proofKey(loc, identity));
  }

  /**
   * Who a caller is to the Git server: for SSH an HMAC of the private key and the trusted host
   * keys (another key, or another list of trusted hosts, must prove itself again); for http(s) an
   * HMAC of the Authorization header, or `anonymous`.
   */
  #identity(loc: RepoLocation, creds: GitCredentials | undefined): string {
    if (loc.ssh) {
      const material = `ssh\u0000${creds?.sshPrivateKey ?? ''}\u0000${creds?.sshKnownHosts ?? ''}`;
      return createHmac('sha256', this.#identityKey).update(material).digest('hex').slice(0, 32);
    }
    const header = authorization(creds);
    if (!header) return 'anonymous';
    return createHmac('sha256', this.#identityKey).update(header).digest('hex').slice(0, 32);
  }

  /** ExecOptions for a command that talks to the server: the URL screened against the deny-list first. */
  async #remoteExec(
    loc: RepoLocation,
    signal: AbortSignal | undefined,
    creds: GitCredentials | undefined,
  ): Promise<ExecOptions> {
    if (loc.ssh) {
      requireSshKey(loc, creds);
      // ssh has no curloptResolve: it connects to the first checked address (`-o Hostname=`).
      const addresses = await screenHost(loc.fetchUrl, loc.ssh.host, this.#denied, this.#resolver);
      const address = addresses[0] as string;
      return { ...this.#exec(loc, signal, creds), ssh: { target: loc.ssh, address } };
    }
    const pinned = await screenUrl(loc.fetchUrl, this.#denied, this.#resolver);
    return { ...this.#exec(loc, signal, creds), ...(pinned ? { pinnedResolve: pinned } : {}) };
  }

  /** Starts a collection round unless one runs; a request during a round runs one more after it. */
  #scheduleGc(): void {
    if (this.#gc) {
      this.#gcAgain = true;
      return;
    }
    this.#gc = this.#collect()
      .catch((e: unknown) =>
        this.#log?.warn({ err: e instanceof Error ? e.message : String(e) }, 'checkout cleanup failed'),
      )
      .finally(() => {
        this.#gc = undefined;
        if (this.#gcAgain) {
          this.#gcAgain = false;
          this.#scheduleGc();
        }
      });
  }

  async #collect(): Promise<void> {
    const checkoutsDir = join(this.#opts.cacheDir, 'checkouts');
    if (!this.#adopted) {
      this.#adopted = true;
      await this.#adoptLeftovers(checkoutsDir);
    }
    for (const sha of this.#ledger.takeVictims()) {
      // Asked for again since the decision (an await ago): it stays. The check and the mark below
      // run without an await between them, so checkout() either sees the mark or leased it first.
      if (this.#ledger.inUse(sha)) continue;
      const removal = removeCheckout(checkoutsDir, sha).finally(() => this.#removals.delete(sha));
      this.#removals.set(sha, removal);
      await removal;
    }
  }

  /**
   * Checkouts an earlier process left (they were never collected before) join the ledger as used
   * at their mtime, with no repository: the next round removes them unless someone asks for them.
   * Half-made (`.tmp-`) and half-removed (`.trash-`) directories older than the lease go at once.
   */
  async #adoptLeftovers(checkoutsDir: string): Promise<void> {
    let names: string[];
    try {
      names = await readdir(checkoutsDir);
    } catch {
      return;
    }
    const now = this.#opts.now();
    for (const name of names) {
      const path = join(checkoutsDir, name);
      const info = await stat(path).catch(() => undefined);
      if (!info?.isDirectory()) continue;
      if (isFullSha(name) || isPartialCheckoutName(name))
        this.#ledger.adopt(name.toLowerCase(), info.mtimeMs);
      else if (/^\.(tmp|trash)-/.test(name) && now - info.mtimeMs > this.#opts.checkoutLeaseMs)
        await forceRemove(path);
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
      state = { fetches: 0, generation: 0 };
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
      ...(this.#log ? { log: this.#log } : {}),
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

/** An SSH URL is fetched only with an SSH key: no anonymous SSH, no probing without one. */
function requireSshKey(loc: RepoLocation, creds: GitCredentials | undefined): void {
  if (loc.ssh && !creds?.sshPrivateKey) throw missingSshKey(loc.fetchUrl);
}

/** The server refused this caller (credentials, or an SSH host key that is not the trusted one). */
function refusesCredential(e: unknown): boolean {
  return (
    e instanceof SourceError &&
    (e.code === 'source.AuthFailed' ||
      e.code === 'source.HostKeyChanged' ||
      e.code === 'source.HostKeyUnknown')
  );
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

/** What resolve() reads from one state of a mirror. */
interface RefView {
  refs: MirrorRef[];
  /** The branch HEAD names. */
  head(): Promise<string | undefined>;
  /** The commit a name leads to, or undefined. */
  peel(name: string): Promise<string | undefined>;
}

/**
 * The directories of a commit for treeHash(): undefined (not kept) when the mirror lacks the
 * commit, null (kept: asked path by path) when the listing is over its size limit.
 */
async function treesOf(
  dir: string,
  sha: string,
  exec: ExecOptions,
): Promise<Map<string, string> | null | undefined> {
  try {
    return await listTrees(dir, sha, exec);
  } catch (e) {
    if (e instanceof SourceError && e.code === 'source.OutputTooLarge') return null;
    throw e;
  }
}

function proofKey(loc: RepoLocation, identity: string): string {
  return `${loc.key}\u0000${identity}`;
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

/** The directory name of a checkout of only `paths` (sorted, normalized) of commit `id`. */
function partialCheckoutName(id: string, paths: readonly string[]): string {
  return `${id}-p${createHash('sha256').update(paths.join('\0')).digest('hex').slice(0, 16)}`;
}

const PARTIAL_CHECKOUT_NAME = /^[0-9a-f]{40}([0-9a-f]{24})?-p[0-9a-f]{16}$/u;

function isPartialCheckoutName(name: string): boolean {
  return PARTIAL_CHECKOUT_NAME.test(name);
}
