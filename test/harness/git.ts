import { execFile } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import type { Access, UsersFile } from './git-server/users.js';
import { freePort } from './ports.js';
import { startProcess, type ManagedProcess } from './process.js';
import { repoRoot, systemTool } from './tools.js';
import { FatalWaitError, waitFor } from './wait.js';

const execFileP = promisify(execFile);

/** Runs git with an argument array, no prompts and no user or system config. */
export async function git(args: string[], opts: { cwd?: string; timeoutMs?: number } = {}): Promise<string> {
  const { stdout } = await execFileP(systemTool('git'), args, {
    cwd: opts.cwd,
    timeout: opts.timeoutMs ?? 60_000,
    maxBuffer: 16 * 1024 * 1024,
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: '/nonexistent',
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_TERMINAL_PROMPT: '0',
      GIT_AUTHOR_NAME: 'gitfleet test',
      GIT_AUTHOR_EMAIL: 'test@gitfleet.dev',
      GIT_COMMITTER_NAME: 'gitfleet test',
      GIT_COMMITTER_EMAIL: 'test@gitfleet.dev',
      // No automatic gc: a commit of thousands of files (bench/peers at 1,000 apps) starts a
      // detached `git gc` that still writes into the work tree while it is being removed.
      GIT_CONFIG_COUNT: '1',
      GIT_CONFIG_KEY_0: 'gc.auto',
      GIT_CONFIG_VALUE_0: '0',
    },
  });
  return stdout;
}

/** A file to write (string), delete (null) or make a symbolic link (`{ symlink: target }`) in a commit. */
export type FileChanges = Record<string, string | null | { symlink: string }>;

/** What identifies the run's Git server; plain data, so test workers can rebuild a GitRepos from it. */
export interface GitInfo {
  /** Base URL, e.g. http://127.0.0.1:PORT; repositories are at `${url}/${name}.git`. */
  url: string;
  /** Directory holding the bare repositories. */
  root: string;
  usersPath: string;
  /** Credentials of the user the helpers push as (access `write`). */
  admin: { username: string; password: string };
  /** Scratch space for work trees. */
  workDir: string;
}

/** Helpers that set up repositories through the Git server, as a user of it would. */
export interface GitRepos {
  info: GitInfo;
  /** Adds or changes a user; `none` refuses every request of that user from now on. */
  setUser(username: string, password: string, access: Access): void;
  repoUrl(name: string): string;
  /** Creates an empty bare repository whose default branch is `main`. */
  createRepo(name: string): Promise<string>;
  /** Commits the changes on `branch` (created from `from`, else main, when new) and pushes; returns the commit SHA. */
  commit(
    name: string,
    changes: FileChanges,
    opts?: { branch?: string; message?: string; from?: string },
  ): Promise<string>;
  tag(name: string, tag: string, ref?: string): Promise<void>;
  deleteBranch(name: string, branch: string): Promise<void>;
}

export interface GitServer extends GitRepos {
  process: ManagedProcess;
  stop(): Promise<void>;
}

export async function startGitServer(runDir: string): Promise<GitServer> {
  const root = join(runDir, 'git', 'repos');
  const workDir = join(runDir, 'git', 'work');
  const usersPath = join(runDir, 'git', 'users.json');
  mkdirSync(root, { recursive: true });
  mkdirSync(workDir, { recursive: true });
  const admin = { username: 'gitfleet-admin', password: randomSecret() };
  const users: UsersFile = { users: { [admin.username]: { password: admin.password, access: 'write' } } };
  writeFileSync(usersPath, JSON.stringify(users), { mode: 0o600 });

  const port = await freePort();
  const proc = startProcess({
    name: 'git-server',
    command: process.execPath,
    args: [
      '--import',
      'tsx',
      join(repoRoot, 'test/harness/git-server/main.ts'),
      '--root',
      root,
      '--users',
      usersPath,
      '--port',
      String(port),
    ],
    cwd: repoRoot,
    logDir: join(runDir, 'logs'),
  });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    'git server /healthz',
    async () => {
      if (!proc.running) throw new FatalWaitError(`git server exited:\n${proc.tail()}`);
      return (await fetch(`${url}/healthz`)).ok;
    },
    { timeoutMs: 30_000, intervalMs: 100 },
  );
  return { ...gitRepos({ url, root, usersPath, admin, workDir }), process: proc, stop: () => proc.stop() };
}

export function gitRepos(info: GitInfo): GitRepos {
  const authedUrl = (name: string): string => {
    const u = new URL(`${info.url}/${name}.git`);
    u.username = info.admin.username;
    u.password = info.admin.password;
    return u.toString();
  };
  const withWorkTree = async <T>(fn: (work: string) => Promise<T>): Promise<T> => {
    const work = mkdtempSync(join(info.workDir, 'w-'));
    try {
      return await fn(work);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  };
  return {
    info,
    setUser(username, password, access) {
      const users = JSON.parse(readFileSync(info.usersPath, 'utf8')) as UsersFile;
      users.users[username] = { password, access };
      // Write then rename: the server never reads a half-written file.
      const tmp = `${info.usersPath}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify(users), { mode: 0o600 });
      renameSync(tmp, info.usersPath);
    },
    repoUrl: (name) => `${info.url}/${name}.git`,
    async createRepo(name) {
      const dir = join(info.root, `${name}.git`);
      mkdirSync(dirname(dir), { recursive: true });
      await git(['init', '--quiet', '--bare', '--initial-branch=main', dir]);
      return `${info.url}/${name}.git`;
    },
    commit: (name, changes, opts = {}) =>
      withWorkTree(async (work) => {
        const branch = opts.branch ?? 'main';
        await git(['clone', '--quiet', authedUrl(name), work]);
        const remoteHas = async (b: string): Promise<boolean> =>
          (await git(['ls-remote', '--heads', 'origin', b], { cwd: work })).trim() !== '';
        if (await remoteHas(branch)) await git(['checkout', '--quiet', branch], { cwd: work });
        else if (opts.from || (await remoteHas('main')))
          await git(['checkout', '--quiet', '-b', branch, `origin/${opts.from ?? 'main'}`], { cwd: work });
        else await git(['checkout', '--quiet', '--orphan', branch], { cwd: work });
        for (const [path, content] of Object.entries(changes)) {
          const abs = join(work, path);
          rmSync(abs, { force: true, recursive: true });
          if (content === null) continue;
          mkdirSync(dirname(abs), { recursive: true });
          if (typeof content === 'string') writeFileSync(abs, content);
          else symlinkSync(content.symlink, abs);
        }
        await git(['add', '--all'], { cwd: work });
        await git(['commit', '--quiet', '--allow-empty', '-m', opts.message ?? 'test commit'], { cwd: work });
        await git(['push', '--quiet', 'origin', `HEAD:refs/heads/${branch}`], { cwd: work });
        return (await git(['rev-parse', 'HEAD'], { cwd: work })).trim();
      }),
    tag: (name, tag, ref = 'main') =>
      withWorkTree(async (work) => {
        await git(['clone', '--quiet', '--no-checkout', authedUrl(name), work]);
        await git(['tag', tag, `origin/${ref}`], { cwd: work });
        await git(['push', '--quiet', 'origin', `refs/tags/${tag}`], { cwd: work });
      }),
    deleteBranch: (name, branch) =>
      withWorkTree(async (work) => {
        await git(['init', '--quiet', work]);
        await git(['push', '--quiet', authedUrl(name), '--delete', branch], { cwd: work });
      }),
  };
}

function randomSecret(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(18))).toString('base64url');
}
