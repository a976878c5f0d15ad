import { createHash } from 'node:crypto';
import { SourceError } from '../errors.js';

/** `git@host:path` — the scp-like form Git accepts for SSH; there is no scheme and no port. */
const SCP_LIKE = /^(?:[^@/\s]+@)?([^:/\s]+):(?!\/\/)(.+)$/;

/**
 * The identity of a repository, used as the key of its mirror and to match webhook payloads with
 * applications: scheme and host lower-cased, default port dropped, userinfo, query and fragment
 * dropped, trailing `/` and one `.git` suffix removed (`https://GitHub.com/org/app.git/` →
 * `https://github.com/org/app`). The path keeps its case because most servers are case-sensitive.
 * Accepts http(s), ssh, git and scp-like (`git@host:org/app.git`, normalised to `ssh://host/org/app`)
 * so that every URL of a webhook payload can be compared; only http(s) can be fetched.
 * Throws SourceError `source.UnsupportedUrl` for text that is not a URL.
 */
export function normalizeRepoUrl(url: string): string {
  const trimmed = url.trim();
  if (!trimmed.includes('://')) {
    const scp = SCP_LIKE.exec(trimmed);
    if (!scp?.[1] || !scp[2]) throw unsupported(url, 'not a URL');
    return normalizeRepoUrl(`ssh://${scp[1]}/${scp[2].replace(/^\/+/, '')}`);
  }
  let parsed: URL;
  try {
    parsed = new URL(trimmed);
  } catch {
    throw unsupported(url, 'not a URL');
  }
  if (!parsed.hostname) throw unsupported(url, 'the URL has no host');
  // `new URL` lower-cases and drops default ports only for special schemes (http, https, …).
  const port = parsed.port && parsed.port !== DEFAULT_PORTS[parsed.protocol] ? `:${parsed.port}` : '';
  let path = parsed.pathname.replace(/\/+$/, '');
  if (path.endsWith('.git')) path = path.slice(0, -4).replace(/\/+$/, '');
  return `${parsed.protocol}//${parsed.hostname.toLowerCase()}${port}${path}`;
}

const DEFAULT_PORTS: Record<string, string> = { 'ssh:': '22', 'git:': '9418' };

/** Where git connects for an SSH repository, each part checked against a strict grammar. */
export interface SshTarget {
  /** The login name, or undefined (ssh then uses the hub's own user name). */
  user: string | undefined;
  /** A host name or an IP literal (IPv6 without brackets). */
  host: string;
  port: number;
  /** The name known_hosts lists this host under: `host` on port 22, `[host]:port` otherwise. */
  knownHostsName: string;
}

/** What GitSources needs of a repository URL: its identity and the URL git is given. */
export interface RepoLocation {
  /** normalizeRepoUrl() of the URL. */
  key: string;
  /**
   * What git fetches: for http(s) the caller's URL without userinfo and fragment (servers may need
   * `.git`); for SSH the URL rebuilt from its checked parts, the user kept (it is the login).
   */
  fetchUrl: string;
  /** Mirror directory name: the first 16 hex digits of sha256(key), plus `.git`. */
  mirrorName: string;
  /** Set for SSH URLs (`ssh://…` and scp-like `user@host:path`), which need an SSH key to fetch. */
  ssh?: SshTarget;
}

/** A DNS name or IPv4 literal: letters, digits, dots and inner dashes. Never a leading `-`. */
const HOST_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$/;
/** An IPv6 literal as the URL parser leaves it, between brackets. */
const HOST_V6 = /^\[([0-9A-Fa-f:.]+)\]$/;
/** A login name as ssh and POSIX allow it, minus anything ssh could read as an option. */
const USER_NAME = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;

/**
 * Validates that a repository URL can be fetched and derives its mirror identity. Accepted:
 * `http(s)://` and SSH (`ssh://[user@]host[:port]/path`, scp-like `[user@]host:path`); file, ext,
 * git and anything else could read local files or run commands. Userinfo in an http(s) URL is
 * dropped, never used: credentials travel only as GitCredentials. In an SSH URL the user is the
 * login and stays; a password there is refused. For SSH, the host and user are the ssh client's
 * argv: a host or user that is not a plain name (a leading `-` would be an option such as
 * `-oProxyCommand=…`) is refused here, before git or ssh see it.
 */
