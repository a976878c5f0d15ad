import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SourceError, redactUrl } from '../errors.js';
import type { SshTarget } from './url.js';

/**
 * Credentials for one repository. `bearerToken` wins over username/password. A password without a
 * username is sent with the username `git` (GitHub, Gitea and GitLab accept any username next to
 * a token). They reach git only through the child's environment, never argv, URLs or disk.
 */
export interface GitCredentials {
  username?: string;
  /** A password or an access token. */
  password?: string;
  bearerToken?: string;
  /**
   * An unencrypted private key (OpenSSH or PEM), used only for SSH URLs: it reaches ssh as a 0600
   * file in a private temporary directory that exists for one command.
   */
  sshPrivateKey?: string;
  /**
   * The SSH host keys trusted for this fetch, in known_hosts format (the hub's list). Nothing else
   * is trusted: no system or user known_hosts, and an unknown or changed key is an error.
   */
  sshKnownHosts?: string;
  /** Where sshKnownHosts came from (`ConfigMap ns/name key k`), named when a host key is missing. */
  sshKnownHostsFrom?: string;
}

/** Where ssh connects: the checked target and the address that passed the deny-list (pinned). */
export interface SshConnect {
  target: SshTarget;
  address: string;
}

/** How one git (or tar) child process is run. */
export interface ExecOptions {
  gitBinary: string;
  /** Private HOME (under the cache directory): no user config, credential helpers or SSH keys. */
  home: string;
  /** Per command; the command is stopped (SIGTERM, then SIGKILL) when it passes. */
  timeoutMs: number;
  /** Used in error messages only, always redacted. */
  repoUrl: string;
  /** The bare repository to work in; passed as --git-dir so git never discovers another one. */
  gitDir?: string;
  creds?: GitCredentials;
  signal?: AbortSignal;
  /** Talks to the server: failures are classified as auth, not-found or network errors. */
  remote?: boolean;
  /** Default 64 MiB; more output stops the command (`source.OutputTooLarge`). */
  maxOutputBytes?: number;
  /**
   * `host:port:address,…` pinned with `http.curloptResolve`, so git connects to the addresses
   * that passed the deny-list check instead of resolving the name again (DNS rebinding).
   */
  pinnedResolve?: string;
  /** Where the detail of a failed remote command goes (the hub's log), since status gets none. */
  log?: SourceLog;
  /** Set for SSH repositories: remote commands then run ssh (and only ssh) with `creds`' key. */
  ssh?: SshConnect;
}

/** The part of a logger (pino's shape) the source stage uses for details kept out of status. */
export interface SourceLog {
  warn(obj: Record<string, unknown>, msg: string): void;
}

const DEFAULT_MAX_OUTPUT = 64 * 1024 * 1024;
const MAX_STDERR = 64 * 1024;
const KILL_GRACE_MS = 2_000;
/** Passed through so deployments behind proxies or with private CAs keep working. */
const PASS_THROUGH_ENV = [
  'http_proxy',
  'https_proxy',
  'no_proxy',
  'all_proxy',
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'NO_PROXY',
  'ALL_PROXY',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
  'GIT_SSL_CAINFO',
  'GIT_SSL_CAPATH',
  'TMPDIR',
];

/**
 * Config that keeps git on http(s) even if a server redirects elsewhere or a submodule asks for
 * another transport: file:// could read the host's disk and ext:: runs commands.
 */
export const SAFE_CONFIG = [
  '-c',
  'protocol.file.allow=never',
  '-c',
  'protocol.ext.allow=never',
  '-c',
  'protocol.allow=never',
  '-c',
  'protocol.http.allow=always',
  '-c',
  'protocol.https.allow=always',
  // Nothing may run a program on our behalf: no hooks in mirrors, no SSH command, no fsmonitor.
  '-c',
  'core.hooksPath=/dev/null',
  '-c',
  'core.sshCommand=false',
  '-c',
  'core.fsmonitor=false',
];

