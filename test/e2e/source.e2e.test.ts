import { createHash } from 'node:crypto';
import {
  chmodSync,
  lstatSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SourceError } from '../../src/engine/errors.js';
import { GitSources, normalizeRepoUrl, type GitCredentials } from '../../src/engine/source/index.js';
import { testFleet, uniqueName } from '../harness/context.js';
import { git, type GitRepos } from '../harness/git.js';

const cacheDir = mkdtempSync(join(tmpdir(), 'gitfleet-source-e2e-'));
const scratch = mkdtempSync(join(tmpdir(), 'gitfleet-source-work-'));
afterAll(() => {
  // Checkouts are read-only; root ignores that, other users need write access back to delete.
  for (const dir of [cacheDir, scratch]) {
    makeWritable(dir);
    rmSync(dir, { recursive: true, force: true });
  }
});

let server: GitRepos;
let reader: GitCredentials & { username: string; password: string };

beforeAll(async () => {
  server = (await testFleet()).git;
  reader = { username: uniqueName('reader'), password: `pw-${uniqueName('secret')}-Zx9` };
  server.setUser(reader.username, reader.password, 'read');
});

function sources(opts: { now?: () => number; fetchIntervalMs?: number } = {}): GitSources {
  return new GitSources({ cacheDir, timeoutMs: 30_000, ...opts });
}

function mirrorDir(url: string): string {
  const hash = createHash('sha256').update(normalizeRepoUrl(url)).digest('hex').slice(0, 16);
  return join(cacheDir, 'mirrors', `${hash}.git`);
}

async function sourceError(p: Promise<unknown>): Promise<SourceError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof SourceError)) throw new Error(`expected a SourceError, got ${String(err)}`);
  return err;
}

