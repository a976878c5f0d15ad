import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../kube/types.js';
import { decryptManifests } from './decrypt.js';
import { encryptText, planEncryption } from './encrypt.js';
import { keysFromSecret } from './keys.js';
import { memoryDir } from './pgp.js';

// PGP through the real sops and Debian's GnuPG, with the private key only in a per-run GnuPG home
// on tmpfs that is gone (agent killed) when decryption returns.
const SOPS = process.env.GITFLEET_SOPS ?? join(homedir(), '.cache/gitfleet/tools/sops-v3.13.3/bin/sops');
const haveTools = existsSync(SOPS) && spawnSync('gpg', ['--version']).status === 0 && existsSync('/dev/shm');

const leftovers = (): string[] => readdirSync('/dev/shm').filter((n) => n.startsWith('gitfleet-gnupg-'));
const agentsFor = (home: string): boolean =>
  spawnSync('pgrep', ['-f', `gpg-agent.*${home}`], { encoding: 'utf8' }).stdout.trim() !== '';

describe.runIf(haveTools)('PGP keys', () => {
  let genHome: string;
  let fingerprint: string;
  let armored: string;
  const before = new Set<string>();

  beforeAll(() => {
    for (const n of leftovers()) before.add(n);
    // The test's own keyring, on tmpfs too: makes the key pair and holds the public key for sops.
    genHome = mkdtempSync('/dev/shm/gitfleet-test-gpg-');
    const env = { ...process.env, GNUPGHOME: genHome };
    execFileSync(
      'gpg',
      [
        '--batch',
        '--passphrase',
        '',
        '--quick-gen-key',
        'gitfleet-test <t@example.com>',
        'rsa2048',
        'encrypt',
        'never',
      ],
      { env, stdio: 'ignore' },
    );
    const colons = execFileSync('gpg', ['--batch', '--with-colons', '--list-keys'], {
      env,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    fingerprint = /^fpr:+([0-9A-F]{40}):/m.exec(colons)?.[1] ?? '';
    armored = execFileSync('gpg', ['--batch', '--armor', '--export-secret-keys', fingerprint], {
      env,
      encoding: 'utf8',
    });
  }, 60_000);
  afterAll(() => {
    spawnSync('gpgconf', ['--kill', 'all'], { env: { ...process.env, GNUPGHOME: genHome } });
    rmSync(genHome, { recursive: true, force: true });
  });

  it('decrypts with a key from a *.asc entry; the GnuPG home and its agent are gone afterwards', async () => {
    expect(memoryDir()).toBe('/dev/shm');
    const plan = planEncryption({ file: 's.yaml', pgp: [fingerprint] });
    const enc = await encryptText(
      'apiVersion: v1\nkind: Secret\nmetadata:\n  name: p\nstringData:\n  k: pgp-unit-value\n',
      plan,
      { file: 's.yaml', binary: SOPS, env: { GNUPGHOME: genHome } },
    );
    expect(enc).toContain(fingerprint);
    const secret = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'keys', namespace: 'team' },
      data: { 'team.asc': Buffer.from(armored).toString('base64') },
    } as KubeObject;
    const keys = keysFromSecret(secret);
    expect(keys.pgpEntries).toEqual(['team.asc']);
    const { parse } = await import('yaml');
    const [m] = await decryptManifests(
      [{ object: parse(enc) as KubeObject, origin: { file: 'app/s.yaml', line: 1 } }],
      { keys, binary: SOPS },
    );
    expect((m?.object as { stringData?: Record<string, string> }).stringData?.k).toBe('pgp-unit-value');
    const mine = leftovers().filter((n) => !before.has(n));
    expect(mine).toEqual([]);
    expect(agentsFor('/dev/shm/gitfleet-gnupg-')).toBe(false);
  }, 60_000);

  it('refuses a tmpfs-less host by name instead of writing the key to disk', () => {
    const prev = process.env.GITFLEET_GNUPG_TMPFS;
    process.env.GITFLEET_GNUPG_TMPFS = homedir();
    try {
      expect(() => memoryDir()).toThrow(/PGP keys are refused: .* is not a tmpfs/);
    } finally {
      if (prev === undefined) delete process.env.GITFLEET_GNUPG_TMPFS;
      else process.env.GITFLEET_GNUPG_TMPFS = prev;
    }
  });
});
