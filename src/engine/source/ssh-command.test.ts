import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { gitEnv, shellQuote, sshCommand } from './git-exec.js';

const connect = {
  target: { user: 'git', host: 'git.example', port: 2222, knownHostsName: '[git.example]:2222' },
  address: '10.1.2.3',
};

/** The words `sh -c` makes of a command line, as git runs GIT_SSH_COMMAND. */
function words(commandLine: string): string[] {
  const out = execFileSync('sh', ['-c', `for w in ${commandLine}; do printf '%s\\0' "$w"; done`]);
  return out.toString().split('\0').slice(0, -1);
}

describe('sshCommand (GIT_SSH_COMMAND)', () => {
  it('runs ssh without any config, in batch mode, checking host keys strictly against our file only', () => {
    const argv = words(
      sshCommand({ keyFile: '/c/home/ssh-x/key', knownHostsFile: '/c/home/ssh-x/known_hosts', connect }),
    );
    expect(argv.slice(0, 3)).toEqual(['ssh', '-F', '/dev/null']);
    const opts = argv.filter((_, i) => argv[i - 1] === '-o');
    for (const o of [
      'BatchMode=yes',
      'StrictHostKeyChecking=yes',
      'UserKnownHostsFile=/c/home/ssh-x/known_hosts',
      'GlobalKnownHostsFile=/dev/null',
      'IdentitiesOnly=yes',
      'IdentityAgent=none',
      'HostKeyAlias=[git.example]:2222',
      'Hostname=10.1.2.3',
      'UpdateHostKeys=no',
      'PasswordAuthentication=no',
      'ProxyCommand=none',
      'PermitLocalCommand=no',
    ])
      expect(opts).toContain(o);
    expect(argv.slice(-2)).toEqual(['-i', '/c/home/ssh-x/key']);
    // Nothing the caller supplied is among the words: git appends port, host and command after.
    expect(argv.some((w) => w.includes('git.example') && !w.startsWith('HostKeyAlias='))).toBe(false);
  });

  it('refuses file names ssh would split or expand', () => {
    for (const bad of ['/c/my dir/key', "/c/it's/key", '/c/%d/key', 'relative/key'])
      expect(() => sshCommand({ keyFile: bad, knownHostsFile: '/c/k', connect })).toThrow(/must be absolute/);
  });

  it('quotes every word so the shell never interprets it', () => {
    for (const w of ["a'b", '$(id)', '`id`', 'a b', '; rm -rf /', "'"])
      expect(words(shellQuote(w))).toEqual([w]);
  });
});

describe('gitEnv for SSH', () => {
  it('allows only the ssh transport and runs exactly the built command', () => {
    const env = gitEnv('/h', { sshPrivateKey: 'k' }, undefined, "'ssh' '-F' '/dev/null'");
    expect(env.GIT_ALLOW_PROTOCOL).toBe('ssh');
    expect(env.GIT_SSH_COMMAND).toBe("'ssh' '-F' '/dev/null'");
    expect(env.GIT_SSH_VARIANT).toBe('ssh');
    expect(JSON.stringify(env)).not.toContain('"k"');
  });

  it('keeps http(s) only, and no ssh command, for everything else', () => {
    const env = gitEnv('/h', { username: 'u', password: 'p' });
    expect(env.GIT_ALLOW_PROTOCOL).toBe('http:https');
    expect(env.GIT_SSH_COMMAND).toBeUndefined();
  });
});
