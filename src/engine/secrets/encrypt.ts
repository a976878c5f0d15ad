/**
 * What `gitfleet secret encrypt` asks sops to do for one file: the recipients (from flags, else
 * the first `.sops.yaml` creation rule whose path_regex matches the file, as sops picks it) and
 * which values to encrypt. Kubernetes manifests get `^(data|stringData)$` by default so metadata
 * stays readable (and Kustomize can still select the object); a dotenv file has only values, all
 * encrypted. The plan is plain data; `encryptText` runs the real sops on stdin, nothing on disk.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { parse } from 'yaml';
import { GitfleetError } from '../../core/errors.js';
import { runSops, type SopsOptions } from './sops.js';

export type SopsFormat = 'yaml' | 'json' | 'dotenv';

/** What to encrypt a file with, and how. */
export interface EncryptPlan {
  format: SopsFormat;
  age: string[];
  pgp: string[];
  /** Exactly one of the selectors sops knows, or none (every value encrypted). */
  selector?: {
    flag: '--encrypted-regex' | '--unencrypted-regex' | '--encrypted-suffix' | '--unencrypted-suffix';
    value: string;
  };
  macOnlyEncrypted: boolean;
  /** Where the recipients came from, for the user: `--age`, `.sops.yaml rule 2 (path_regex …)`. */
  source: string;
}

export interface EncryptRequest {
  /** The file to encrypt, as the user named it. */
  file: string;
  age?: string[];
  pgp?: string[];
  encryptedRegex?: string;
  macOnlyEncrypted?: boolean;
  /** An explicit .sops.yaml; otherwise looked for from the file's directory up to the repository root. */
  config?: string;
}

/** The default: only a Secret's values, so Kustomize and humans can still read the rest. */
export const K8S_ENCRYPTED_REGEX = '^(data|stringData)$';

const AGE_RECIPIENT = /^age1[02-9ac-hj-np-z]{58}$/;
const PGP_FINGERPRINT = /^[0-9A-Fa-f]{16,40}$/;

export function formatOf(file: string): SopsFormat {
  if (/\.env$|(^|\/)\.env(\.[^/]*)?$/.test(file)) return 'dotenv';
  if (/\.json$/i.test(file)) return 'json';
  return 'yaml';
}