/** Pushes an annotated tag (the harness helper makes lightweight ones). */
async function annotatedTag(repo: string, tag: string): Promise<void> {
  const u = new URL(server.repoUrl(repo));
  u.username = server.info.admin.username;
  u.password = server.info.admin.password;
  const work = join(scratch, uniqueName('tag'));
  await git(['clone', '--quiet', '--no-checkout', u.toString(), work]);
  await git(['tag', '-a', tag, '-m', `release ${tag}`, 'origin/main'], { cwd: work });
  await git(['push', '--quiet', 'origin', `refs/tags/${tag}`], { cwd: work });
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

function makeWritable(dir: string): void {
  try {
    chmodSync(dir, 0o755);
    for (const e of readdirSync(dir, { recursive: true, withFileTypes: true }))
      if (e.isDirectory()) chmodSync(join(e.parentPath, e.name), 0o755);
  } catch {
    // Best effort: the removal below reports what is left.
  }
}

describe('GitSources against the harness Git server', () => {
  it('resolves the default branch, branches, tags, commit ids and semver ranges', async () => {
    const repo = uniqueName('src-resolve');
    const url = await server.createRepo(repo);
    const c1 = await server.commit(repo, { 'app/cm.yaml': 'v: 1\n' });
    await server.tag(repo, 'v1.0.0');
    const c2 = await server.commit(repo, { 'app/cm.yaml': 'v: 2\n' });
    await server.tag(repo, 'v1.2.0');
    await annotatedTag(repo, '1.3.0');
    await server.tag(repo, 'v2.0.0-rc.1');
    const feature = await server.commit(repo, { 'f.txt': 'f' }, { branch: 'feature/x' });
    const s = sources();

    expect(await s.resolve(url, '', reader)).toEqual({ sha: c2, ref: 'refs/heads/main' });
    expect(await s.resolve(url, 'HEAD', reader)).toEqual({ sha: c2, ref: 'refs/heads/main' });
    expect(await s.resolve(url, 'feature/x', reader)).toEqual({ sha: feature, ref: 'refs/heads/feature/x' });
    expect(await s.resolve(url, 'v1.0.0', reader)).toEqual({ sha: c1, ref: 'refs/tags/v1.0.0' });
    // Annotated: the tag object is peeled to its commit.
    expect(await s.resolve(url, '1.3.0', reader)).toEqual({ sha: c2, ref: 'refs/tags/1.3.0' });
    expect(await s.resolve(url, c1, reader)).toEqual({ sha: c1, ref: c1 });
    expect(await s.resolve(url, c1.slice(0, 8).toUpperCase(), reader)).toEqual({ sha: c1, ref: c1 });
    expect(await s.resolve(url, '^1.0', reader)).toEqual({ sha: c2, ref: 'refs/tags/1.3.0' });
    expect(await s.resolve(url, '>=1.0.0 <1.3.0', reader)).toEqual({ sha: c2, ref: 'refs/tags/v1.2.0' });
    expect(await s.resolve(url, '~1.0.0', reader)).toEqual({ sha: c1, ref: 'refs/tags/v1.0.0' });
    expect((await s.resolve(url, '*', reader)).ref).toBe('refs/tags/1.3.0');
    expect((await s.resolve(url, '>=2.0.0-rc.0', reader)).ref).toBe('refs/tags/v2.0.0-rc.1');
    // Another spelling of the URL uses the same mirror: no second fetch.
    await s.resolve(`${url.replace(/\.git$/, '')}/`, 'main', reader);
    expect(s.fetchCount(url)).toBe(1);

    for (const rev of ['nope', '^3', 'deadbeef00', 'refs/heads/nope']) {
      const err = await sourceError(s.resolve(url, rev, reader));
      expect(err.code, rev).toBe('source.RevisionNotFound');
      expect(err.transient).toBe(false);
      expect(err.message).toContain(`"${rev}"`);
    }
  });

  it('sees a new commit after a forced fetch, and only once the interval has passed otherwise', async () => {
    const repo = uniqueName('src-interval');
    const url = await server.createRepo(repo);
    const c1 = await server.commit(repo, { 'a.txt': '1' });
    let clock = 1_000_000;
    const s = sources({ now: () => clock, fetchIntervalMs: 60_000 });
    expect(await s.fetch(url, reader)).toBe(true);
    expect((await s.resolve(url, 'main', reader)).sha).toBe(c1);

    const c2 = await server.commit(repo, { 'a.txt': '2' });
    clock += 30_000;
    expect(await s.fetch(url, reader)).toBe(false);
    expect((await s.resolve(url, 'main', reader)).sha).toBe(c1);

    clock += 30_000;
    expect(await s.fetch(url, reader)).toBe(true);
    expect((await s.resolve(url, 'main', reader)).sha).toBe(c2);

    const c3 = await server.commit(repo, { 'a.txt': '3' });
    expect(await s.fetch(url, reader)).toBe(false);
    expect(await s.fetch(url, reader, { force: true })).toBe(true);
    expect((await s.resolve(url, 'main', reader)).sha).toBe(c3);
    expect(s.fetchCount(url)).toBe(3);

    // After a push at time T, one fetch started at or after T serves every app of the repository.
    clock += 1;
    const pushedAt = clock;
    const c4 = await server.commit(repo, { 'a.txt': '4' });
    expect(await s.fetch(url, reader, { force: true, since: pushedAt })).toBe(true);
    expect(await s.fetch(url, reader, { force: true, since: pushedAt })).toBe(false);
    expect((await s.resolve(url, 'main', reader)).sha).toBe(c4);
    clock += 1;
    expect(await s.fetch(url, reader, { force: true, since: clock })).toBe(true);
    expect(s.fetchCount(url)).toBe(5);
  });

  it('a fetch asked for since a push does not stop at a fetch that started before it', async () => {
    // A webhook's preview joins the pollers' fetch already under way: that one may predate the
    // push, so one more fetch follows it.
    const repo = uniqueName('src-since');
    const url = await server.createRepo(repo);
    await server.commit(repo, { 'a.txt': '1' });
    let clock = 1_000_000;
    const s = sources({ now: () => clock, fetchIntervalMs: 60_000 });
    const polling = s.fetch(url, reader, { force: true });
    clock += 1;
    // Asked while the older fetch runs (it registered synchronously): joining it is not enough.
    const afterPush = s.fetch(url, reader, { force: true, since: clock });
    await Promise.all([polling, afterPush]);
    expect(s.fetchCount(url)).toBe(2);
    // Joining a fetch that started at or after the moment is enough.
    clock += 1;
    const fresh = s.fetch(url, reader, { force: true });
    const joined = s.fetch(url, reader, { force: true, since: clock });
    await Promise.all([fresh, joined]);
    expect(s.fetchCount(url)).toBe(3);
  });

  it('shares one fetch between concurrent callers', async () => {
    const repo = uniqueName('src-concurrent');
    const url = await server.createRepo(repo);
    await server.commit(repo, { 'a.txt': '1' });
    const s = sources();
    const results = await Promise.all([
      s.fetch(url, reader),
      s.fetch(`${url}/`, reader),
      s.fetch(url, reader),
    ]);
    expect(results).toEqual([true, true, true]);
    expect(s.fetchCount(url)).toBe(1);
    await Promise.all([s.resolve(url, 'main', reader), s.resolve(url, 'main', reader)]);
    expect(s.fetchCount(url)).toBe(1);
  });

  it('forgets a deleted branch after the next fetch', async () => {
    const repo = uniqueName('src-prune');
    const url = await server.createRepo(repo);
    await server.commit(repo, { 'a.txt': '1' });
    const topic = await server.commit(repo, { 'b.txt': '1' }, { branch: 'topic' });
    const s = sources();
    expect((await s.resolve(url, 'topic', reader)).sha).toBe(topic);
    await server.deleteBranch(repo, 'topic');
    await s.fetch(url, reader, { force: true });
    const err = await sourceError(s.resolve(url, 'topic', reader));
    expect(err.code).toBe('source.RevisionNotFound');
    expect(err.message).toContain('"topic"');
  });

  it('reports wrong credentials as terminal AuthFailed without revealing them', async () => {
    const repo = uniqueName('src-auth');
    const url = await server.createRepo(repo);
    await server.commit(repo, { 'a.txt': '1' });
    const s = sources();
    const wrong = { username: reader.username, password: 'Wr0ng-Passw0rd-xyzzy' };
    const err = await sourceError(s.fetch(url, wrong));
    expect(err.code).toBe('source.AuthFailed');
    expect(err.transient).toBe(false);
    expect(err.message).toContain(`authentication failed for ${url}`);
    const everything = `${err.message}\n${err.stack ?? ''}\n${JSON.stringify(err)}`;
    expect(everything).not.toContain(wrong.password);
    expect(everything).not.toContain(Buffer.from(`${wrong.username}:${wrong.password}`).toString('base64'));

    expect((await sourceError(s.fetch(url, undefined))).code).toBe('source.AuthFailed');
    const refused = uniqueName('refused');
    server.setUser(refused, 'refused-pw-123', 'none');
    expect((await sourceError(s.fetch(url, { username: refused, password: 'refused-pw-123' }))).code).toBe(
      'source.AuthFailed',
    );
    // A failed first fetch leaves no half-made mirror behind.
    expect(() => statSync(mirrorDir(url))).toThrow();
  });

  it('classifies an unreachable server or missing repository as transient and refuses non-http URLs', async () => {
    const port = await closedPort();
    const s = sources();
    const err = await sourceError(s.fetch(`http://127.0.0.1:${port}/nothing.git`, reader));
    expect(err.code).toBe('source.Unreachable');
    expect(err.transient).toBe(true);
    expect(err.message).not.toContain(reader.password);

    // A missing repository reads exactly like a closed port: status must not tell a tenant
    // what listens where (the detail goes to the hub's log).
    const missing = await sourceError(s.fetch(server.repoUrl(uniqueName('absent')), reader));
    expect(missing.code).toBe('source.Unreachable');
    expect(missing.message).toMatch(/could not be reached, is not a Git repository, or has no branches$/);

    expect((await sourceError(s.fetch('file:///etc', reader))).code).toBe('source.UnsupportedUrl');
    // SSH is fetched only with an SSH key: other credentials are refused before anything connects.
    for (const ssh of ['ssh://git@example.com/a.git', 'git@example.com:a/b.git'])
      expect((await sourceError(s.fetch(ssh, reader))).code).toBe('source.CredentialsMissing');
    const c = new AbortController();
    c.abort();
    expect((await sourceError(s.fetch(server.repoUrl('x'), reader, { signal: c.signal }))).code).toBe(
      'source.Aborted',
    );
  });

  it('checks out a commit once, read-only, with its exact files and symlinks', async () => {
    const repo = uniqueName('src-checkout');
    const url = await server.createRepo(repo);
    const sha = await server.commit(repo, {
      'deploy/cm.yaml': 'kind: ConfigMap\nmetadata:\n  name: x\n',
      'deploy/ignored.yaml': 'kept: true\n',
      'run.sh': '#!/bin/sh\n',
      '.gitattributes': 'deploy/ignored.yaml export-ignore\n*.yaml text eol=crlf\nid.txt ident\n',
      'id.txt': '$Id$\n',
    });
    const withLink = await symlinkCommit(repo, 'deploy-link', 'deploy');
    const s = sources();
    await s.fetch(url, reader);

    const [dir, again] = await Promise.all([s.checkout(url, sha), s.checkout(url, sha)]);
    expect(dir).toBe(join(cacheDir, 'checkouts', sha));
    expect(again).toBe(dir);
    expect(await s.checkout(url, sha)).toBe(dir);
    // Exactly as committed: export-ignore, eol and ident attributes do not apply.
    expect(readFileSync(join(dir, 'deploy/cm.yaml'), 'utf8')).toBe('kind: ConfigMap\nmetadata:\n  name: x\n');
    expect(readFileSync(join(dir, 'deploy/ignored.yaml'), 'utf8')).toBe('kept: true\n');
    expect(readFileSync(join(dir, 'id.txt'), 'utf8')).toBe('$Id$\n');
    expect(statSync(join(dir, 'deploy/cm.yaml')).mode & 0o777).toBe(0o444);
    expect(statSync(join(dir, 'run.sh')).mode & 0o777).toBe(0o444);
    expect(statSync(join(dir, 'deploy')).mode & 0o777).toBe(0o555);
    expect(readdirSync(join(cacheDir, 'checkouts')).filter((n) => n.startsWith('.tmp-'))).toEqual([]);

    const linked = await s.checkout(url, withLink);
    expect(lstatSync(join(linked, 'deploy-link')).isSymbolicLink()).toBe(true);
    expect(readlinkSync(join(linked, 'deploy-link'))).toBe('deploy');

    expect((await sourceError(s.checkout(url, 'f'.repeat(40)))).code).toBe('source.RevisionNotFound');
    expect((await sourceError(s.checkout(url, sha.slice(0, 10)))).code).toBe('source.InvalidRevision');
  });

  it('keys renders by tree hash: unchanged by commits elsewhere, changed by commits under the path', async () => {
    const repo = uniqueName('src-tree');
    const url = await server.createRepo(repo);
    const c1 = await server.commit(repo, { 'apps/web/deploy.yaml': 'a', 'apps/api/deploy.yaml': 'b' });
    const c2 = await server.commit(repo, { 'apps/api/deploy.yaml': 'b2', 'README.md': 'x' });
    const c3 = await server.commit(repo, { 'apps/web/deploy.yaml': 'a2' });
    const s = sources();
    await s.fetch(url, reader);
    const web = (sha: string): Promise<string> => s.treeHash(url, sha, 'apps/web');
    expect(await web(c2)).toBe(await web(c1));
    expect(await web(c3)).not.toBe(await web(c2));
    expect(await s.treeHash(url, c2, './apps/web/')).toBe(await web(c1));
    expect(await s.treeHash(url, c2, '')).not.toBe(await s.treeHash(url, c1, ''));
    expect(await s.treeHash(url, c1, '')).toMatch(/^[0-9a-f]{40}$/);

    expect((await sourceError(s.treeHash(url, c1, 'apps/nope'))).code).toBe('source.PathNotFound');
    await expect(s.treeHash(url, c1, '../x')).rejects.toMatchObject({ code: 'source.PathEscape' });
  });

  it('never writes credentials into the mirror', async () => {
    const repo = uniqueName('src-creds');
    const url = await server.createRepo(repo);
    await server.commit(repo, { 'a.txt': '1' });
    const s = sources();
    await s.fetch(url, reader);
    await s.fetch(url, reader, { force: true });
    const dir = mirrorDir(url);
    const config = readFileSync(join(dir, 'config'), 'utf8');
    expect(config).not.toContain(reader.password);
    expect(config).not.toContain(reader.username);
    expect(config).not.toMatch(/extraheader|authorization|url\s*=/i);
    const b64 = Buffer.from(`${reader.username}:${reader.password}`).toString('base64');
    for (const file of filesUnder(dir)) {
      const text = readFileSync(file).toString('latin1');
      expect(text, file).not.toContain(reader.password);
      expect(text, file).not.toContain(b64);
    }
  });
});

/** Commits a symlink (the harness helper writes regular files only). */
async function symlinkCommit(repo: string, link: string, target: string): Promise<string> {
  const u = new URL(server.repoUrl(repo));
  u.username = server.info.admin.username;
  u.password = server.info.admin.password;
  const work = join(scratch, uniqueName('link'));
  await git(['clone', '--quiet', u.toString(), work]);
  symlinkSync(target, join(work, link));
  await git(['add', link], { cwd: work });
  await git(['commit', '--quiet', '-m', 'symlink'], { cwd: work });
  await git(['push', '--quiet', 'origin', 'HEAD:refs/heads/main'], { cwd: work });
  return (await git(['rev-parse', 'HEAD'], { cwd: work })).trim();
}

function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}
