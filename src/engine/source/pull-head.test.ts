// GitSources.fetchPullRequestHead against a real Git smart-HTTP server (git http-backend) whose
// repository carries a host-style `refs/pull/<n>/head` that no branch points at, as a fork's pull
// request does on GitHub and Gitea; and the heads of pull requests no longer open leaving the mirror.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runHttpBackend } from '../../../test/harness/git-server/cgi.js';
import { SourceError } from '../errors.js';
import { forceRemove } from './checkout.js';
import { GitSources } from './sources.js';

vi.setConfig({ testTimeout: 60_000 });

const root = mkdtempSync(join(tmpdir(), 'gitfleet-pullhead-unit-'));
const repos = join(root, 'repos');
const gitExecPath = execFileSync('git', ['--exec-path'], { encoding: 'utf8' }).trim();
let server: Server;
let base: string;
let mainSha: string;
let forkSha: string;
let mrSha: string;

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
  }).trim();
}

beforeAll(async () => {
  mkdirSync(repos, { recursive: true });
  const bare = join(repos, 'fleet.git');
  git(['init', '--quiet', '--bare', '--initial-branch=main', bare]);
  const work = join(root, 'work');
  git(['init', '--quiet', '--initial-branch=main', work]);
  writeFileSync(join(work, 'a.txt'), 'main\n');
  git(['add', '-A'], work);
  git(['commit', '--quiet', '-m', 'main'], work);
  mainSha = git(['rev-parse', 'HEAD'], work);
  git(['push', '--quiet', bare, 'main'], work);
  // The fork's commit reaches the target repository only as the host's pull request ref.
  writeFileSync(join(work, 'a.txt'), 'fork\n');
  git(['commit', '--quiet', '-am', 'fork'], work);
  forkSha = git(['rev-parse', 'HEAD'], work);
  git(['push', '--quiet', bare, 'HEAD:refs/pull/7/head'], work);
  writeFileSync(join(work, 'a.txt'), 'mr\n');
  git(['commit', '--quiet', '-am', 'mr'], work);
  mrSha = git(['rev-parse', 'HEAD'], work);
  git(['push', '--quiet', bare, 'HEAD:refs/merge-requests/3/head'], work);
  server = createServer((req, res) => {
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
  base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/fleet.git`;
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
  await forceRemove(root);
});

const sources = (): GitSources =>
  new GitSources({ cacheDir: mkdtempSync(join(root, 'cache-')), timeoutMs: 20_000 });

async function failure(p: Promise<unknown>): Promise<SourceError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!(e instanceof SourceError)) throw new Error(`expected a SourceError, got ${String(e)}`);
  return e;
}

describe('fetching a pull request head into the mirror', () => {
  it('makes a commit reachable only through refs/pull/<n>/head resolvable, and leaves branches alone', async () => {
    const s = sources();
    await s.fetch(base, undefined, { force: true });
    // The branch fetch does not bring pull request refs.
    expect((await failure(s.resolve(base, forkSha))).code).toBe('source.RevisionNotFound');
    expect(await s.fetchPullRequestHead(base, undefined, { number: 7, style: 'pull' })).toBe(forkSha);
    expect((await s.resolve(base, forkSha)).sha).toBe(forkSha);
    // Its files can be read like any commit's.
    const dir = await s.checkout(base, forkSha);
    expect(execFileSync('cat', [join(dir, 'a.txt')], { encoding: 'utf8' })).toBe('fork\n');
    // Branches are what they were; a pull request ref is never resolved as a name.
    expect((await s.resolve(base, 'main')).sha).toBe(mainSha);
    expect((await failure(s.resolve(base, 'refs/pull/7/head'))).code).toBe('source.RevisionNotFound');
    // A later branch fetch (with --prune) keeps the pull request's commit.
    await s.fetch(base, undefined, { force: true });
    expect((await s.resolve(base, forkSha)).sha).toBe(forkSha);
  });

  it('fetches GitLab merge request heads, before any branch fetch too', async () => {
    const s = sources();
    expect(await s.fetchPullRequestHead(base, undefined, { number: 3, style: 'merge-requests' })).toBe(mrSha);
    expect((await s.resolve(base, mrSha)).sha).toBe(mrSha);
  });

  it('deletes the heads of pull requests the host no longer lists as open', async () => {
    const cacheDir = mkdtempSync(join(root, 'cache-'));
    const s = new GitSources({ cacheDir, timeoutMs: 20_000 });
    await s.fetchPullRequestHead(base, undefined, { number: 3, style: 'merge-requests' });
    await s.fetchPullRequestHead(base, undefined, { number: 7, style: 'pull' });
    const [mirror = ''] = readdirSync(join(cacheDir, 'mirrors'));
    const pullRefs = (): string =>
      git([
        '--git-dir',
        join(cacheDir, 'mirrors', mirror),
        'for-each-ref',
        '--format=%(refname)',
        'refs/gitfleet',
      ]);
    expect(pullRefs().split('\n').sort()).toEqual(['refs/gitfleet/pull/3', 'refs/gitfleet/pull/7']);
    // #3 was closed: the next fetch of a pull request head, with the host's open list, removes it.
    await s.fetchPullRequestHead(base, undefined, { number: 7, style: 'pull', open: [7] });
    expect(pullRefs()).toBe('refs/gitfleet/pull/7');
    expect((await s.resolve(base, 'main')).sha).toBe(mainSha);
  });

  it('refuses a number that is not a positive integer and fails for a pull request the host lacks', async () => {
    const s = sources();
    for (const n of [0, -1, 1.5, Number.NaN, 2 ** 60])
      expect(
        (await failure(s.fetchPullRequestHead(base, undefined, { number: n, style: 'pull' }))).code,
      ).toBe('source.InvalidArgument');
    const missing = await failure(s.fetchPullRequestHead(base, undefined, { number: 99, style: 'pull' }));
    expect(missing.code).not.toBe('source.InvalidArgument');
  });
});