/**
 * Refuses a value that git could read as an option (a leading `-`), or that holds control
 * characters (a NUL ends an argv entry, a newline splits protocol lines). Every caller-supplied value
 * that reaches argv also goes after `--end-of-options`; this check is the second lock and gives a
 * clear error instead of git's.
 */
export function assertArgument(value: string, what: string, repoUrl: string): void {
  if (value.startsWith('-'))
    throw new SourceError(repoUrl, `${what} "${value}" must not start with "-"`, {
      code: 'source.InvalidArgument',
      transient: false,
    });
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value))
    throw new SourceError(repoUrl, `${what} must not contain control characters`, {
      code: 'source.InvalidArgument',
      transient: false,
    });
}

/** The value of the Authorization header for `creds`, or undefined when there is nothing to send. */
export function authorization(creds: GitCredentials | undefined): string | undefined {
  if (creds?.bearerToken) return `Bearer ${creds.bearerToken}`;
  if (!creds?.password && !creds?.username) return undefined;
  const basic = Buffer.from(`${creds.username || 'git'}:${creds.password ?? ''}`).toString('base64');
  return `Basic ${basic}`;
}

/**
 * A clean environment for git: nothing inherited except PATH and proxy/CA settings, no prompts,
 * no system or global config, no SSH, English messages (errors are classified by their text), and
 * the credentials as `http.extraHeader` through GIT_CONFIG_COUNT so they never appear in argv
 * (readable by every user in /proc) or in a config file.
 */
export function gitEnv(
  home: string,
  creds: GitCredentials | undefined,
  pinnedResolve?: string,
  sshCommandLine?: string,
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: home,
    LC_ALL: 'C',
    GIT_TERMINAL_PROMPT: '0',
    GIT_ASKPASS: '',
    SSH_ASKPASS: '',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_ALLOW_PROTOCOL: 'http:https',
    GIT_PROTOCOL_FROM_USER: '0',
  };
  if (sshCommandLine) {
    // An SSH repository: ssh is the only transport (no redirect to http, no file://), run exactly
    // as sshCommand() built it. GIT_SSH_COMMAND wins over core.sshCommand, which stays `false`.
    env.GIT_ALLOW_PROTOCOL = 'ssh';
    env.GIT_SSH_COMMAND = sshCommandLine;
    env.GIT_SSH_VARIANT = 'ssh';
  }
  for (const name of PASS_THROUGH_ENV) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  const config: [string, string][] = [];
  const header = authorization(creds);
  if (header) config.push(['http.extraHeader', `Authorization: ${header}`]);
  if (pinnedResolve) config.push(['http.curloptResolve', pinnedResolve]);
  if (config.length > 0) {
    env.GIT_CONFIG_COUNT = String(config.length);
    config.forEach(([key, value], i) => {
      env[`GIT_CONFIG_KEY_${i}`] = key;
      env[`GIT_CONFIG_VALUE_${i}`] = value;
    });
  }
  return env;
}

/**
 * Removes credential text from git output before it reaches an error message: the password or
 * token, the encoded header value, `user:password`, userinfo in URLs, Authorization header values,
 * and the username when it is long enough to be a token (short ones such as `git` would mangle
 * every message and are not secret).
 */
export function scrubber(creds: GitCredentials | undefined): (text: string) => string {
  const secrets = new Set<string>();
  const header = authorization(creds);
  if (header) secrets.add(header.slice(header.indexOf(' ') + 1));
  if (creds?.password) secrets.add(creds.password);
  if (creds?.bearerToken) secrets.add(creds.bearerToken);
  if (creds?.username && creds.password) secrets.add(`${creds.username}:${creds.password}`);
  if (creds?.username && creds.username.length >= 8) secrets.add(creds.username);
  if (creds?.sshPrivateKey) secrets.add(creds.sshPrivateKey.trim());
  const ordered = [...secrets].filter((s) => s !== '').sort((a, b) => b.length - a.length);
  return (text) => {
    let out = text.replace(/(Authorization:\s*)[^\r\n]*/gi, '$1***').replace(/\/\/[^/@\s]*@/g, '//');
    for (const s of ordered) out = out.split(s).join('***');
    return out;
  };
}

