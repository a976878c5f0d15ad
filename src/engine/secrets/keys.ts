/**
 * Decryption keys from a Kubernetes Secret, in Flux's layout: each entry whose name ends in
 * `.agekey` holds one or more age identities (`AGE-SECRET-KEY-1…`, comments allowed). Entries
 * ending in `.asc` (PGP) are counted so an error can say they are not used yet; cloud KMS keys are
 * a later extension. The key material stays in this object, in memory, and is handed to sops only
 * through its environment.
 */
import { GitfleetError } from '../../core/errors.js';
import type { KubeObject } from '../../kube/types.js';

export interface DecryptionKeys {
  /** age identities, one per element. */
  age: string[];
  /** Names of PGP entries found (not used for decryption yet). */
  pgpEntries: string[];
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
  for (const [entry, raw] of Object.entries(data)) {
    if (typeof raw !== 'string') continue;
    if (entry.endsWith('.asc')) pgpEntries.push(entry);
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
  if (age.length === 0) {
    const pgp = pgpEntries.length ? ` (PGP entries ${pgpEntries.join(', ')} are not supported yet)` : '';
    throw new GitfleetError(
      'decrypt.NoKeys',
      `${source} holds no age identity: add an entry named <name>.agekey${pgp}`,
    );
  }
  return { age, pgpEntries, source };
}
