import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../kube/types.js';
import type { Manifest } from '../manifest.js';
import {
  decryptManifests,
  isSopsDocument,
  isSopsDotenvSecret,
  needsDecryption,
  recipientsOf,
} from './decrypt.js';
import { keysFromSecret } from './keys.js';

const IDENTITY = 'AGE-SECRET-KEY-1' + 'Q'.repeat(58);
const encrypted: KubeObject = {
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name: 'db' },
  stringData: { password: 'ENC[AES256_GCM,data:abc,iv:def,tag:ghi,type:str]' },
  sops: {
    age: [{ recipient: 'age1examplerecipient', enc: '-----BEGIN AGE ENCRYPTED FILE-----' }],
    pgp: [{ fp: 'ABCDEF0123456789' }],
    lastmodified: '2026-01-01T00:00:00Z',
    mac: 'ENC[AES256_GCM,data:x]',
  },
} as KubeObject;
const plain: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } };
const m = (object: KubeObject, file = 'app/x.yaml'): Manifest => ({ object, origin: { file, line: 1 } });

describe('SOPS detection', () => {
  it('recognises a whole encrypted document and a Secret generated from an encrypted dotenv', () => {
    expect(isSopsDocument(encrypted)).toBe(true);
    expect(isSopsDocument(plain)).toBe(false);
    const dotenv = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'e' },
      data: { A: 'eA==', sops_mac: 'eA==' },
    };
    expect(isSopsDotenvSecret(dotenv as KubeObject)).toBe(true);
    expect(needsDecryption([m(plain)])).toBe(false);
    expect(needsDecryption([m(plain), m(encrypted)])).toBe(true);
  });

  it('lists the recipients a file was encrypted for (public data)', () => {
    expect(recipientsOf(encrypted)).toEqual(['age age1examplerecipient', 'pgp ABCDEF0123456789']);
    const dotenv = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'e' },
      data: {
        sops_age__list_0__map_recipient: Buffer.from('age1dotenv').toString('base64'),
        sops_mac: 'eA==',
      },
    };
    expect(recipientsOf(dotenv as KubeObject)).toEqual(['age age1dotenv']);
  });
});

describe('decryptManifests', () => {
  it('passes plain manifests through untouched and runs nothing when nothing is encrypted', async () => {
    const input = [m(plain)];
    const out = await decryptManifests(input, { keys: undefined, binary: '/nonexistent/sops' });
    expect(out[0]).toBe(input[0]);
  });

  it('refuses an encrypted file when the app has no spec.decryption, naming file and recipients', async () => {
    await expect(
      decryptManifests([m(encrypted, 'app/secret.enc.yaml')], { keys: undefined }),
    ).rejects.toThrow(
      /app\/secret\.enc\.yaml: Secret\/db is SOPS-encrypted \(for age age1examplerecipient, pgp ABCDEF0123456789\) but neither the Application nor its Project sets spec\.decryption/,
    );
  });

  it('names the command that installs sops when it is missing', async () => {
    const keys = { age: [IDENTITY], pgpEntries: [], pgp: [], source: 'Secret a/b' };
    await expect(decryptManifests([m(encrypted)], { keys, binary: '/nonexistent/sops' })).rejects.toThrow(
      /scripts\/build-tools\.sh sops/,
    );
  });
});

describe('keysFromSecret', () => {
  const secret = (data: Record<string, string>): KubeObject =>
    ({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'keys', namespace: 'team' },
      data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
    }) as KubeObject;

  it('reads age identities from *.agekey entries, comments allowed', () => {
    const k = keysFromSecret(secret({ 'a.agekey': `# created today\n${IDENTITY}\n`, 'other.txt': 'x' }));
    expect(k.age).toEqual([IDENTITY]);
    expect(k.source).toBe('Secret team/keys');
  });

  it('refuses a Secret without keys, or with a bad entry, naming it and never echoing a bad line', () => {
    expect(() => keysFromSecret(secret({ 'other.txt': 'x' }))).toThrow(
      /Secret team\/keys holds no key: add an entry named <name>\.agekey \(age\) or <name>\.asc \(PGP\)/,
    );
    expect(() => keysFromSecret(secret({ 'k.asc': 'pgp-supersecret' }))).toThrow(
      /entry k\.asc is not an ASCII-armored PGP private key/,
    );
    let message = '';
    try {
      keysFromSecret(secret({ 'a.agekey': 'AGE-SECRET-KEY-1-typo-supersecret' }));
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain('entry a.agekey');
    expect(message).not.toContain('supersecret');
  });
});