/** What a failed remote command means, from git's (C-locale) stderr. */
export interface RemoteFailure {
  code:
    | 'source.AuthFailed'
    | 'source.RepoNotFound'
    | 'source.Unreachable'
    | 'source.FetchFailed'
    | 'source.HostKeyUnknown'
    | 'source.HostKeyChanged';
  transient: boolean;
}

/**
 * Classifies a failed fetch/ls-remote. Refused credentials (401, 403, git asking for a username)
 * and a missing repository are terminal: retrying cannot help until someone changes them. Network,
 * TLS, 5xx and 429 are transient, and so is anything unrecognised from the server (cheap to retry).
 */
export function classifyRemoteFailure(stderr: string): RemoteFailure {
  // ssh's host-key verdicts come first: both end in "Host key verification failed".
  if (/REMOTE HOST IDENTIFICATION HAS CHANGED|Host key for \S+ has changed/i.test(stderr))
    return { code: 'source.HostKeyChanged', transient: false };
  if (/Host key verification failed|No \S+ host key is known for/i.test(stderr))
    return { code: 'source.HostKeyUnknown', transient: false };
  if (
    /Permission denied \((publickey|password|keyboard-interactive)|Permission denied, please try again/i.test(
      stderr,
    )
  )
    return { code: 'source.AuthFailed', transient: false };
  if (
    /returned error: 40[13]|Authentication failed|could not read (Username|Password)|terminal prompts disabled|HTTP Basic: Access denied|Invalid username or password/i.test(
      stderr,
    )
  )
    return { code: 'source.AuthFailed', transient: false };
  if (/returned error: 404|repository '[^']*' not found/i.test(stderr))
    return { code: 'source.RepoNotFound', transient: false };
  if (
    /returned error: (5\d\d|429|408)|Could not resolve|Failed to connect|Couldn't connect|Connection (refused|reset|timed out)|timed out|Network is unreachable|No route to host|name resolution|SSL|TLS|gnutls|certificate|RPC failed|early EOF|unexpected disconnect|hung up|Empty reply/i.test(
      stderr,
    )
  )
    return { code: 'source.Unreachable', transient: true };
  return { code: 'source.FetchFailed', transient: true };
}

/** The end of a supervised child process. */
export interface Outcome {
  code: number | null;
  stderr: string;
  /** Why we stopped it, if we did. */
  stopped?: 'timeout' | 'aborted' | 'overflow' | 'peer';
  spawnError?: Error;
}

/** A running child with a timeout and the caller's signal wired to it. */
export interface Supervised {
  done: Promise<Outcome>;
  /** Stops the child (SIGTERM, SIGKILL after a grace period); the first reason given is kept. */
  stop(reason: NonNullable<Outcome['stopped']>): void;
}

/**
 * Signals the child's whole process group (it was spawned `detached`, so it leads one): git runs
 * the transport in a helper (git-remote-http) that holds the output pipes, and killing git alone
 * left a fetch from a server that accepts TCP and never answers hanging past its timeout.
 */
function killTree(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid !== undefined) {
      process.kill(-child.pid, signal);
      return;
    }
  } catch {
    // Not a group leader (or gone): signal the child itself.
  }
  child.kill(signal);
}

/**
 * Watches a child: a timer for the per-command timeout, the caller's signal, a stderr tail. The
 * timeout is a deadline for one process, not a clock the engine reasons with, so it uses real time.
 */
