// How many git processes the source stage runs when many Applications read one repository at one
// revision, counted through a `gitBinary` wrapper that logs each command, against a real Git
// smart-HTTP server (git http-backend) on real repositories. The work of a revision must be shared:
// one fetch per repository, one ref listing per mirror state, one extraction per commit, one tree
// listing per commit, whatever the number of apps.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runHttpBackend } from '../../../test/harness/git-server/cgi.js';
import { forceRemove } from './checkout.js';
import { GitSources } from './sources.js';

vi.setConfig({ testTimeout: 60_000 });

const root = mkdtempSync(join(tmpdir(), 'gitfleet-sharing-unit-'));
const repos = join(root, 'repos');
const gitExecPath = execFileSync('git', ['--exec-path'], { encoding: 'utf8' }).trim();
let server: Server;
let base: string;

function git(args: string[], cwd?: string): string {
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: root,
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_AUTHOR_NAME: 't',
      GIT_AUTHOR_EMAIL: 't@t',
      GIT_COMMITTER_NAME: 't',
      GIT_COMMITTER_EMAIL: 't@t',
    },
  });
}

/** A repository `name` whose working copy stays at `<root>/work-<name>` for later commits. */
function makeRepo(
  name: string,
  files: Record<string, string>,
): { url: string; commit: (f: Record<string, string>) => string } {
  const bare = join(repos, `${name}.git`);
  git(['init', '--quiet', '--bare', '--initial-branch=main', bare]);
  const work = join(root, `work-${name}`);
  git(['init', '--quiet', '--initial-branch=main', work]);
  const commit = (f: Record<string, string>): string => {
    for (const [path, content] of Object.entries(f)) {
      execFileSync('mkdir', ['-p', join(work, path, '..')]);
      writeFileSync(join(work, path), content);
    }
    git(['add', '-A'], work);
    git(['commit', '--quiet', '-m', 'c'], work);
    git(['push', '--quiet', bare, 'main'], work);
    return git(['rev-parse', 'HEAD'], work).trim();
  };
  commit(files);
  return { url: `${base}/${name}.git`, commit };
}

/** A git wrapper that appends its subcommand (the first argument after the -c/--git-dir options) to `log`. */
function countingGit(log: string): string {
  const path = join(root, `git-${Math.random().toString(36).slice(2)}.sh`);
  writeFileSync(
    path,
    `#!/bin/sh
sub=""
skip=0
for a in "$@"; do
  if [ "$skip" = 1 ]; then skip=0; continue; fi
  case "$a" in
    -c) skip=1 ;;
    --git-dir=*) ;;
    *) sub="$a"; break ;;
  esac
done
echo "$sub" >> '${log}'
exec git "$@"
`,
  );
  chmodSync(path, 0o755);
  return path;
}

function counts(log: string): Record<string, number> {
  let text = '';
  try {
    text = readFileSync(log, 'utf8');
  } catch {
    return {};
  }
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) if (line) out[line] = (out[line] ?? 0) + 1;
  return out;
}

const total = (c: Record<string, number>): number => Object.values(c).reduce((a, b) => a + b, 0);

