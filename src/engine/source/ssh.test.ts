// The SSH transport of GitSources against a real OpenSSH server (test/harness/ssh-server.ts):
// keys, host-key checking, the per-key access proof and the temporary key files.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  generateKeyPair,
  startSshServer,
  type SshKeyPair,
  type SshServer,
} from '../../../test/harness/ssh-server.js';
import { SourceError } from '../errors.js';
import type { GitCredentials } from './git-exec.js';
import { GitSources } from './sources.js';

const root = mkdtempSync(join(tmpdir(), 'gitfleet-ssh-source-'));
const repos = join(root, 'repos');
let one: SshServer;
let two: SshServer;
let good: SshKeyPair;
let bad: SshKeyPair;
let commit: string;

beforeAll(async () => {
  const work = join(root, 'work');
  const git = (...args: string[]): string =>
    execFileSync('git', args, {
      cwd: work,
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: 't',
        GIT_AUTHOR_EMAIL: 't@e',
        GIT_COMMITTER_NAME: 't',
        GIT_COMMITTER_EMAIL: 't@e',
      },
    }).toString();
  execFileSync('git', ['init', '--quiet', '--bare', '--initial-branch=main', join(repos, 'team', 'app.git')]);
  execFileSync('git', ['init', '--quiet', '--initial-branch=main', work]);
  execFileSync('sh', ['-c', `mkdir -p ${work}/app && echo 'kind: ConfigMap' > ${work}/app/cm.yaml`]);
  git('add', '.');
  git('commit', '--quiet', '-m', 'first');
  git('push', '--quiet', join(repos, 'team', 'app.git'), 'main');
  commit = git('rev-parse', 'HEAD').trim();
  [one, two] = await Promise.all([
    startSshServer({ root: repos, runDir: join(root, 'run'), name: 'one' }),
    startSshServer({ root: repos, runDir: join(root, 'run'), name: 'two' }),
  ]);
  [good, bad] = await Promise.all([
    generateKeyPair(join(root, 'keys'), 'good'),
    generateKeyPair(join(root, 'keys'), 'bad'),
  ]);
  one.authorize(good.publicKey);
  two.authorize(good.publicKey);
}, 60_000);

afterAll(async () => {
  await Promise.all([one?.stop(), two?.stop()]);
  rmSync(root, { recursive: true, force: true });
});

function sources(): { s: GitSources; cacheDir: string } {
  const cacheDir = mkdtempSync(join(root, 'cache-'));
  return { s: new GitSources({ cacheDir, timeoutMs: 20_000, fetchIntervalMs: 60_000 }), cacheDir };
}

async function failure(p: Promise<unknown>): Promise<SourceError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(SourceError);
  return e as SourceError;
}

describe('GitSources over SSH', { timeout: 60_000 }, () => {
  it('fetches with the right key and a known host key, and leaves no key file behind', async () => {
    const { s, cacheDir } = sources();
    const creds: GitCredentials = {
      sshPrivateKey: good.privateKey,
      sshKnownHosts: `${one.knownHostsLine}\n`,
    };
    const url = one.repoUrl('team/app');
    expect(await s.fetch(url, creds)).toBe(true);
    const resolved = await s.resolve(url, 'main', creds);
    expect(resolved.sha).toBe(commit);
    const dir = await s.checkout(url, resolved.sha);
    expect(readFileSync(join(dir, 'app', 'cm.yaml'), 'utf8')).toContain('ConfigMap');
    expect(readdirSync(join(cacheDir, 'home')).filter((n) => n.startsWith('ssh-'))).toEqual([]);
  });

  it('refuses a key the server does not accept, even right after another key fetched', async () => {
    const { s } = sources();
    const url = one.repoUrl('team/app');
    const knownHosts = one.knownHostsLine;
    await s.fetch(url, { sshPrivateKey: good.privateKey, sshKnownHosts: knownHosts });
    const e = await failure(
      s.resolve(url, 'main', { sshPrivateKey: bad.privateKey, sshKnownHosts: knownHosts }),
    );
    expect(e.code).toBe('source.AuthFailed');
    expect(e.message).toContain('authentication failed');
    expect(e.message).not.toContain('PRIVATE KEY');
  });

  it('refuses a host whose key is not known, naming it; never trusts on first use', async () => {
    const { s, cacheDir } = sources();
    const e = await failure(
      s.fetch(two.repoUrl('team/app'), { sshPrivateKey: good.privateKey, sshKnownHosts: '' }),
    );
    expect(e.code).toBe('source.HostKeyUnknown');
    expect(e.message).toContain(`[127.0.0.1]:${two.port}`);
    expect(e.message).toContain('never trusted on first use');
    // Nothing was learnt: a second try fails the same way.
    const again = await failure(
      s.fetch(two.repoUrl('team/app'), { sshPrivateKey: good.privateKey, sshKnownHosts: '' }),
    );
    expect(again.code).toBe('source.HostKeyUnknown');
    expect(readdirSync(join(cacheDir, 'mirrors'))).toEqual([]);
  });

  it('refuses a host whose key changed', async () => {
    const { s } = sources();
    // two's address listed with one's key: to ssh, two's key "changed".
    const wrongLine = `[127.0.0.1]:${two.port} ${one.hostPublicKey}\n`;
    const e = await failure(
      s.fetch(two.repoUrl('team/app'), { sshPrivateKey: good.privateKey, sshKnownHosts: wrongLine }),
    );
    expect(e.code).toBe('source.HostKeyChanged');
    expect(e.message).toContain('does not match');
  });

  it('refuses an SSH URL without a key before connecting', async () => {
    const { s } = sources();
    for (const creds of [undefined, { username: 'u', password: 'p' }]) {
      const e = await failure(s.fetch(one.repoUrl('team/app'), creds));
      expect(e.code).toBe('source.CredentialsMissing');
    }
  });

  it('refuses option-like hosts and users before ssh runs', async () => {
    const { s } = sources();
    const creds = { sshPrivateKey: good.privateKey, sshKnownHosts: one.knownHostsLine };
    for (const url of [
      'ssh://-oProxyCommand=touch@127.0.0.1/x.git',
      'git@-oProxyCommand=touch:repo',
      '-oProxyCommand=touch@host:x',
      `ssh://git@-oProxyCommand=x:${one.port}/x.git`,
    ]) {
      const e = await failure(s.fetch(url, creds));
      expect(e.code, url).toBe('source.UnsupportedUrl');
    }
  });
});