export function supervise(
  child: ChildProcess,
  opts: { timeoutMs: number; signal?: AbortSignal },
): Supervised {
  let stopped: Outcome['stopped'];
  let stderr = '';
  let exited = false;
  const stop = (reason: NonNullable<Outcome['stopped']>): void => {
    if (exited || stopped) return;
    stopped = reason;
    killTree(child, 'SIGTERM');
    setTimeout(() => {
      if (!exited) killTree(child, 'SIGKILL');
    }, KILL_GRACE_MS).unref();
  };
  const timer = setTimeout(() => stop('timeout'), opts.timeoutMs);
  const onAbort = (): void => stop('aborted');
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString('utf8')).slice(-MAX_STDERR);
  });
  const done = new Promise<Outcome>((resolve) => {
    const finish = (outcome: Omit<Outcome, 'stderr' | 'stopped'>): void => {
      if (exited) return;
      exited = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      resolve({ ...outcome, stderr, ...(stopped ? { stopped } : {}) });
    };
    child.on('error', (spawnError) => finish({ code: null, spawnError }));
    child.on('close', (code) => finish({ code }));
  });
  if (opts.signal?.aborted) stop('aborted');
  return { done, stop };
}

/**
 * Turns a failed outcome into a SourceError with a scrubbed message. `what` names the command
 * (`git fetch`, `tar`); remote commands are classified, local ones are terminal `source.GitFailed`.
 */
export function outcomeError(what: string, outcome: Outcome, opts: ExecOptions): SourceError {
  const scrub = scrubber(opts.creds);
  const url = opts.repoUrl;
  if (outcome.spawnError)
    return new SourceError(url, `cannot run ${what}: ${scrub(outcome.spawnError.message)}`, {
      code: 'source.GitFailed',
      cause: outcome.spawnError,
    });
  if (outcome.stopped === 'timeout' && opts.remote) {
    opts.log?.warn(
      { repoURL: redactUrl(url), command: what, timeoutMs: opts.timeoutMs },
      'git remote command timed out',
    );
    return unreachable(url);
  }
  if (outcome.stopped === 'timeout')
    return new SourceError(url, `${what} timed out after ${opts.timeoutMs} ms`, {
      code: 'source.Timeout',
      transient: true,
    });
  if (outcome.stopped === 'aborted')
    return new SourceError(url, `${what} was cancelled`, {
      code: 'source.Aborted',
      transient: true,
      cause: opts.signal?.reason,
    });
  if (outcome.stopped === 'overflow')
    return new SourceError(
      url,
      `${what} wrote more than ${opts.maxOutputBytes ?? DEFAULT_MAX_OUTPUT} bytes`,
      {
        code: 'source.OutputTooLarge',
      },
    );
  const detail = scrub(outcome.stderr.trim()).slice(-2000);
  if (!opts.remote)
    return new SourceError(url, `${what} failed (exit ${outcome.code ?? 'signal'}): ${detail}`, {
      code: 'source.GitFailed',
    });
  const failure = classifyRemoteFailure(outcome.stderr);
  const shown = redactUrl(url);
  const hostName = opts.ssh?.target.knownHostsName ?? 'the server';
  if (failure.code === 'source.HostKeyUnknown')
    return new SourceError(
      url,
      `SSH host key verification failed: no host key for ${hostName} is in ${opts.creds?.sshKnownHostsFrom ?? "the hub's SSH known hosts"} (a host key is never trusted on first use: add the server's key there)`,
      { code: failure.code, transient: false },
    );
  if (failure.code === 'source.HostKeyChanged')
    return new SourceError(
      url,
      `SSH host key verification failed: the host key ${hostName} presented does not match ${opts.creds?.sshKnownHostsFrom ?? "the hub's SSH known hosts"} (the server's key changed, or another server answers); nothing was fetched`,
      { code: failure.code, transient: false },
    );
  if (failure.code === 'source.AuthFailed')
    // SourceError already starts the message with the URL; repeating it makes the sentence read
    // on its own in a status condition.
    return new SourceError(
      url,
      `authentication failed for ${shown}${/returned error: 403/.test(outcome.stderr) ? ' (access denied, HTTP 403)' : ''}`,
      { code: failure.code, transient: false },
    );
  opts.log?.warn({ repoURL: shown, command: what, kind: failure.code, detail }, 'git remote command failed');
  return unreachable(url);
}

/** The text of unreachable(), the same for every cause. */
export const UNREACHABLE = 'could not be reached, is not a Git repository, or has no branches';

