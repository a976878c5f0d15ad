import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { redactUrl } from '../errors.js';
import { gitArgs, runGit, runGitResult, unreachable, type ExecOptions } from './git-exec.js';

/**
 * Overrides every in-tree `.gitattributes` (info/attributes has the highest precedence) so that
 * `git archive` writes blobs exactly as committed: no export-ignore/export-subst, no EOL, ident or
 * filter conversions. Renderers must see what is in Git, not a release tarball.
 */
const ATTRIBUTES = '* -export-ignore -export-subst -text -eol -ident -filter\n';

/** Branches and tags only: other refs (pull requests, notes, …) are not revisions we resolve. */
const REFSPECS = ['+refs/heads/*:refs/heads/*', '+refs/tags/*:refs/tags/*'];

/** One branch or tag of a mirror. */
export interface MirrorRef {
  /** Full name: refs/heads/main, refs/tags/v1.2.0. */
  name: string;
  oid: string;
  /** `commit`, or `tag` for an annotated tag (peel it), rarely `tree`/`blob`. */
  type: string;
}

/** Whether `dir` is a mirror that has completed its first fetch (mirrors appear atomically). */
export async function mirrorExists(dir: string): Promise<boolean> {
  try {
    return (await stat(join(dir, 'HEAD'))).isFile();
  } catch {
    return false;
  }
}

/**
 * Fetches all branches and tags of `fetchUrl` into the bare mirror `dir` with `--prune` (deleted
 * branches and tags disappear) and points the mirror's HEAD at the remote's default branch. The
 * first fetch goes to a temporary directory that is renamed into place only when it succeeded, so a
 * mirror that exists is always complete and a failed first fetch leaves nothing behind. The URL
 * is given on the command line each time and no remote is configured: the mirror's config never
 * holds a URL, let alone credentials.
 */
