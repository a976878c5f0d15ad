// GitSources against a real Git smart-HTTP server started in this process (git http-backend behind
// a small Basic-auth gate), on real repositories in a temporary directory.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runHttpBackend } from '../../../test/harness/git-server/cgi.js';
import { SourceError } from '../errors.js';
import { forceRemove } from './checkout.js';
import { UNREACHABLE } from './git-exec.js';
import { GitSources, type SourceOptions } from './sources.js';

// Real git processes on two shared cores: seconds, not milliseconds.
vi.setConfig({ testTimeout: 60_000 });

const root = mkdtempSync(join(tmpdir(), 'gitfleet-sources-unit-'));
const repos = join(root, 'repos');
const marker = join(root, 'MARKER');
const gitExecPath = execFileSync('git', ['--exec-path'], { encoding: 'utf8' }).trim();

/** Who may read: user → password; `anonymous` opens the repositories whose name starts with `public-`. */
const users = new Map<string, string>();
const requests: { path: string; user: string }[] = [];
let server: Server;
let base: string;

const good = { username: 'alice', password: 'alice-Secret-pw-1' };
const other = { username: 'bob', password: 'bob-Secret-pw-2' };

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

/** A bare repository `name` with one commit per entry of `files`; returns the commit ids. */
function makeRepo(name: string, commits: Record<string, string>[]): string[] {
  const bare = join(repos, `${name}.git`);
  git(['init', '--quiet', '--bare', '--initial-branch=main', bare]);
  const work = mkdtempSync(join(root, 'work-'));
  git(['init', '--quiet', '--initial-branch=main', work]);
  const shas: string[] = [];
  for (const files of commits) {
    for (const [path, content] of Object.entries(files)) {
      execFileSync('mkdir', ['-p', join(work, path, '..')]);
      writeFileSync(join(work, path), content);
    }
    git(['add', '-A'], work);
    git(['commit', '--quiet', '-m', `commit ${shas.length}`], work);
    shas.push(git(['rev-parse', 'HEAD'], work).trim());
  }
  git(['push', '--quiet', bare, 'main'], work);
  rmSync(work, { recursive: true, force: true });
  return shas;
}

function nth(list: string[], i: number): string {
  const v = list[i];
  if (!v) throw new Error(`no element ${i}`);
  return v;
}

function url(name: string): string {
  return `${base}/${name}.git`;
}