export function locateRepo(url: string): RepoLocation {
  const text = url.trim();
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(text))
    throw unsupported(url, 'the URL must not contain control characters');
  if (!text.includes('://')) return locateScpLike(url, text);
  let parsed: URL;
  try {
    parsed = new URL(text);
  } catch {
    throw unsupported(url, 'only http(s) and ssh URLs are supported');
  }
  if (parsed.protocol === 'ssh:') return locateSsh(url, parsed);
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')
    throw unsupported(
      url,
      `only http(s) and ssh URLs are supported, not ${parsed.protocol.replace(/:$/, '')}`,
    );
  // curl would take such a host as a name, but nothing legitimate looks like an option.
  if (parsed.hostname.startsWith('-')) throw unsupported(url, 'the host must not start with "-"');
  parsed.username = '';
  parsed.password = '';
  parsed.hash = '';
  return withKey(parsed.toString());
}

function withKey(fetchUrl: string, ssh?: SshTarget): RepoLocation {
  const key = normalizeRepoUrl(fetchUrl);
  const digest = createHash('sha256').update(key).digest('hex').slice(0, 16);
  return { key, fetchUrl, mirrorName: `${digest}.git`, ...(ssh ? { ssh } : {}) };
}

function locateSsh(url: string, parsed: URL): RepoLocation {
  if (parsed.password) throw unsupported(url, 'an SSH URL must not hold a password (use an SSH key)');
  if (parsed.search || parsed.hash) throw unsupported(url, 'an SSH URL must not have a query or fragment');
  const user = parsed.username ? decodeURIComponent(parsed.username) : undefined;
  const target = sshTarget(url, user, parsed.hostname, parsed.port ? Number(parsed.port) : 22);
  const path = parsed.pathname;
  checkPath(url, path.replace(/^\/+/, ''));
  const host = target.host.includes(':') ? `[${target.host}]` : target.host;
  const port = target.port === 22 ? '' : `:${target.port}`;
  return withKey(`ssh://${user ? `${user}@` : ''}${host}${port}${path}`, target);
}

/** `[user@]host:path` — git's scp-like SSH form. No port; IPv6 hosts need the ssh:// form. */
function locateScpLike(url: string, text: string): RepoLocation {
  const colon = text.indexOf(':');
  const slash = text.indexOf('/');
  // git takes `a/b:c` for a local path: so do we, and local paths are refused.
  if (colon <= 0 || (slash !== -1 && slash < colon))
    throw unsupported(url, 'only http(s) and ssh URLs are supported');
  const login = text.slice(0, colon);
  const path = text.slice(colon + 1);
  // `<transport>::<address>` is git's remote-helper syntax (`ext::sh -c …` runs a command).
  if (path.startsWith(':')) throw unsupported(url, `git's "<transport>::" form is not supported`);
  const at = login.lastIndexOf('@');
  const user = at === -1 ? undefined : login.slice(0, at);
  const target = sshTarget(url, user, login.slice(at + 1), 22);
  checkPath(url, path);
  return withKey(`${user ? `${user}@` : ''}${target.host}:${path}`, target);
}

function sshTarget(url: string, user: string | undefined, rawHost: string, port: number): SshTarget {
  if (user !== undefined && !USER_NAME.test(user))
    throw unsupported(
      url,
      user.startsWith('-')
        ? 'the SSH user must not start with "-"'
        : 'the SSH user may hold only letters, digits, ".", "_" and "-"',
    );
  const v6 = HOST_V6.exec(rawHost)?.[1];
  if (rawHost.startsWith('-')) throw unsupported(url, 'the host must not start with "-"');
  if (!v6 && !HOST_NAME.test(rawHost))
    throw unsupported(url, 'the SSH host must be a host name or an IP address');
  const host = v6 ?? rawHost.toLowerCase();
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw unsupported(url, 'the SSH port is invalid');
  return { user, host, port, knownHostsName: port === 22 ? host : `[${host}]:${port}` };
}

function checkPath(url: string, path: string): void {
  if (path === '' || path === '/') throw unsupported(url, 'the SSH URL names no repository path');
  if (path.startsWith('-')) throw unsupported(url, 'the repository path must not start with "-"');
}

function unsupported(url: string, why: string): SourceError {
  return new SourceError(url, why, { code: 'source.UnsupportedUrl', transient: false });
}
