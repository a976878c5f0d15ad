/**
 * `gitfleet secret decrypt --check`: says which key a SOPS file needs and whether the keys at hand
 * open it, without ever returning or printing a decrypted value (sops's output is dropped here).
 * Which of the user's identities matches is found by their public keys (age-keygen -y), so the
 * answer names a recipient, never key material.
 */
import { spawnSync } from 'node:child_process';
import { parseAllDocuments } from 'yaml';
import { GitfleetError } from '../../core/errors.js';
import type { KubeObject } from '../../kube/types.js';
import { recipientsOf } from './decrypt.js';
import { formatOf, type SopsFormat } from './encrypt.js';
import { runSops, type SopsOptions } from './sops.js';

export interface CheckResult {
  file: string;
  encrypted: boolean;
  /** `age age1…`, `pgp <fp>`, … as recorded in the file (public data). */
  recipients: string[];
  /** The recipients of the offered identities that the file was encrypted for. */
  matching: string[];
  /** True when sops decrypted the file (MAC verified) with the offered identities. */
  decrypts: boolean;
  /** Why not, when it does not: never a value. */
  reason?: string;
}

/** The SOPS metadata holder of a file's text: the document with `sops`, or the dotenv as a Secret. */
function metadataOf(text: string, format: SopsFormat): KubeObject | undefined {
  if (format === 'dotenv') {
    const data: Record<string, string> = {};
    for (const line of text.split(/\r?\n/)) {
      const eq = line.indexOf('=');
      if (eq > 0 && !line.startsWith('#'))
        data[line.slice(0, eq)] = Buffer.from(line.slice(eq + 1)).toString('base64');
    }
    return 'sops_mac' in data
      ? ({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'dotenv' }, data } as KubeObject)
      : undefined;
  }
  const docs =
    format === 'json'
      ? [JSON.parse(text) as unknown]
      : parseAllDocuments(text).map((d) => d.toJS() as unknown);
  return docs.find((d): d is KubeObject => typeof d === 'object' && d !== null && 'sops' in d);
}

/** The age recipients (public keys) of identities, through age-keygen -y; [] when it is absent. */
export function ageRecipientsOf(identities: string[]): string[] {
  if (identities.length === 0) return [];
  const res = spawnSync('age-keygen', ['-y'], {
    input: identities.join('\n') + '\n',
    encoding: 'utf8',
    timeout: 10_000,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
  });
  if (res.error || res.status !== 0) return [];
  return res.stdout
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('age1'));
}

/** Checks one file's text against age identities. */
export async function checkDecryption(
  file: string,
  text: string,
  identities: string[],
  opts: SopsOptions = {},
): Promise<CheckResult> {
  const format = formatOf(file);
  let meta: KubeObject | undefined;
  try {
    meta = metadataOf(text, format);
  } catch (e) {
    throw new GitfleetError(
      'secret.InvalidFile',
      `${file}: not ${format} (${(e as Error).message.split('\n')[0]})`,
    );
  }
  if (!meta)
    return {
      file,
      encrypted: false,
      recipients: [],
      matching: [],
      decrypts: false,
      reason: 'not SOPS-encrypted',
    };
  const recipients = recipientsOf(meta);
  const mine = new Set(ageRecipientsOf(identities).map((r) => `age ${r}`));
  const matching = recipients.filter((r) => mine.has(r));
  if (identities.length === 0) {
    return {
      file,
      encrypted: true,
      recipients,
      matching,
      decrypts: false,
      reason: 'no age identity offered',
    };
  }
  const res = await runSops(
    {
      args: [
        'decrypt',
        '--input-type',
        format,
        '--output-type',
        format,
        '--filename-override',
        `stdin.${format === 'dotenv' ? 'env' : format}`,
      ],
      stdin: text,
      env: { SOPS_AGE_KEY: identities.join('\n') },
    },
    opts,
  );
  // res.stdout holds the plaintext: dropped, never returned.
  if (res.exitCode === 0) return { file, encrypted: true, recipients, matching, decrypts: true };
  let reason = `none of the ${identities.length} age identities offered is a recipient`;
  if (/MAC mismatch|failed to verify data integrity/i.test(res.stderr))
    reason = 'the integrity check failed (MAC mismatch): the file was changed after it was encrypted';
  else if (!/data key|successful groups|no identity matched|failed to get the data key/i.test(res.stderr))
    reason = `sops: ${(res.stderr.split('\n').find((l) => l.trim() !== '') ?? 'unknown error').slice(0, 300)}`;
  return { file, encrypted: true, recipients, matching, decrypts: false, reason };
}