beforeAll(async () => {
  execFileSync('mkdir', ['-p', repos]);
  server = createHttpServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    runHttpBackend(req, res, {
      gitExecPath,
      projectRoot: repos,
      pathInfo: decodeURIComponent(u.pathname),
      query: u.search.slice(1),
      remoteUser: 'anonymous',
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
  await forceRemove(root);
});

/** What the Application controller does per app: fetch, resolve, checkout, tree hash, commit info. */
async function appPass(
  s: GitSources,
  url: string,
  path: string,
): Promise<{ sha: string; dir: string; tree: string }> {
  await s.fetch(url, undefined);
  const { sha } = await s.resolve(url, 'main');
  const dir = await s.checkout(url, sha);
  const tree = await s.treeHash(url, sha, path);
  await s.commitInfo(url, sha);
  return { sha, dir, tree };
}

describe('a revision read by many apps costs the git processes of one', () => {
  it('runs a constant number of git commands for 10 apps reading one commit, and the same answers', async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 10; i++) files[`apps/svc-${i}/cm.yaml`] = `name: svc-${i}\n`;
    const repo = makeRepo('ten-apps', files);
    const log = join(root, 'ten.log');
    const s = new GitSources({
      cacheDir: mkdtempSync(join(root, 'cache-')),
      timeoutMs: 20_000,
      fetchIntervalMs: 3_600_000,
      gitBinary: countingGit(log),
    });
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => appPass(s, repo.url, `apps/svc-${i}`)),
    );
    // Every app got the answer git itself gives.
    const head = git(['rev-parse', 'main'], join(root, 'work-ten-apps')).trim();
    for (const [i, r] of results.entries()) {
      expect(r.sha).toBe(head);
      expect(r.tree).toBe(git(['rev-parse', `${head}:apps/svc-${i}`], join(root, 'work-ten-apps')).trim());
    }
    const cold = counts(log);
    console.log(`git commands for 10 apps, one commit, cold: ${total(cold)} ${JSON.stringify(cold)}`);
    expect(cold['ls-remote']).toBe(1);
    expect(cold.fetch).toBe(1);
    expect(cold.archive).toBe(1);
    expect(cold['for-each-ref']).toBe(1);
    expect(cold['symbolic-ref'] ?? 0).toBeLessThanOrEqual(1);
    expect(total(cold)).toBeLessThanOrEqual(10);

    // A second pass of the same 10 apps (a periodic reconcile within the fetch interval) runs none.
    rmSync(log, { force: true });
    await Promise.all(Array.from({ length: 10 }, (_, i) => appPass(s, repo.url, `apps/svc-${i}`)));
    expect(counts(log)).toEqual({});

    // A poll that finds nothing new: the fetch, then one listing for every resolve after it; the
    // default branch is read from the mirror's HEAD, unchanged, so nothing rewrites or asks for it.
    rmSync(log, { force: true });
    await s.fetch(repo.url, undefined, { force: true });
    for (const rev of ['HEAD', 'main', 'HEAD']) expect((await s.resolve(repo.url, rev)).sha).toBe(head);
    expect(counts(log)).toEqual({ 'ls-remote': 1, fetch: 1, 'for-each-ref': 1 });
  });

  it('answers a moved branch with its new commit after the fetch that saw it, never the listing before', async () => {
    const repo = makeRepo('moving', { 'apps/a/cm.yaml': 'v: 1\n', 'values.yaml': 'x: 1\n' });
    const work = join(root, 'work-moving');
    const log = join(root, 'moving.log');
    const s = new GitSources({
      cacheDir: mkdtempSync(join(root, 'cache-')),
      timeoutMs: 20_000,
      fetchIntervalMs: 3_600_000,
      gitBinary: countingGit(log),
    });
    const c1 = git(['rev-parse', 'main'], work).trim();
    expect((await s.resolve(repo.url, 'main')).sha).toBe(c1);
    expect((await s.resolve(repo.url, 'HEAD')).sha).toBe(c1);

    const c2 = repo.commit({ 'apps/a/cm.yaml': 'v: 2\n' });
    // Not fetched yet: the mirror (and so every answer) still says c1.
    expect((await s.resolve(repo.url, 'main')).sha).toBe(c1);
    // Resolves racing a forced fetch: whatever they answer, the first resolve after it says c2.
    const during = Promise.all([s.resolve(repo.url, 'main'), s.resolve(repo.url, 'HEAD')]);
    await s.fetch(repo.url, undefined, { force: true });
    for (const r of await during) expect([c1, c2]).toContain(r.sha);
    expect((await s.resolve(repo.url, 'main')).sha).toBe(c2);
    expect((await s.resolve(repo.url, 'HEAD')).sha).toBe(c2);
    expect((await s.resolve(repo.url, c2.slice(0, 10))).sha).toBe(c2);

    // Tree hashes: a directory from the listing, the root, a file, each as git says; a missing
    // path is an error naming it; apps/a changed between the commits, so its hash did too.
    const treeOf = (spec: string): string => git(['rev-parse', spec], work).trim();
    expect(await s.treeHash(repo.url, c2, 'apps/a')).toBe(treeOf(`${c2}:apps/a`));
    expect(await s.treeHash(repo.url, c1, './apps/a/')).toBe(treeOf(`${c1}:apps/a`));
    expect(await s.treeHash(repo.url, c2, '')).toBe(treeOf(`${c2}^{tree}`));
    expect(await s.treeHash(repo.url, c2, 'values.yaml')).toBe(treeOf(`${c2}:values.yaml`));
    await expect(s.treeHash(repo.url, c2, 'apps/nope')).rejects.toMatchObject({
      code: 'source.PathNotFound',
    });
    await expect(s.treeHash(repo.url, c2, '../x')).rejects.toThrow(/leaves the repository/);
    // A commit the mirror lacks is "not found", and found once fetched (no stale "missing").
    const c3 = repo.commit({ 'apps/b/cm.yaml': 'v: 3\n' });
    await expect(s.treeHash(repo.url, c3, 'apps/b')).rejects.toMatchObject({
      code: 'source.RevisionNotFound',
    });
    expect(await s.commitInfo(repo.url, c3)).toBeUndefined();
    await s.fetch(repo.url, undefined, { force: true });
    expect(await s.treeHash(repo.url, c3, 'apps/b')).toBe(treeOf(`${c3}:apps/b`));
    expect((await s.commitInfo(repo.url, c3))?.message).toBe('c');
  });
});