/**
 * The one error every connection-level failure becomes (refused, reset, timed out, DNS, TLS, an
 * HTTP server that is not Git, a missing or empty repository): which of these happened tells a tenant
 * whether a port on an internal address is open, so status says none of it; the hub's log has
 * the detail. Transient: the server may come back, the repository may be created.
 */
export function unreachable(url: string): SourceError {
  return new SourceError(url, `repository ${redactUrl(url)} ${UNREACHABLE}`, {
    code: 'source.Unreachable',
    transient: true,
  });
}

/** A git command that ran to completion, whatever its exit code. */
export interface GitResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `git [--git-dir D] <safe config> <args…>` with an argument array (no shell), the clean
 * environment, the timeout, the caller's signal and the output limit. Returns non-zero exits as
 * data (for probes such as `rev-parse --verify`); throws SourceError only when the command could
 * not run to its end (not found, timeout, cancelled, too much output). A signal that is already
 * aborted spawns nothing.
 */
export async function runGitResult(args: string[], opts: ExecOptions): Promise<GitResult> {
  const what = `git ${args[0] ?? ''}`.trim();
  if (opts.signal?.aborted) throw outcomeError(what, { code: null, stderr: '', stopped: 'aborted' }, opts);
  if (opts.remote && opts.ssh) {
    const ssh = await prepareSsh(opts.ssh, opts);
    try {
      return await spawnGit(what, ['-c', 'protocol.ssh.allow=always', ...args], opts, ssh.commandLine);
    } finally {
      await ssh.dispose();
    }
  }
  return spawnGit(what, args, opts);
}

