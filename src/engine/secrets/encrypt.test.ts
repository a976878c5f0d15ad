import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkDecryption } from './check.js';
import { decryptManifests } from './decrypt.js';
import { encryptArgs, encryptText, formatOf, K8S_ENCRYPTED_REGEX, planEncryption } from './encrypt.js';

// The real sops (scripts/build-tools.sh sops) and Debian's age-keygen, when present: the planning
// tests run everywhere, the round trips only where the tools are.
const SOPS = join(homedir(), '.cache/gitfleet/tools/sops-v3.13.3/bin/sops');
const haveTools =
  existsSync(SOPS) &&
  (() => {
    try {
      execFileSync('age-keygen', ['--version'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();

const R1 = 'age1' + 'q'.repeat(58);
const R2 = 'age1' + 'p'.repeat(58);
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'gitfleet-encrypt-test-'));
  mkdirSync(join(dir, '.git'));
  mkdirSync(join(dir, 'clusters/prod'), { recursive: true });
  writeFileSync(
    join(dir, '.sops.yaml'),
    `creation_rules:\n  - path_regex: clusters/prod/.*\\.yaml$\n    age: ${R1}, ${R2}\n    mac_only_encrypted: true\n  - path_regex: .*\\.env$\n    age:\n      - ${R2}\n  - path_regex: kms/.*\n    kms: arn:aws:kms:eu-west-1:1:key/x\n`,
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('planEncryption', () => {
  it('takes recipients from flags, and by default encrypts only data/stringData of a manifest', () => {
    const p = planEncryption({ file: join(dir, 'x.yaml'), age: [`${R1},${R2}`] });
    expect(p).toMatchObject({ format: 'yaml', age: [R1, R2], macOnlyEncrypted: false });
    expect(p.selector).toEqual({ flag: '--encrypted-regex', value: K8S_ENCRYPTED_REGEX });
    expect(encryptArgs(p)).toEqual([
      'encrypt',
      '--input-type',
      'yaml',
      '--output-type',
      'yaml',
      '--age',
      `${R1},${R2}`,
      '--encrypted-regex',
      K8S_ENCRYPTED_REGEX,
      '--filename-override',
      'stdin.yaml',
    ]);
  });

  it('takes the first .sops.yaml rule matching the path relative to the config, up to the repository root', () => {
    const p = planEncryption({ file: join(dir, 'clusters/prod/db.yaml') });
    expect(p.age).toEqual([R1, R2]);
    expect(p.macOnlyEncrypted).toBe(true);
    expect(p.source).toContain('rule 1');
    const env = planEncryption({ file: join(dir, 'clusters/prod/app.env') });
    expect(env).toMatchObject({ format: 'dotenv', age: [R2] });
    expect(env.selector).toBeUndefined();
    expect(formatOf('a/b.json')).toBe('json');
  });

  it('refuses what it cannot do, naming the file, rule or recipient', () => {
    expect(() => planEncryption({ file: join(dir, 'other.yaml') })).toThrow(
      /no creation rule matches other\.yaml/,
    );
    expect(() => planEncryption({ file: join(dir, 'kms/a.yaml') })).toThrow(/rule 3.*uses kms/);
    expect(() => planEncryption({ file: 'x.yaml', age: ['age1nope'] })).toThrow(
      /"age1nope" is not an age recipient/,
    );
    const lone = mkdtempSync(join(tmpdir(), 'gitfleet-encrypt-lone-'));
    mkdirSync(join(lone, '.git'));
    try {
      expect(() => planEncryption({ file: join(lone, 's.yaml') })).toThrow(/no recipients: pass --age/);
    } finally {
      rmSync(lone, { recursive: true, force: true });
    }
  });
});

describe.runIf(haveTools)('encrypt → decrypt --check → controller decryption (real sops)', () => {
  const key = (): { identity: string; recipient: string } => {
    const out = execFileSync('age-keygen', [], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return {
      identity: out.split('\n').find((l) => l.startsWith('AGE-SECRET-KEY-1')) ?? '',
      recipient: /public key: (age1\w+)/.exec(out)?.[1] ?? '',
    };
  };
  const secret =
    'apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  password: hunter2-unit\n';

  it('a YAML Secret: values encrypted, metadata readable, MAC over encrypted values only; check names the key', async () => {
    const k = key();
    const other = key();
    const plan = planEncryption({ file: 'db.yaml', age: [k.recipient], macOnlyEncrypted: true });
    const out = await encryptText(secret, plan, { file: 'db.yaml', binary: SOPS });
    expect(out).not.toContain('hunter2-unit');
    const doc = parse(out) as { metadata: { name: string }; sops: { mac_only_encrypted?: boolean } };
    expect(doc.metadata.name).toBe('db');
    expect(doc.sops.mac_only_encrypted).toBe(true);
    // Kustomize changing unencrypted fields keeps the MAC valid: the controller still decrypts.
    const edited = { ...doc, metadata: { name: 'db', namespace: 'set-by-kustomize', labels: { a: 'b' } } };
    const [m] = await decryptManifests([{ object: edited as never, origin: { file: 'db.yaml', line: 1 } }], {
      keys: { age: [k.identity], pgpEntries: [], pgp: [], source: 'test' },
      binary: SOPS,
    });
    expect((m?.object as { stringData?: Record<string, string> }).stringData?.password).toBe('hunter2-unit');

    const ok = await checkDecryption('db.yaml', out, [k.identity], { binary: SOPS });
    expect(ok).toMatchObject({ encrypted: true, decrypts: true, matching: [`age ${k.recipient}`] });
    expect(JSON.stringify(ok)).not.toContain('hunter2-unit');
    const bad = await checkDecryption('db.yaml', out, [other.identity], { binary: SOPS });
    expect(bad).toMatchObject({ decrypts: false, matching: [], recipients: [`age ${k.recipient}`] });
    expect(bad.reason).toContain('none of the 1 age identities');
    await expect(encryptText(out, plan, { file: 'db.yaml', binary: SOPS })).rejects.toThrow(
      /already SOPS-encrypted/,
    );
  });

  it('a dotenv file: every value encrypted, and checked', async () => {
    const k = key();
    const plan = planEncryption({ file: 'app.env', age: [k.recipient] });
    const out = await encryptText('TOKEN=abc-unit-dotenv\nUSER=me\n', plan, {
      file: 'app.env',
      binary: SOPS,
    });
    expect(out).not.toContain('abc-unit-dotenv');
    expect(out).toMatch(/^sops_mac=/m);
    const r = await checkDecryption('app.env', out, [k.identity], { binary: SOPS });
    expect(r).toMatchObject({ decrypts: true, recipients: [`age ${k.recipient}`] });
  });
});
