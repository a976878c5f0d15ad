/**
 * Decryption keys from a Kubernetes Secret, in Flux's layout: each entry whose name ends in
 * `.agekey` holds one or more age identities (`AGE-SECRET-KEY-1…`, comments allowed); each entry
 * ending in `.asc` holds an ASCII-armored PGP private key (no passphrase). Cloud KMS keys are a
 * later extension. The key material stays in this object, in memory, and is handed to sops only
 * through its environment (age) or a memory-backed GnuPG home (PGP, see pgp.ts).
 */
import { GitfleetError } from '../../core/errors.js';
import type { KubeObject } from '../../kube/types.js';

export interface DecryptionKeys {
  /** age identities, one per element. */
  age: string[];
  /** Names of the PGP entries found. */
  pgpEntries: string[];
  /** The armored PGP private keys, by entry. */
  pgp: { entry: string; key: string }[];
  /** Where the keys came from, for messages: `Secret team-a/sops-keys`. */
  source: string;
}

const AGE_IDENTITY = /^AGE-SECRET-KEY-1[02-9AC-HJ-NP-Z]{58}$/;

/** Reads the keys of a Secret; throws naming the Secret when it holds none gitfleet can use. */
export function keysFromSecret(secret: KubeObject): DecryptionKeys {
  const source = `Secret ${secret.metadata.namespace ?? ''}/${secret.metadata.name}`;
  const data = ((secret as { data?: Record<string, string> }).data ?? {}) as Record<string, unknown>;
  const age: string[] = [];
  const pgpEntries: string[] = [];
  const pgp: { entry: string; key: string }[] = [];
  for (const [entry, raw] of Object.entries(data)) {
    if (typeof raw !== 'string') continue;
    if (entry.endsWith('.asc')) {
      const key = Buffer.from(raw, 'base64').toString('utf8');
      if (!/-----BEGIN PGP PRIVATE KEY BLOCK-----/.test(key)) {
        throw new GitfleetError(
          'decrypt.InvalidKey',
          `${source}: entry ${entry} is not an ASCII-armored PGP private key (gpg --export-secret-keys --armor)`,
        );
      }
      pgpEntries.push(entry);
      pgp.push({ entry, key });
    }
    if (!entry.endsWith('.agekey')) continue;
    const text = Buffer.from(raw, 'base64').toString('utf8');
    for (const line of text.split(/\r?\n/)) {
      const t = line.trim();
      if (t === '' || t.startsWith('#')) continue;
      // Never echo the line: it may be key material with a typo.
      if (!AGE_IDENTITY.test(t)) {
        throw new GitfleetError(
          'decrypt.InvalidKey',
          `${source}: entry ${entry} holds a line that is not an age identity (AGE-SECRET-KEY-1…)`,
        );
      }
      age.push(t);
    }
  }
  if (age.length === 0 && pgp.length === 0) {
    throw new GitfleetError(
      'decrypt.NoKeys',
      `${source} holds no key: add an entry named <name>.agekey (age) or <name>.asc (PGP)`,
    );
  }
  return { age, pgpEntries, pgp, source };
}