async function spawnGit(
  what: string,
  args: string[],
  opts: ExecOptions,
  sshCommandLine?: string,
): Promise<GitResult> {
  const child = spawn(opts.gitBinary, gitArgs(args, opts), {
    // Its own process group, so a timeout stops git's transport helpers too (killTree).
    detached: true,
    env: gitEnv(opts.home, opts.creds, opts.pinnedResolve, sshCommandLine),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const run = supervise(child, opts);
  const max = opts.maxOutputBytes ?? DEFAULT_MAX_OUTPUT;
  const chunks: Buffer[] = [];
  let size = 0;
  child.stdout.on('data', (d: Buffer) => {
    size += d.length;
    if (size > max) run.stop('overflow');
    else chunks.push(d);
  });
  const outcome = await run.done;
  if (outcome.stopped || outcome.spawnError || outcome.code === null) throw outcomeError(what, outcome, opts);
  return { exitCode: outcome.code, stdout: Buffer.concat(chunks).toString('utf8'), stderr: outcome.stderr };
}

/** runGitResult, with a non-zero exit turned into a SourceError (classified when `remote`). */
export async function runGit(args: string[], opts: ExecOptions): Promise<string> {
  const result = await runGitResult(args, opts);
  if (result.exitCode === 0) return result.stdout;
  throw outcomeError(`git ${args[0] ?? ''}`.trim(), { code: result.exitCode, stderr: result.stderr }, opts);
}

/** The full argv for a git command: the repository, the safety config, then the command. */
export function gitArgs(args: string[], opts: Pick<ExecOptions, 'gitDir'>): string[] {
  // `--git-dir=<dir>` in one word: the directory can never be taken for the next option.
  return [...(opts.gitDir ? [`--git-dir=${opts.gitDir}`] : []), ...SAFE_CONFIG, ...args];
}

/** Seconds ssh waits for the TCP connection (the command timeout bounds the rest). */
const SSH_CONNECT_TIMEOUT_S = 30;

/** What sshCommand() needs: the temporary files and where to connect. */
export interface SshCommandParts {
  keyFile: string;
  knownHostsFile: string;
  connect: SshConnect;
  connectTimeoutSec?: number;
}

/**
 * The GIT_SSH_COMMAND for one SSH fetch, a shell command line (git runs it through `sh -c` and
 * appends `[-o SendEnv=GIT_PROTOCOL] [-p port] <user@host> <git-upload-pack 'path'>`) in which
 * every word is single-quoted. `-F /dev/null`: no user or system ssh_config (no ProxyCommand,
 * no Match exec). Batch mode, strict host-key checking against only the given file, only the given
 * key, no agent, no forwarding, no multiplexing, no local commands. `Hostname=` pins the address
 * that passed the deny-list while `HostKeyAlias=` keeps checking the key under the name the URL
 * gave. A `--` cannot end ssh's options here, because git's own options follow this command; the
 * host and user git appends were checked by locateRepo() (never option-like), and git refuses an
 * option-like host itself. File names with whitespace, quotes or `%` (ssh splits and expands them)
 * are refused.
 */
export function sshCommand(parts: SshCommandParts): string {
  for (const file of [parts.keyFile, parts.knownHostsFile])
    if (!/^\/[^\s"'%\\]+$/.test(file))
      throw new Error(
        `SSH file path ${JSON.stringify(file)} must be absolute, without whitespace, quotes or %`,
      );
  const options = [
    'BatchMode=yes',
    'StrictHostKeyChecking=yes',
    `UserKnownHostsFile=${parts.knownHostsFile}`,
    'GlobalKnownHostsFile=/dev/null',
    'IdentitiesOnly=yes',
    'IdentityAgent=none',
    `HostKeyAlias=${parts.connect.target.knownHostsName}`,
    `Hostname=${parts.connect.address}`,
    'CheckHostIP=no',
    'UpdateHostKeys=no',
    'PasswordAuthentication=no',
    'KbdInteractiveAuthentication=no',
    'ForwardAgent=no',
    'ForwardX11=no',
    'ClearAllForwardings=yes',
    'PermitLocalCommand=no',
    'ControlMaster=no',
    'ControlPath=none',
    'ProxyCommand=none',
    'ProxyJump=none',
    `ConnectTimeout=${parts.connectTimeoutSec ?? SSH_CONNECT_TIMEOUT_S}`,
    'LogLevel=ERROR',
  ];
  const argv = ['ssh', '-F', '/dev/null', ...options.flatMap((o) => ['-o', o]), '-i', parts.keyFile];
  return argv.map(shellQuote).join(' ');
}

/** One word for `sh -c`: single quotes, each inner `'` closed, escaped and reopened. */
export function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * Writes the key (0600) and the known hosts into a fresh 0700 directory under the private HOME
 * and returns the ssh command line using them; dispose() removes the directory. A missing key
 * is refused here as well as in GitSources (an SSH command never runs without one).
 */
async function prepareSsh(
  connect: SshConnect,
  opts: ExecOptions,
): Promise<{ commandLine: string; dispose: () => Promise<void> }> {
  const key = opts.creds?.sshPrivateKey;
  if (!key) throw missingSshKey(opts.repoUrl);
  const dir = await mkdtemp(join(opts.home, 'ssh-'));
  const dispose = (): Promise<void> => rm(dir, { recursive: true, force: true });
  try {
    const keyFile = join(dir, 'key');
    const knownHostsFile = join(dir, 'known_hosts');
    // OpenSSH refuses a key without its final newline; Secrets edited by hand often lack it.
    const text = key.replace(/\r\n/g, '\n');
    await writeFile(keyFile, text.endsWith('\n') ? text : `${text}\n`, { mode: 0o600 });
    await writeFile(knownHostsFile, opts.creds?.sshKnownHosts ?? '', { mode: 0o600 });
    return { commandLine: sshCommand({ keyFile, knownHostsFile, connect }), dispose };
  } catch (e) {
    await dispose();
    throw e;
  }
}

/** An SSH URL without an SSH key: refused before anything connects. */
export function missingSshKey(repoUrl: string): SourceError {
  return new SourceError(
    repoUrl,
    'an SSH repository URL needs an SSH private key (sshPrivateKey in the credentials Secret)',
    { code: 'source.CredentialsMissing', transient: false },
  );
}