/** The nearest `.sops.yaml` from the file's directory upwards, stopping at a repository root. */
export function findSopsConfig(file: string): string | undefined {
  let dir = dirname(resolve(file));
  for (;;) {
    const candidate = join(dir, '.sops.yaml');
    if (existsSync(candidate)) return candidate;
    if (existsSync(join(dir, '.git'))) return undefined;
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

const list = (v: unknown): string[] => {
  if (typeof v === 'string')
    return v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  if (Array.isArray(v)) return v.flatMap(list);
  return [];
};

/** Plans the encryption of `req.file`; throws naming the flag, file or rule that is wrong. */
export function planEncryption(req: EncryptRequest): EncryptPlan {
  const format = formatOf(req.file);
  let age = req.age?.flatMap(list) ?? [];
  let pgp = req.pgp?.flatMap(list) ?? [];
  let source = '--age/--pgp';
  let selector: EncryptPlan['selector'];
  let macOnly = !!req.macOnlyEncrypted;
  if (age.length === 0 && pgp.length === 0) {
    const config = req.config ?? findSopsConfig(req.file);
    if (!config) {
      throw new GitfleetError(
        'secret.NoRecipients',
        `${req.file}: no recipients: pass --age <age1…> or add a .sops.yaml with creation_rules to the repository`,
      );
    }
    const rule = matchRule(config, req.file);
    age = list(rule.rule.age);
    pgp = list(rule.rule.pgp);
    source = `${config} rule ${rule.index + 1}${rule.rule.path_regex ? ` (path_regex ${String(rule.rule.path_regex)})` : ''}`;
    const unsupported = ['kms', 'gcp_kms', 'azure_keyvault', 'hc_vault_transit_uri', 'key_groups'].filter(
      (k) => k in rule.rule,
    );
    if (unsupported.length) {
      throw new GitfleetError(
        'secret.Unsupported',
        `${source} uses ${unsupported.join(', ')}: gitfleet secret encrypt writes age and PGP recipients only; run sops itself for cloud KMS and key groups`,
      );
    }
    if (age.length === 0 && pgp.length === 0)
      throw new GitfleetError('secret.NoRecipients', `${source}: the rule names no age or pgp recipient`);
    for (const [field, flag] of [
      ['encrypted_regex', '--encrypted-regex'],
      ['unencrypted_regex', '--unencrypted-regex'],
      ['encrypted_suffix', '--encrypted-suffix'],
      ['unencrypted_suffix', '--unencrypted-suffix'],
    ] as const) {
      const v = rule.rule[field];
      if (typeof v === 'string') selector = { flag, value: v };
    }
    if (rule.rule.mac_only_encrypted === true) macOnly = true;
  }
  for (const r of age) {
    if (!AGE_RECIPIENT.test(r))
      throw new GitfleetError('secret.InvalidRecipient', `${source}: "${r}" is not an age recipient (age1…)`);
  }
  for (const f of pgp) {
    if (!PGP_FINGERPRINT.test(f))
      throw new GitfleetError('secret.InvalidRecipient', `${source}: "${f}" is not a PGP fingerprint`);
  }
  if (req.encryptedRegex !== undefined) selector = { flag: '--encrypted-regex', value: req.encryptedRegex };
  // Manifests: values only by default. A dotenv file is all values already.
  if (!selector && format !== 'dotenv') selector = { flag: '--encrypted-regex', value: K8S_ENCRYPTED_REGEX };
  return { format, age, pgp, ...(selector ? { selector } : {}), macOnlyEncrypted: macOnly, source };
}

interface CreationRule {
  path_regex?: unknown;
  [k: string]: unknown;
}

/** sops's choice: the first creation rule whose path_regex matches the path relative to the config. */
function matchRule(config: string, file: string): { rule: CreationRule; index: number } {
  let doc: unknown;
  try {
    doc = parse(readFileSync(config, 'utf8'));
  } catch (e) {
    throw new GitfleetError(
      'secret.InvalidConfig',
      `${config}: not YAML (${(e as Error).message.split('\n')[0]})`,
    );
  }
  const rules = (doc as { creation_rules?: unknown } | null)?.creation_rules;
  if (!Array.isArray(rules))
    throw new GitfleetError('secret.InvalidConfig', `${config}: no creation_rules list`);
  const rel = relative(dirname(resolve(config)), resolve(file))
    .split(sep)
    .join('/');
  for (const [index, r] of rules.entries()) {
    if (typeof r !== 'object' || r === null) continue;
    const rule = r as CreationRule;
    if (rule.path_regex === undefined) return { rule, index };
    let re: RegExp;
    try {
      re = new RegExp(String(rule.path_regex));
    } catch {
      throw new GitfleetError(
        'secret.InvalidConfig',
        `${config}: creation_rules[${index}].path_regex is not a regular expression`,
      );
    }
    if (re.test(rel)) return { rule, index };
  }
  throw new GitfleetError('secret.NoRecipients', `${config}: no creation rule matches ${rel}`);
}

/** sops's arguments for a plan, reading stdin. */
export function encryptArgs(plan: EncryptPlan): string[] {
  // --mac-only-encrypted is one of sops's global flags: it goes before the sub-command.
  const args = [
    ...(plan.macOnlyEncrypted ? ['--mac-only-encrypted'] : []),
    'encrypt',
    '--input-type',
    plan.format,
    '--output-type',
    plan.format,
  ];
  if (plan.age.length) args.push('--age', plan.age.join(','));
  if (plan.pgp.length) args.push('--pgp', plan.pgp.join(','));
  if (plan.selector) args.push(plan.selector.flag, plan.selector.value);
  args.push('--filename-override', `stdin.${plan.format === 'dotenv' ? 'env' : plan.format}`);
  return args;
}

/** Encrypts `text` as planned; `env` adds e.g. GNUPGHOME (public keys only) for PGP recipients. */
export async function encryptText(
  text: string,
  plan: EncryptPlan,
  opts: SopsOptions & { env?: Record<string, string>; file: string },
): Promise<string> {
  if (/^sops:\s*$/m.test(text) || /"sops"\s*:/.test(text) || /^sops_mac=/m.test(text)) {
    throw new GitfleetError('secret.AlreadyEncrypted', `${opts.file}: already SOPS-encrypted`);
  }
  const res = await runSops({ args: encryptArgs(plan), stdin: text, env: opts.env ?? {} }, opts);
  if (res.exitCode !== 0) {
    const first = res.stderr.split('\n').find((l) => l.trim() !== '') ?? 'unknown error';
    throw new GitfleetError(
      'secret.EncryptFailed',
      `${opts.file}: sops could not encrypt it (${first.slice(0, 300)})`,
    );
  }
  return res.stdout;
}
