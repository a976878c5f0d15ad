// The harness sshd lets an authorised key run only git-upload-pack/git-receive-pack on a
// repository under its root: no shell, no other path.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPair, startSshServer, type SshServer } from './ssh-server.js';

const dir = mkdtempSync(join(tmpdir(), 'gitfleet-sshd-harness-'));
let server: SshServer;
let keyFile: string;
let knownHosts: string;

beforeAll(async () => {
  spawnSync('git', ['init', '--quiet', '--bare', join(dir, 'repos', 'r.git')]);
  server = await startSshServer({ root: join(dir, 'repos'), runDir: join(dir, 'run') });
  const key = await generateKeyPair(join(dir, 'keys'), 'k');
  server.authorize(key.publicKey);
  keyFile = join(dir, 'keys', 'k');
  knownHosts = join(dir, 'known_hosts');
  writeFileSync(knownHosts, `${server.knownHostsLine}\n`);
}, 60_000);

afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function ssh(command: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(
    'ssh',
    [
      '-F',
      '/dev/null',
      '-o',
      'BatchMode=yes',
      '-o',
      'StrictHostKeyChecking=yes',
      '-o',
      `UserKnownHostsFile=${knownHosts}`,
      '-i',
      keyFile,
      '-p',
      String(server.port),
      `${server.user}@127.0.0.1`,
      command,
    ],
    { timeout: 30_000 },
  );
  return { status: r.status, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

describe('harness sshd', { timeout: 60_000 }, () => {
  it('serves git-upload-pack for a repository under its root', () => {
    const r = ssh("git-upload-pack '/r.git'");
    // An empty repository advertises no refs: just the flush packet of git's protocol.
    expect(r.stderr).not.toMatch(/not allowed|invalid|not found/);
    expect(r.stdout).toBe('0000');
  });

  it('refuses any other command and any path outside the root', () => {
    expect(ssh('id').stderr).toContain('only git-upload-pack and git-receive-pack are allowed');
    expect(ssh("git-upload-pack '../../etc'").stderr).toContain('invalid repository path');
    expect(ssh("git-upload-pack '/absent.git'").stderr).toContain('repository not found');
  });
});
