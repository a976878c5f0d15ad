import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './ports.js';
import { startProcess, type ManagedProcess } from './process.js';
import { toolPath } from './tools.js';
import { waitFor, FatalWaitError } from './wait.js';

const run = promisify(execFile);

/** A real Gitea (built from Go modules by scripts/build-tools.sh): a Git hosting API with pull requests. */
export interface Gitea {
  url: string;
  admin: { username: string; password: string; token: string };
  process: ManagedProcess;
  /** Calls the REST API as the admin user; throws on a non-2xx answer. */
  api<T>(method: string, path: string, body?: unknown): Promise<T>;
  stop(): Promise<void>;
}

/**
 * Starts Gitea with SQLite in `dir`, an admin user and an API token; ready when /api/v1/version
 * answers. `oidcProvider` turns on its OAuth2/OpenID Connect provider (RS256 ID tokens, PKCE).
 */
export async function startGitea(
  dir: string,
  logDir: string,
  opts: { oidcProvider?: boolean } = {},
): Promise<Gitea> {
  const bin = toolPath('gitea');
  const assets = join(dirname(dirname(bin)), 'share');
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const ini = join(dir, 'app.ini');
  const secret = (): string => Buffer.from(crypto.getRandomValues(new Uint8Array(24))).toString('hex');
  writeFileSync(
    ini,
    [
      'APP_NAME = gitfleet-test',
      `RUN_USER = ${userInfo().username}`,
      `WORK_PATH = ${dir}`,
      // Test machines run as root; Gitea refuses that unless told this is on purpose.
      'I_AM_BEING_UNSAFE_RUNNING_AS_ROOT = true',
      '[server]',
      'HTTP_ADDR = 127.0.0.1',
      `HTTP_PORT = ${port}`,
      `ROOT_URL = ${url}/`,
      'DISABLE_SSH = true',
      'OFFLINE_MODE = true',
      `STATIC_ROOT_PATH = ${assets}`,
      `APP_DATA_PATH = ${join(dir, 'data')}`,
      '[database]',
      'DB_TYPE = sqlite3',
      `PATH = ${join(dir, 'gitea.db')}`,
      '[repository]',
      `ROOT = ${join(dir, 'repos')}`,
      '[security]',
      'INSTALL_LOCK = true',
      `SECRET_KEY = ${secret()}`,
      `INTERNAL_TOKEN = ${secret()}`,
      '[oauth2]',
      `ENABLED = ${opts.oidcProvider ? 'true' : 'false'}`,
      '[service]',
      'DISABLE_REGISTRATION = true',
      '[session]',
      'PROVIDER = memory',
      '[cache]',
      'ADAPTER = memory',
      '[mailer]',
      'ENABLED = false',
      // Webhooks go to the hub under test on this machine (Gitea refuses loopback by default).
      '[webhook]',
      'ALLOWED_HOST_LIST = loopback',
      '[log]',
      'MODE = console',
      'LEVEL = warn',
      '',
    ].join('\n'),
  );
  const gitea = async (...args: string[]): Promise<string> =>
    (
      await run(bin, ['--config', ini, '--work-path', dir, ...args], {
        timeout: 120_000,
        env: { ...process.env, GITEA_WORK_DIR: dir },
      })
    ).stdout;
  await gitea('migrate');
  const admin = { username: 'gitfleet', password: secret() };
  await gitea(
    'admin',
    'user',
    'create',
    '--username',
    admin.username,
    '--password',
    admin.password,
    '--email',
    'ci@gitfleet.dev',
    '--admin',
    '--must-change-password=false',
  );
  // The token is the last line: Gitea prints its running-as-root warning first.
  const out = await gitea(
    'admin',
    'user',
    'generate-access-token',
    '--username',
    admin.username,
    '--token-name',
    'tests',
    '--scopes',
    'all',
    '--raw',
  );
  const token = out.trim().split('\n').pop()?.trim() ?? '';
  const proc = startProcess({
    name: 'gitea',
    command: bin,
    args: ['--config', ini, '--work-path', dir, 'web'],
    env: { GITEA_WORK_DIR: dir },
    logDir,
  });
  await waitFor(
    'gitea /api/v1/version',
    async () => {
      if (!proc.running) throw new FatalWaitError(`gitea exited:\n${proc.tail()}`);
      return (await fetch(`${url}/api/v1/version`)).ok;
    },
    { timeoutMs: 60_000, intervalMs: 200 },
  );
  const api = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${url}/api/v1${path}`, {
      method,
      headers: {
        Authorization: `token ${token}`,
        'Content-Type': 'application/json',
        Accept: 'application/json',
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`gitea ${method} ${path}: HTTP ${res.status}: ${text.slice(0, 300)}`);
    return (text ? JSON.parse(text) : undefined) as T;
  };
  return { url, admin: { ...admin, token }, process: proc, api, stop: () => proc.stop() };
}
