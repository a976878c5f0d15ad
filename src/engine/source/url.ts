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

/** What GitSources needs of a repository URL: its identity and the URL git is given. */
export interface RepoLocation {
  /** normalizeRepoUrl() of the URL. */
  key: string;
  /** The caller's URL without userinfo and fragment: what git fetches (servers may need `.git`). */
  fetchUrl: string;
  /** Mirror directory name: the first 16 hex digits of sha256(key), plus `.git`. */
  mirrorName: string;
}

/**
 * Validates that a repository URL can be fetched (http or https only: file, ssh and ext transports
 * could read local files or run commands) and derives its mirror identity. Userinfo in the URL is
 * dropped, never used: credentials travel only as GitCredentials.
 */
export function locateRepo(url: string): RepoLocation {
  let parsed: URL;
  try {
    parsed = new URL(url.trim());
  } catch {
    throw unsupported(url, 'only http(s) URLs are supported');
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')
    throw unsupported(url, `only http(s) URLs are supported, not ${parsed.protocol.replace(/:$/, '')}`);
  // curl would take such a host as a name, but nothing legitimate looks like an option.
  if (parsed.hostname.startsWith('-')) throw unsupported(url, 'the host must not start with "-"');
  parsed.username = '';
  parsed.password = '';
  parsed.hash = '';
  const key = normalizeRepoUrl(parsed.toString());
  const digest = createHash('sha256').update(key).digest('hex').slice(0, 16);
  return { key, fetchUrl: parsed.toString(), mirrorName: `${digest}.git` };
}

function unsupported(url: string, why: string): SourceError {
  return new SourceError(url, why, { code: 'source.UnsupportedUrl', transient: false });
}
