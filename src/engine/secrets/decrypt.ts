/**
 * SOPS decryption of rendered manifests, after the render cache: the cache keeps what Git holds
 * (ciphertext) and the plaintext exists only in the manifests returned here, in memory, for the
 * apply. The inputs are never modified (they may be the cache's own objects).
 *
 * Two shapes are recognised:
 * - an object with a top-level `sops` metadata block: a YAML or JSON file encrypted whole (usually
 *   with `encrypted_regex: ^(data|stringData)$`); decrypted as JSON, as Flux does per resource;
 * - a Secret that Kustomize generated from a SOPS-encrypted dotenv file (`secretGenerator.envs`):
 *   its data carries the `sops_*` metadata entries; the dotenv document is rebuilt from the data in
 *   its order, decrypted as dotenv, and the data re-encoded.
 * A failure names the file, the object and the recipients the file was encrypted for, and throws:
 * the caller applies nothing.
 */
import { GitfleetError } from '../../core/errors.js';
import type { KubeObject } from '../../kube/types.js';
import type { Manifest } from '../manifest.js';
import type { DecryptionKeys } from './keys.js';
import { withGnupgHome } from './pgp.js';
import { runSops, type SopsOptions } from './sops.js';

/** A SOPS file that cannot be decrypted; `file` is repository-relative. Never transient. */
export class DecryptionError extends GitfleetError {
  readonly file: string;
  constructor(file: string, message: string, code = 'decrypt.Failed') {
    super(code, `${file}: ${message}`);
    this.file = file;
  }
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** True when `obj` is a whole SOPS-encrypted document (top-level `sops` block with a MAC). */
export function isSopsDocument(obj: KubeObject): boolean {
  const s = (obj as Json).sops;
  return isObject(s) && ('mac' in s || 'lastmodified' in s);
}

/** True when `obj` is a Secret generated from a SOPS-encrypted dotenv file. */
export function isSopsDotenvSecret(obj: KubeObject): boolean {
  if (obj.kind !== 'Secret') return false;
  const data = (obj as Json).data;
  return isObject(data) && 'sops_mac' in data;
}

/** True when any manifest needs decryption. */
export function needsDecryption(manifests: readonly Manifest[]): boolean {
  return manifests.some((m) => isSopsDocument(m.object) || isSopsDotenvSecret(m.object));
}

/**
 * Who a file was encrypted for, from its SOPS metadata: `age age1…`, `pgp <fingerprint>`, `kms
 * <arn>`…, in file order. Public data; safe for messages.
 */
export function recipientsOf(obj: KubeObject): string[] {
  const out: string[] = [];
  const s = (obj as Json).sops;
  if (isObject(s)) {
    const fields: [string, string, string][] = [
      ['age', 'recipient', 'age'],
      ['pgp', 'fp', 'pgp'],
      ['kms', 'arn', 'kms'],
      ['gcp_kms', 'resource_id', 'gcp_kms'],
      ['azure_kv', 'vault_url', 'azure_kv'],
      ['hc_vault', 'vault_address', 'hc_vault'],
    ];
    for (const [list, field, label] of fields) {
      const entries = s[list];
      if (!Array.isArray(entries)) continue;
      for (const e of entries)
        if (isObject(e) && typeof e[field] === 'string') out.push(`${label} ${e[field]}`);
    }
    return out;
  }
  const data = (obj as Json).data;
  if (isObject(data)) {
    // dotenv flattens metadata: sops_age__list_0__map_recipient, sops_pgp__list_0__map_fp.
    for (const [k, v] of Object.entries(data)) {
      const m = /^sops_(age|pgp)__list_\d+__map_(recipient|fp)$/.exec(k);
      if (m && typeof v === 'string') out.push(`${m[1]} ${Buffer.from(v, 'base64').toString('utf8')}`);
    }
  }
  return out;
}

export interface DecryptOptions extends SopsOptions {
  /** The keys the Application (or its Project) references; undefined when it has none. */
  keys: DecryptionKeys | undefined;
}

/**
 * Returns `manifests` with every SOPS-encrypted object decrypted (new objects; the others are the
 * same references). Throws DecryptionError on the first object that cannot be decrypted.
 */
export async function decryptManifests(
  manifests: readonly Manifest[],
  opts: DecryptOptions,
): Promise<Manifest[]> {
  if (!needsDecryption(manifests)) return [...manifests];
  // PGP keys: one memory-backed GnuPG home for this run, removed when it ends.
  const pgp = opts.keys?.pgp ?? [];
  if (opts.keys && pgp.length > 0) {
    const keys = opts.keys;
    return withGnupgHome(pgp, keys.source, (home) =>
      decryptAll(manifests, { ...opts, keys, gnupgHome: home }),
    );
  }
  return decryptAll(manifests, opts);
}

async function decryptAll(
  manifests: readonly Manifest[],
  opts: DecryptOptions & { gnupgHome?: string },
): Promise<Manifest[]> {
  const out: Manifest[] = [];
  for (const m of manifests) {
    const whole = isSopsDocument(m.object);
    const dotenv = !whole && isSopsDotenvSecret(m.object);
    if (!whole && !dotenv) {
      out.push(m);
      continue;
    }
    const what = `${m.object.kind}/${m.object.metadata.name}`;
    if (!opts.keys) {
      throw new DecryptionError(
        m.origin.file,
        `${what} is SOPS-encrypted (for ${recipientsOf(m.object).join(', ') || 'unknown recipients'}) but neither the Application nor its Project sets spec.decryption`,
        'decrypt.NotConfigured',
      );
    }
    const env = sopsEnv(opts.keys, opts.gnupgHome);
    const object = whole
      ? await decryptDocument(m, opts.keys, env, opts)
      : await decryptDotenvSecret(m, opts.keys, env, opts);
    out.push({ object, origin: m.origin });
  }
  return out;
}

function sopsEnv(keys: DecryptionKeys, gnupgHome: string | undefined): Record<string, string> {
  return { SOPS_AGE_KEY: keys.age.join('\n'), ...(gnupgHome ? { GNUPGHOME: gnupgHome } : {}) };
}

async function decryptDocument(
  m: Manifest,
  keys: DecryptionKeys,
  env: Record<string, string>,
  opts: SopsOptions,
): Promise<KubeObject> {
  const res = await runSops(
    {
      args: ['decrypt', '--input-type', 'json', '--output-type', 'json', '--filename-override', 'stdin.json'],
      stdin: JSON.stringify(m.object),
      env,
    },
    opts,
  );
  if (res.exitCode !== 0) throw failure(m, keys, res.stderr);
  const parsed: unknown = JSON.parse(res.stdout);
  if (!isObject(parsed) || typeof parsed.kind !== 'string') {
    throw new DecryptionError(
      m.origin.file,
      `${m.object.kind}/${m.object.metadata.name}: sops returned no object`,
    );
  }
  return parsed as unknown as KubeObject;
}

async function decryptDotenvSecret(
  m: Manifest,
  keys: DecryptionKeys,
  env: Record<string, string>,
  opts: SopsOptions,
): Promise<KubeObject> {
  const data = (m.object as unknown as { data: Record<string, string> }).data;
  const lines = Object.entries(data).map(([k, v]) => `${k}=${Buffer.from(v, 'base64').toString('utf8')}`);
  const res = await runSops(
    {
      args: [
        'decrypt',
        '--input-type',
        'dotenv',
        '--output-type',
        'json',
        '--filename-override',
        'stdin.env',
      ],
      stdin: lines.join('\n') + '\n',
      env,
    },
    opts,
  );
  if (res.exitCode !== 0) throw failure(m, keys, res.stderr);
  const plain = JSON.parse(res.stdout) as Record<string, unknown>;
  const decoded: Record<string, string> = {};
  for (const [k, v] of Object.entries(plain))
    decoded[k] = Buffer.from(String(v as string)).toString('base64');
  return { ...structuredClone(m.object), data: decoded } as KubeObject;
}

/** The error for a failed sops run: file, object, recipients needed, keys offered; never key material. */
function failure(m: Manifest, keys: DecryptionKeys, stderr: string): DecryptionError {
  const what = `${m.object.kind}/${m.object.metadata.name}`;
  const needed = recipientsOf(m.object);
  const needs = needed.length ? needed.join(', ') : 'recipients not recorded in the file';
  if (/MAC mismatch|failed to verify data integrity/i.test(stderr)) {
    return new DecryptionError(
      m.origin.file,
      `${what}: SOPS integrity check failed (MAC mismatch): the file was changed after it was encrypted; re-encrypt it`,
      'decrypt.IntegrityFailed',
    );
  }
  if (/data key|successful groups|no identity matched|failed to get the data key/i.test(stderr)) {
    return new DecryptionError(
      m.origin.file,
      `${what} is encrypted for ${needs}; none of the keys in ${keys.source} (${keys.age.length} age identities, ${keys.pgp.length} PGP keys) can decrypt it`,
      'decrypt.WrongKey',
    );
  }
  // Other sops errors (bad metadata, unsupported version): its first line, bounded.
  const first = stderr.split('\n').find((l) => l.trim() !== '') ?? 'unknown error';
  return new DecryptionError(
    m.origin.file,
    `${what}: sops could not decrypt it (${first.slice(0, 300)}); it is encrypted for ${needs}`,
  );
}
