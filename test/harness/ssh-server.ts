// A real OpenSSH server (Debian's openssh-server) serving the harness's Git repositories, for the
// SSH transport of the source stage: its own host key, its own authorized_keys whose every entry
// is forced to one script that runs only `git upload-pack`/`git receive-pack` on a repository under
// the root. Started on a free port as the current user, killed by its PID like every harness process.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, appendFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './ports.js';
import { startProcess, type ManagedProcess } from './process.js';
import { FatalWaitError, waitFor } from './wait.js';

const run = promisify(execFile);

export const SSHD = '/usr/sbin/sshd';

/** A key pair made by ssh-keygen (ed25519, no passphrase). */
export interface SshKeyPair {
  /** OpenSSH private key text: what a credentials Secret holds as `sshPrivateKey`. */
  privateKey: string;
  /** `ssh-ed25519 AAAA… comment`. */
  publicKey: string;
}

export interface SshServer {
  host: '127.0.0.1';
  port: number;
  /** The login every URL must use: a non-root sshd admits only the user it runs as. */
  user: string;
  /** `ssh-ed25519 AAAA…` — the server's host public key. */
  hostPublicKey: string;
  /** The known_hosts line for this server: `[127.0.0.1]:<port> ssh-ed25519 AAAA…`. */
  knownHostsLine: string;
  /** `ssh://<user>@127.0.0.1:<port>/<name>.git`, the repository `<root>/<name>.git`. */
  repoUrl(name: string): string;
  /** Lets a key in, restricted to the forced Git command. */
  authorize(publicKey: string): void;
  process: ManagedProcess;
  stop(): Promise<void>;
}

/** Throws the install command when sshd is missing: the SSH tests need the real server. */
export function requireSshd(): void {
  if (!existsSync(SSHD))
    throw new Error(
      `${SSHD} not found: the SSH tests run a real OpenSSH server. Install it with: apt-get install -y openssh-server`,
    );
}

export async function generateKeyPair(dir: string, name: string): Promise<SshKeyPair> {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, name);
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', file]);
  return { privateKey: readFileSync(file, 'utf8'), publicKey: readFileSync(`${file}.pub`, 'utf8').trim() };
}

/**
 * The forced command: `$SSH_ORIGINAL_COMMAND` must be `git-upload-pack '<path>'` or
 * `git-receive-pack '<path>'` (as git sends it) naming `<name>.git` under the root, with no quote
 * and no `..` inside; `/path`, `~/path` and `path` all mean `<root>/path`.
 */
function forcedCommandScript(root: string): string {
  const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
  return `#!/bin/sh
set -f
root=${q(root)}
cmd=$SSH_ORIGINAL_COMMAND
case "$cmd" in
  "git-upload-pack '"*"'") verb=upload-pack ;;
  "git-receive-pack '"*"'") verb=receive-pack ;;
  *) echo "only git-upload-pack and git-receive-pack are allowed" >&2; exit 1 ;;
esac
path=\${cmd#* \\'}
path=\${path%\\'}
case "$path" in
  *\\'*|*..*|'') echo "invalid repository path" >&2; exit 1 ;;
esac
path=\${path#/}
path=\${path#\\~/}
case "$path" in
  *.git) ;;
  *) path="$path.git" ;;
esac
[ -d "$root/$path" ] || { echo "repository not found" >&2; exit 1; }
exec git "$verb" "$root/$path"
`;
}

/**
 * Starts sshd on a free port of 127.0.0.1 serving the bare repositories under `root`. Each server
 * has a fresh host key, so two servers are two different hosts to known_hosts.
 */
export async function startSshServer(opts: {
  root: string;
  runDir: string;
  name?: string;
}): Promise<SshServer> {
  requireSshd();
  const name = opts.name ?? 'sshd';
  mkdirSync(opts.runDir, { recursive: true });
  const dir = mkdtempSync(join(opts.runDir, `${name}-`));
  const user = userInfo().username;
  // sshd started as root separates privileges into this directory, which a container may lack.
  if (process.getuid?.() === 0) mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const hostKey = join(dir, 'host_ed25519');
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `${name}-host`, '-f', hostKey]);
  const hostPublicKey = readFileSync(`${hostKey}.pub`, 'utf8').trim().split(' ').slice(0, 2).join(' ');
  const script = join(dir, 'git-only.sh');
  writeFileSync(script, forcedCommandScript(opts.root), { mode: 0o755 });
  const authorizedKeys = join(dir, 'authorized_keys');
  writeFileSync(authorizedKeys, '', { mode: 0o600 });
  const port = await freePort();
  const config = join(dir, 'sshd_config');
  writeFileSync(
    config,
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${hostKey}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${authorizedKeys}`,
      `AllowUsers ${user}`,
      'StrictModes no',
      'UsePAM no',
      'PubkeyAuthentication yes',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PermitRootLogin prohibit-password',
      'AllowTcpForwarding no',
      'AllowAgentForwarding no',
      'X11Forwarding no',
      'PermitTTY no',
      'PermitUserEnvironment no',
      'LogLevel VERBOSE',
      '',
    ].join('\n'),
  );
  const proc = startProcess({
    name: `${name}-${port}`,
    command: SSHD,
    args: ['-D', '-e', '-f', config],
    logDir: join(opts.runDir, 'logs'),
  });
  await waitFor(
    `sshd on port ${port}`,
    async () => {
      if (!proc.running) throw new FatalWaitError(`sshd exited:\n${proc.tail()}`);
      return banner(port);
    },
    { timeoutMs: 20_000, intervalMs: 100 },
  );
  return {
    host: '127.0.0.1',
    port,
    user,
    hostPublicKey,
    knownHostsLine: `[127.0.0.1]:${port} ${hostPublicKey}`,
    repoUrl: (repo) => `ssh://${user}@127.0.0.1:${port}/${repo}.git`,
    authorize(publicKey) {
      appendFileSync(authorizedKeys, `command="${script}",restrict ${publicKey.trim()}\n`);
    },
    process: proc,
    stop: () => proc.stop(),
  };
}

/** Whether the port answers with an SSH banner. */
function banner(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let data = '';
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.on('data', (d: Buffer) => {
      data += d.toString('latin1');
      if (data.includes('\n')) done(data.startsWith('SSH-2.0'));
    });
    socket.on('error', () => done(false));
  });
}