export async function fetchMirror(dir: string, fetchUrl: string, exec: ExecOptions): Promise<void> {
  if (await mirrorExists(dir)) {
    // ls-remote (the credentials' check, and the default branch, which a fetch into a bare
    // repository does not record) and the fetch at once: a push waits for one round trip to the
    // server, not two. The listing's verdict wins when both fail (its errors say more).
    const [listed, fetched] = await Promise.allSettled([
      remoteHead(fetchUrl, exec),
      fetchRefs(dir, fetchUrl, exec),
    ]);
    if (listed.status === 'rejected') throw listed.reason;
    if (fetched.status === 'rejected') throw fetched.reason;
    await pointHead(dir, listed.value, exec);
    return;
  }
  // The first fetch: the server must answer ls-remote as a Git server before anything is fetched
  // into a mirror for it. The empty repository is prepared meanwhile, in a temporary directory
  // that only a successful fetch turns into the mirror (a first sync waits for one round trip
  // to the server, not for it and two local commands after it).
  const tmp = `${dir}.tmp-${randomBytes(6).toString('hex')}`;
  try {
    const prepare = async (): Promise<void> => {
      await runGit(['init', '--bare', '--quiet', '--template=', '--end-of-options', tmp], {
        ...exec,
        remote: false,
      });
      // A detached auto-gc would keep working in the temporary directory after the rename.
      await runGit(['config', 'gc.autoDetach', 'false'], { ...exec, gitDir: tmp, remote: false });
      await mkdir(join(tmp, 'info'), { recursive: true });
      await writeFile(join(tmp, 'info', 'attributes'), ATTRIBUTES);
    };
    const [listed, prepared] = await Promise.allSettled([remoteHead(fetchUrl, exec), prepare()]);
    // The listing's verdict first: a server that is not a Git server is what the caller hears.
    if (listed.status === 'rejected') throw listed.reason;
    if (prepared.status === 'rejected') throw prepared.reason;
    await fetchInto(tmp, fetchUrl, listed.value, exec);
    try {
      await rename(tmp, dir);
    } catch (e) {
      // Another process created the mirror meanwhile: it is as good as ours.
      if (!(await mirrorExists(dir))) throw e;
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/**
 * Asks the server whether `exec.creds` may read `fetchUrl` (`git ls-remote` of HEAD: one small
 * request, no objects). Resolves when it may; throws the classified SourceError (AuthFailed,
 * Unreachable) when it may not. The access check before a cached mirror is served to a caller.
 */
export async function proveAccess(fetchUrl: string, exec: ExecOptions): Promise<void> {
  await remoteHead(fetchUrl, exec);
}

async function remoteHead(fetchUrl: string, exec: ExecOptions): Promise<string | undefined> {
  const out = await runGit(['ls-remote', '--symref', '--end-of-options', fetchUrl, 'HEAD', 'refs/heads/*'], {
    ...exec,
    remote: true,
  });
  // No branch at all: an empty repository, or a web server that answers 200 to anything (git
  // takes it for the "dumb" HTTP protocol). Telling these apart from a refused connection would
  // tell a tenant that something listens there, and an empty repository has nothing to deploy.
  if (!/^[0-9a-f]{40,64}\t/m.test(out)) {
    exec.log?.warn(
      { repoURL: redactUrl(exec.repoUrl), command: 'git ls-remote', detail: 'no branches advertised' },
      'git remote command failed',
    );
    throw unreachable(exec.repoUrl);
  }
  return /^ref: (refs\/heads\/\S+)\tHEAD$/m.exec(out)?.[1];
}

async function fetchInto(
  dir: string,
  fetchUrl: string,
  head: string | undefined,
  exec: ExecOptions,
): Promise<void> {
  await fetchRefs(dir, fetchUrl, exec);
  await pointHead(dir, head, exec);
}

async function fetchRefs(dir: string, fetchUrl: string, exec: ExecOptions): Promise<void> {
  await runGit(
    [
      'fetch',
      '--quiet',
      '--prune',
      '--no-tags',
      '--no-write-fetch-head',
      '--no-recurse-submodules',
      '--end-of-options',
      fetchUrl,
      ...REFSPECS,
    ],
    { ...exec, gitDir: dir, remote: true },
  );
}

async function pointHead(dir: string, head: string | undefined, exec: ExecOptions): Promise<void> {
  // An empty repository advertises no HEAD: keep whatever the mirror had. `head` matched
  // `refs/heads/\S+` in remoteHead, so it cannot be read as an option. Unchanged (every poll but
  // the first): nothing to write.
  if (head && (await headRef(dir, exec)) !== head)
    await runGit(['symbolic-ref', 'HEAD', head], { ...exec, gitDir: dir, remote: false });
}

/**
 * Fetches one ref the host keeps outside branches and tags (a pull request's head,
 * `refs/pull/<n>/head`) into `localRef` of the mirror and returns the commit it names. Only that
 * ref: the branch fetch (fetchInto) is unchanged, and its `--prune` never touches `localRef`, which
 * lies outside refs/heads and refs/tags. Both names are built by the caller from validated parts.
 */
export async function fetchOneRef(
  dir: string,
  fetchUrl: string,
  remoteRef: string,
  localRef: string,
  exec: ExecOptions,
): Promise<string | undefined> {
  await runGit(
    [
      'fetch',
      '--quiet',
      '--no-tags',
      '--no-write-fetch-head',
      '--no-recurse-submodules',
      '--end-of-options',
      fetchUrl,
      `+${remoteRef}:${localRef}`,
    ],
    { ...exec, gitDir: dir, remote: true },
  );
  return peelToCommit(dir, localRef, exec);
}

/** All branches and tags with their object type (one for-each-ref, fast even with many tags). */
export async function listRefs(dir: string, exec: ExecOptions): Promise<MirrorRef[]> {
  const out = await runGit(
    ['for-each-ref', '--format=%(objectname) %(objecttype) %(refname)', 'refs/heads', 'refs/tags'],
    { ...exec, gitDir: dir, remote: false },
  );
  const refs: MirrorRef[] = [];
  for (const line of out.split('\n')) {
    const [oid, type, name] = line.split(' ');
    if (oid && type && name) refs.push({ oid, type, name });
  }
  return refs;
}

/** The branch the mirror's HEAD names (the remote's default branch), if any. */
export async function headRef(dir: string, exec: ExecOptions): Promise<string | undefined> {
  // Only symbolic-ref above writes the mirror's HEAD, as `ref: <name>`: read it without a process.
  // Anything else (a detached HEAD, another ref storage) is git's to answer.
  const text = await readFile(join(dir, 'HEAD'), 'utf8').catch(() => '');
  const named = /^ref: (refs\/heads\/[^\s]+)\n?$/.exec(text)?.[1];
  if (named) return named;
  const r = await runGitResult(['symbolic-ref', '-q', 'HEAD'], { ...exec, gitDir: dir, remote: false });
  return (r.exitCode === 0 && r.stdout.trim()) || undefined;
}

/**
 * The commit an object name leads to (annotated tags peeled, however deeply), or undefined when it
 * names nothing in the mirror, is ambiguous, or is not a commit.
 */
export async function peelToCommit(
  dir: string,
  name: string,
  exec: ExecOptions,
): Promise<string | undefined> {
  return objectId(dir, `${name}^{commit}`, exec);
}

/**
 * The object id `spec` names (`<sha>^{tree}`, `<sha>:<path>`), or undefined when there is none.
 * `--end-of-options` keeps a spec from ever being read as an option.
 */
export async function objectId(dir: string, spec: string, exec: ExecOptions): Promise<string | undefined> {
  const r = await runGitResult(['rev-parse', '--verify', '--quiet', '--end-of-options', spec], {
    ...exec,
    gitDir: dir,
    remote: false,
  });
  return (r.exitCode === 0 && r.stdout.trim()) || undefined;
}

/** argv for `git archive` of a commit in `dir`, for the checkout pipeline. */
export function archiveArgs(dir: string, sha: string, paths?: readonly string[]): string[] {
  // tar.umask=0222: every entry read-only in the archive itself (files 0444 or 0555, directories
  // 0555), so the extracted checkout is read-only without a pass over its files afterwards.
  // Paths are literal pathspecs after the commit (past --end-of-options: git takes even `--` there
  // as a pathspec): no glob or magic of a tenant's path is interpreted, none can read as an option,
  // and one the commit lacks fails the archive.
  const only = paths?.length ? paths.map((p) => `:(literal)${p}`) : [];
  return gitArgs(['-c', 'tar.umask=0222', 'archive', '--format=tar', '--end-of-options', sha, ...only], {
    gitDir: dir,
  });
}

/** Output limit of listTrees: a larger tree is answered path by path instead. */
export const TREE_LISTING_MAX_BYTES = 8 * 1024 * 1024;

/**
 * Every directory of commit `sha` with its tree id (`git ls-tree -r -d -z`: trees only, so a
 * repository of many files lists only its folders), or undefined when the mirror lacks the commit.
 * One command answers treeHash() for every app path in the commit. Throws `source.OutputTooLarge`
 * past TREE_LISTING_MAX_BYTES. `sha` is a full id checked by the caller, after --end-of-options.
 */
export async function listTrees(
  dir: string,
  sha: string,
  exec: ExecOptions,
): Promise<Map<string, string> | undefined> {
  const r = await runGitResult(['ls-tree', '-r', '-d', '-z', '--full-tree', '--end-of-options', sha], {
    ...exec,
    gitDir: dir,
    remote: false,
    maxOutputBytes: TREE_LISTING_MAX_BYTES,
  });
  if (r.exitCode !== 0) return undefined;
  const trees = new Map<string, string>();
  // Each entry: `<mode> SP <type> SP <oid> TAB <path> NUL`; -z leaves paths unquoted.
  for (const entry of r.stdout.split('\0')) {
    const tab = entry.indexOf('\t');
    if (tab < 0) continue;
    const [, type, oid] = entry.slice(0, tab).split(' ');
    if (type === 'tree' && oid) trees.set(entry.slice(tab + 1), oid);
  }
  return trees;
}