beforeAll(async () => {
  execFileSync('mkdir', ['-p', repos]);
  users.set(good.username, good.password);
  users.set(other.username, other.password);
  server = createHttpServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    const auth = req.headers.authorization;
    let user = 'anonymous';
    if (auth?.startsWith('Basic ')) {
      const [name = '', pw] = Buffer.from(auth.slice(6), 'base64').toString('utf8').split(':');
      if (users.get(name) !== pw) {
        res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="t"' }).end();
        return;
      }
      user = name;
    } else if (!u.pathname.startsWith('/public-')) {
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="t"' }).end();
      return;
    }
    requests.push({ path: u.pathname + u.search, user });
    runHttpBackend(req, res, {
      gitExecPath,
      projectRoot: repos,
      pathInfo: decodeURIComponent(u.pathname),
      query: u.search.slice(1),
      remoteUser: user,
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

function sources(opts: Partial<SourceOptions> = {}): GitSources {
  return new GitSources({ cacheDir: mkdtempSync(join(root, 'cache-')), timeoutMs: 20_000, ...opts });
}

async function failure(p: Promise<unknown>): Promise<SourceError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!(e instanceof SourceError)) throw new Error(`expected a SourceError, got ${String(e)}`);
  return e;
}

describe('access to a cached mirror is proven per credential', () => {
  it('refuses a caller without credentials, or with wrong ones, right after an authorised fetch', async () => {
    const [c1] = makeRepo('private-a', [{ 'a.txt': '1' }]);
    const s = sources({ fetchIntervalMs: 3_600_000 });
    expect(await s.fetch(url('private-a'), good)).toBe(true);
    expect((await s.resolve(url('private-a'), 'main', good)).sha).toBe(c1);

    // Same URL, within the fetch interval: the mirror is fresh, but these callers are not allowed.
    for (const creds of [
      undefined,
      { username: 'alice', password: 'wrong-password-x' },
      { password: 'tok' },
    ]) {
      expect((await failure(s.fetch(url('private-a'), creds))).code).toBe('source.AuthFailed');
      expect((await failure(s.resolve(url('private-a'), 'main', creds))).code).toBe('source.AuthFailed');
      expect((await failure(s.resolve(`${url('private-a')}/`, nth([c1 ?? ''], 0), creds))).code).toBe(
        'source.AuthFailed',
      );
    }
    // Another valid user is accepted by the server, so it is served.
    expect(await s.fetch(url('private-a'), other)).toBe(false);
    expect((await s.resolve(url('private-a'), 'main', other)).sha).toBe(c1);
  });

  it('does not let a caller ride on a fetch that is running with someone else’s credentials', async () => {
    makeRepo('private-b', [{ 'a.txt': '1' }]);
    const s = sources();
    const [a, b] = await Promise.allSettled([
      s.fetch(url('private-b'), good),
      s.fetch(url('private-b'), undefined),
    ]);
    expect(a.status).toBe('fulfilled');
    expect(b.status).toBe('rejected');
    expect((b as PromiseRejectedResult).reason).toMatchObject({ code: 'source.AuthFailed' });

    // And the other way round: a bad caller starting first does not fail the good one joining it.
    const t = sources();
    const [bad, ok] = await Promise.allSettled([
      t.fetch(url('private-b'), { username: 'alice', password: 'nope-nope-nope' }),
      t.fetch(url('private-b'), good),
    ]);
    expect(bad.status).toBe('rejected');
    expect(ok).toEqual({ status: 'fulfilled', value: true });
  });

  it('asks the server once per credential per TTL, and stops serving a revoked credential', async () => {
    const [c1] = makeRepo('private-c', [{ 'a.txt': '1' }]);
    let clock = 1_000_000;
    const s = sources({ now: () => clock, fetchIntervalMs: 60_000, accessTtlMs: 10_000 });
    const carol = { username: 'carol', password: 'carol-Secret-pw-3' };
    users.set(carol.username, carol.password);
    await s.fetch(url('private-c'), good);
    const asked = (): number =>
      requests.filter((r) => r.path.startsWith('/private-c.git/info/refs') && r.user === 'carol').length;
    for (let i = 0; i < 5; i++) expect((await s.resolve(url('private-c'), 'main', carol)).sha).toBe(c1);
    expect(asked()).toBe(1);
    clock += 10_001;
    await s.resolve(url('private-c'), 'main', carol);
    expect(asked()).toBe(2);

    users.delete(carol.username);
    // Within the TTL the earlier acceptance still stands (documented bound on revocation)…
    clock += 5_000;
    await s.resolve(url('private-c'), 'main', carol);
    // …after it, the server is asked again and refuses.
    clock += 5_001;
    expect((await failure(s.resolve(url('private-c'), 'main', carol))).code).toBe('source.AuthFailed');
    expect((await failure(s.fetch(url('private-c'), carol))).code).toBe('source.AuthFailed');
    // The holder of a valid credential is unaffected.
    expect((await s.resolve(url('private-c'), 'main', good)).sha).toBe(c1);
  });

  it('serves anonymous callers when the server accepts anonymous access', async () => {
    const [c1] = makeRepo('public-d', [{ 'a.txt': '1' }]);
    const s = sources();
    await s.fetch(url('public-d'), good);
    expect((await s.resolve(url('public-d'), 'main')).sha).toBe(c1);
  });
});

describe('values that reach git argv are never options', () => {
  const hostile = [
    `--upload-pack=touch ${marker}`,
    `-c core.sshCommand=touch ${marker}`,
    `-ccore.sshCommand=touch ${marker}`,
    `--output=${marker}`,
    `--exec=touch ${marker}`,
    `-o${marker}`,
    `--config=core.sshCommand=touch ${marker}`,
  ];

  it('refuses or ignores them in every argument, and no command ever runs', async () => {
    const [sha] = makeRepo('argv', [{ 'app/a.yaml': 'a: 1\n' }]);
    const s = sources();
    await s.fetch(url('argv'), good);
    const urls = [
      ...hostile,
      `ext::sh -c touch% ${marker}`,
      `file://${repos}/argv.git`,
      `-u${marker}`,
      `http://-oProxyCommand=touch%20${encodeURIComponent(marker)}/x.git`,
    ];
    for (const bad of urls) {
      const e = await failure(s.fetch(bad, good));
      expect(['source.UnsupportedUrl', 'source.InvalidArgument'], bad).toContain(e.code);
    }
    for (const rev of hostile) {
      const e = await failure(s.resolve(url('argv'), rev, good));
      expect(e.code, rev).toBe('source.InvalidArgument');
      expect(e.message).toContain('must not start with "-"');
    }
    for (const v of hostile) {
      await expect(s.checkout(url('argv'), v)).rejects.toMatchObject({ code: 'source.InvalidRevision' });
      await expect(s.treeHash(url('argv'), v, 'app')).rejects.toMatchObject({
        code: 'source.InvalidRevision',
      });
      await expect(s.commitInfo(url('argv'), v)).rejects.toMatchObject({ code: 'source.InvalidRevision' });
      // A path is only ever the tail of `<sha>:<path>`: not found, never an option.
      await expect(s.treeHash(url('argv'), nth([sha ?? ''], 0), v)).rejects.toMatchObject({
        code: 'source.PathNotFound',
      });
    }
    // Credentials travel in a header, whatever they look like.
    for (const v of hostile)
      expect((await failure(s.fetch(url('argv'), { username: v, password: v }, { force: true }))).code).toBe(
        'source.AuthFailed',
      );
    expect(existsSync(marker)).toBe(false);
    expect(readdirSync(root).filter((n) => n.startsWith('-'))).toEqual([]);
  });
});

describe('connection-level failures all look the same', () => {
  const servers: (TcpServer | Server)[] = [];
  const sockets: Socket[] = [];
  afterAll(async () => {
    for (const sk of sockets) sk.destroy();
    await Promise.all(servers.map((sv) => new Promise((r) => sv.close(r))));
  });

  async function listen(sv: TcpServer | Server): Promise<number> {
    servers.push(sv);
    await new Promise<void>((r) => sv.listen(0, '127.0.0.1', r));
    const a = sv.address();
    return typeof a === 'object' && a ? a.port : 0;
  }

  it('gives one message for a closed port, a non-HTTP port, a silent port, a web server, a missing and an empty repo', async () => {
    const closedPort = await listen(createTcpServer());
    await new Promise((r) => servers.pop()?.close(r));
    const sshLike = await listen(
      createTcpServer((sk) => {
        sockets.push(sk);
        sk.end('SSH-2.0-OpenSSH_9.6\r\n');
      }),
    );
    const silent = await listen(createTcpServer((sk) => void sockets.push(sk)));
    const web = await listen(createHttpServer((_req, res) => res.end('<html>hello</html>')));
    const notFound = await listen(createHttpServer((_req, res) => res.writeHead(404).end('no')));
    execFileSync('git', ['init', '--quiet', '--bare', join(repos, 'empty.git')]);
    const logged: Record<string, unknown>[] = [];
    const s = sources({ timeoutMs: 1_500, log: { warn: (o) => void logged.push(o) } });
    const targets = [
      `http://127.0.0.1:${closedPort}/r.git`,
      `http://127.0.0.1:${sshLike}/r.git`,
      `http://127.0.0.1:${silent}/r.git`,
      `http://127.0.0.1:${web}/r.git`,
      `http://127.0.0.1:${notFound}/r.git`,
      url('does-not-exist'),
      url('empty'),
    ];
    for (const target of targets) {
      const e = await failure(s.fetch(target, good));
      expect(e.code, target).toBe('source.Unreachable');
      expect(e.transient).toBe(true);
      expect(e.message).toBe(`${target}: repository ${target} ${UNREACHABLE}`);
    }
    // The detail is kept for the hub's log, scrubbed of credentials.
    expect(logged.length).toBe(targets.length);
    expect(JSON.stringify(logged)).toMatch(/Connection refused|Failed to connect/i);
    expect(JSON.stringify(logged)).not.toContain(good.password);
  });

  it('refuses link-local (metadata) addresses before connecting, and pins names to checked addresses', async () => {
    const s = sources({ resolver: async (h) => (h === 'meta.test' ? ['169.254.169.254'] : ['127.0.0.1']) });
    for (const target of [
      'http://169.254.169.254/latest/meta-data.git',
      'http://meta.test/x.git',
      'http://[::ffff:169.254.169.254]/x.git',
      'http://[fe80::1]/x.git',
    ]) {
      const e = await failure(s.fetch(target, good));
      expect(e.code, target).toBe('source.AddressDenied');
      expect(e.transient).toBe(false);
    }
    // `git.example.test` does not exist in DNS: git reaches the server only through the pin.
    const [c1] = makeRepo('pinned', [{ 'a.txt': '1' }]);
    const port = new URL(base).port;
    const pinnedUrl = `http://git.example.test:${port}/pinned.git`;
    expect((await s.resolve(pinnedUrl, 'main', good)).sha).toBe(c1);

    const strict = sources({ deniedNetworks: ['127.0.0.0/8'] });
    expect((await failure(strict.fetch(url('pinned'), good))).code).toBe('source.AddressDenied');
    expect(() => sources({ deniedNetworks: ['not-a-range'] })).toThrow(/not-a-range/);
  });
});

describe('checkouts are bounded', () => {
  function checkoutDirs(s: GitSources, cacheDir: string): string[] {
    void s;
    return readdirSync(join(cacheDir, 'checkouts')).filter((n) => /^[0-9a-f]{40}$/.test(n));
  }

  it('keeps the in-use and the most recent checkouts per repository across many commits', async () => {
    const commits = Array.from({ length: 25 }, (_, i) => ({
      'app/cm.yaml': `v: ${i}\n`,
      [`f${i}.txt`]: 'x'.repeat(1000),
    }));
    const shas = makeRepo('many', commits);
    let clock = 1_000_000;
    const cacheDir = mkdtempSync(join(root, 'cache-'));
    const s = new GitSources({ cacheDir, now: () => clock, checkoutsPerRepo: 2, checkoutLeaseMs: 60_000 });
    await s.fetch(url('many'), good);

    // Held for the whole test, as a long render would: never removed.
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let heldDir = '';
    const holding = s.withCheckout(url('many'), nth(shas, 0), async (dir) => {
      heldDir = dir;
      await held;
    });
    while (!heldDir) await new Promise((r) => setTimeout(r, 10));

    let most = 0;
    for (const sha of shas.slice(1)) {
      await s.checkout(url('many'), sha);
      clock += 61_000; // each earlier checkout's lease has run out
      await s.collectCheckouts();
      most = Math.max(most, checkoutDirs(s, cacheDir).length);
      expect(existsSync(join(heldDir, 'app/cm.yaml'))).toBe(true);
    }
    // Held one + the two most recent (+ at most one whose lease has not yet run out).
    expect(most).toBeLessThanOrEqual(4);
    const left = checkoutDirs(s, cacheDir);
    expect(left).toContain(shas[0]);
    expect(left).toContain(shas[24]);
    expect(left).toContain(shas[23]);

    release();
    await holding;
    clock += 61_000;
    await s.checkout(url('many'), nth(shas, 10)); // an old commit again: extracted afresh
    await s.collectCheckouts();
    // Released just now, the held one counts as recently used: it and the new one stay.
    expect(checkoutDirs(s, cacheDir).sort()).toEqual([shas[0], shas[10]].sort());
    expect(readdirSync(join(cacheDir, 'checkouts')).filter((n) => n.startsWith('.'))).toEqual([]);
  });

  it('does not remove a checkout handed out within its lease, and bounds total bytes', async () => {
    const commits = Array.from({ length: 6 }, (_, i) => ({ [`big${i}.bin`]: 'y'.repeat(50_000) }));
    const shas = makeRepo('bytes', commits);
    let clock = 5_000_000;
    const cacheDir = mkdtempSync(join(root, 'cache-'));
    const s = new GitSources({
      cacheDir,
      now: () => clock,
      checkoutsPerRepo: 10,
      maxCheckoutBytes: 120_000,
      checkoutLeaseMs: 60_000,
    });
    await s.fetch(url('bytes'), good);
    // All within one lease: nothing may go, whatever the budget says.
    for (const sha of shas) await s.checkout(url('bytes'), sha);
    await s.collectCheckouts();
    expect(checkoutDirs(s, cacheDir)).toHaveLength(6);
    clock += 61_000;
    await s.checkout(url('bytes'), nth(shas, 5));
    await s.collectCheckouts();
    // The latest commit holds 300 kB (six files of 50 kB) and is in use; every other goes.
    expect(checkoutDirs(s, cacheDir)).toEqual([shas[5]]);
  });

  it('removes checkouts an earlier process left behind unless they are asked for', async () => {
    const shas = makeRepo('leftover', [{ 'a.txt': '1' }, { 'a.txt': '2' }, { 'a.txt': '3' }]);
    const cacheDir = mkdtempSync(join(root, 'cache-'));
    const first = new GitSources({ cacheDir });
    await first.fetch(url('leftover'), good);
    for (const sha of shas) await first.checkout(url('leftover'), sha);
    expect(checkoutDirs(first, cacheDir)).toHaveLength(3);

    const second = new GitSources({ cacheDir, checkoutsPerRepo: 1 });
    await second.fetch(url('leftover'), good);
    await second.checkout(url('leftover'), nth(shas, 1));
    await second.collectCheckouts();
    expect(checkoutDirs(second, cacheDir)).toEqual([shas[1]]);
  });
});

describe('partial checkouts', () => {
  it('extracts only the paths asked for, read-only, and is collected like a whole one', async () => {
    const shas = makeRepo('partial', [
      {
        'svc-a/cm.yaml': 'a: 1\n',
        'svc-a/deep/x.yaml': 'x: 1\n',
        'base/b.yaml': 'b: 1\n',
        'svc-b/cm.yaml': 'b: 1\n',
        '*/star.yaml': 'literal star\n',
      },
      { 'svc-a/cm.yaml': 'a: 2\n' },
    ]);
    let clock = 9_000_000;
    const cacheDir = mkdtempSync(join(root, 'cache-'));
    const s = new GitSources({ cacheDir, now: () => clock, checkoutsPerRepo: 1, checkoutLeaseMs: 60_000 });
    await s.fetch(url('partial'), good);
    const c1 = nth(shas, 0);
    const dir = await s.checkout(url('partial'), c1, { paths: ['svc-a', 'base/b.yaml', 'svc-a/'] });
    expect(dir).toMatch(new RegExp(`${c1}-p[0-9a-f]{16}$`, 'u'));
    expect(readdirSync(dir).sort()).toEqual(['base', 'svc-a']);
    expect(readdirSync(join(dir, 'svc-a')).sort()).toEqual(['cm.yaml', 'deep']);
    expect(readdirSync(join(dir, 'base'))).toEqual(['b.yaml']);
    expect(statSync(join(dir, 'svc-a')).mode & 0o777).toBe(0o555);
    expect(statSync(join(dir, 'svc-a', 'cm.yaml')).mode & 0o777).toBe(0o444);
    // The same set in another order or spelling is the same directory; the whole commit is another.
    expect(await s.checkout(url('partial'), c1, { paths: ['base/b.yaml', 'svc-a'] })).toBe(dir);
    expect(await s.checkout(url('partial'), c1, { paths: ['', 'svc-a'] })).toMatch(new RegExp(`${c1}$`, 'u'));
    // A path is literal, never a pattern: `*` names the folder called `*` alone.
    const star = await s.checkout(url('partial'), c1, { paths: ['*'] });
    expect(readdirSync(star)).toEqual(['*']);
    // A path the commit lacks, or one leaving the repository, fails and leaves nothing behind.
    expect((await failure(s.checkout(url('partial'), c1, { paths: ['svc-a', 'gone'] }))).code).toBe(
      'source.PathNotFound',
    );
    await expect(s.checkout(url('partial'), c1, { paths: ['../etc'] })).rejects.toThrow(
      /leaves the repository/u,
    );
    expect(readdirSync(join(cacheDir, 'checkouts')).filter((n) => n.startsWith('.'))).toEqual([]);

    // Collected like a whole checkout once its lease has run out and newer ones are used.
    clock += 61_000;
    await s.checkout(url('partial'), nth(shas, 1), { paths: ['svc-a'] });
    await s.collectCheckouts();
    expect(readdirSync(join(cacheDir, 'checkouts')).filter((n) => n.startsWith(c1))).toEqual([]);
  });
});

describe('directories', () => {
  it("lists a commit's folders from its trees, with no checkout", async () => {
    const shas = makeRepo('dirs', [
      { 'apps/a/cm.yaml': 'a\n', 'apps/b/deep/cm.yaml': 'b\n', 'README.md': 'r\n' },
      { 'apps/c/cm.yaml': 'c\n' },
    ]);
    const cacheDir = mkdtempSync(join(root, 'cache-'));
    const s = new GitSources({ cacheDir });
    await s.fetch(url('dirs'), good);
    expect(await s.directories(url('dirs'), nth(shas, 0))).toEqual([
      'apps',
      'apps/a',
      'apps/b',
      'apps/b/deep',
    ]);
    expect(await s.directories(url('dirs'), nth(shas, 1))).toEqual([
      'apps',
      'apps/a',
      'apps/b',
      'apps/b/deep',
      'apps/c',
    ]);
    expect(existsSync(join(cacheDir, 'checkouts', nth(shas, 1)))).toBe(false);
    expect((await failure(s.directories(url('dirs'), 'f'.repeat(40)))).code).toBe('source.RevisionNotFound');
  });
});
