import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { GitfleetError } from '../core/errors.js';
import { HubClient, HubError } from '../core/hub-client.js';
import { UsageError } from './output.js';

/** What `gitfleet login` remembers: the hub, its token, and a private CA if any. */
export interface HubLogin {
  hub: string;
  token: string;
  ca?: string;
}

export function configPath(): string {
  return (
    process.env.GITFLEET_CONFIG ??
    join(process.env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'gitfleet', 'config.json')
  );
}

export function readLogin(): HubLogin | undefined {
  const p = configPath();
  if (!existsSync(p)) return undefined;
  try {
    const v = JSON.parse(readFileSync(p, 'utf8')) as Partial<HubLogin>;
    return v.hub && v.token ? { hub: v.hub, token: v.token, ...(v.ca ? { ca: v.ca } : {}) } : undefined;
  } catch {
    throw new UsageError(`${p}: not valid JSON; run 'gitfleet login' again`);
  }
}

/** Stores the login readable by its owner only: it holds a bearer token. */
export function writeLogin(login: HubLogin): string {
  const p = configPath();
  mkdirSync(dirname(p), { recursive: true, mode: 0o700 });
  writeFileSync(p, `${JSON.stringify(login, null, 2)}\n`, { mode: 0o600 });
  chmodSync(p, 0o600);
  return p;
}

/** Flags every hub-mode command accepts. */
export const hubFlags = {
  hub: { type: 'string' },
  token: { type: 'string' },
  'hub-ca': { type: 'string' },
} as const;

/**
 * The hub to talk to: `--hub` (token from --token, $GITFLEET_TOKEN or the login), else the login
 * of `gitfleet login`, else $GITFLEET_HUB. Undefined when none: the command then talks to
 * Kubernetes directly with a kubeconfig.
 */
export function hubFrom(values: { hub?: string; token?: string; 'hub-ca'?: string }): HubClient | undefined {
  const login = readLogin();
  const url = values.hub ?? process.env.GITFLEET_HUB ?? login?.hub;
  if (!url) return undefined;
  const token =
    values.token ?? process.env.GITFLEET_TOKEN ?? (login && login.hub === url ? login.token : undefined);
  if (!token)
    throw new UsageError(
      `no token for ${url}: run 'gitfleet login --hub ${url} --token …' or set GITFLEET_TOKEN`,
    );
  const caFile = values['hub-ca'];
  const ca = caFile ? readFileSync(caFile, 'utf8') : login?.hub === url ? login.ca : undefined;
  return new HubClient({ url, token, ...(ca ? { ca } : {}) });
}

/** Whether argv asks for hub mode (or a login exists and no kubeconfig was asked for). */
export function wantsHub(argv: string[]): boolean {
  if (argv.some((a) => a === '--hub' || a.startsWith('--hub='))) return true;
  if (argv.some((a) => a.startsWith('--kubeconfig') || a.startsWith('--hub-kubeconfig'))) return false;
  return !!process.env.GITFLEET_HUB || !!readLogin();
}

/** Runs `fn` with a hub client; hub errors become one clear line (the hub's own reason). */
export async function withHub<T>(client: HubClient, fn: (c: HubClient) => Promise<T>): Promise<T> {
  try {
    return await fn(client);
  } catch (e) {
    if (e instanceof HubError && e.status === 403)
      throw new GitfleetError('hub.Forbidden', `forbidden: ${e.message.replace(/^.*?: 403: /, '')}`);
    if (e instanceof HubError && e.status === 401)
      throw new GitfleetError(
        'hub.Unauthorized',
        `the hub refused the token (401): run 'gitfleet login' again`,
      );
    throw e;
  } finally {
    client.close();
  }
}
