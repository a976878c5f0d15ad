import { readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { GitfleetError } from '../../core/errors.js';
import { checkDecryption } from '../../engine/secrets/check.js';
import { encryptText, planEncryption } from '../../engine/secrets/encrypt.js';
import { UsageError } from '../output.js';

const USAGE = `usage: gitfleet secret encrypt <file> [--age age1…]... [--pgp FP]... [--encrypted-regex RE]
                               [--mac-only-encrypted] [--config .sops.yaml] [-i | --in-place]
       gitfleet secret decrypt --check <file>... [--age-key-file F]...
encrypt: SOPS-encrypts a Secret manifest (YAML/JSON: only data/stringData by default) or a dotenv
  file, for the recipients given, else those of the first matching .sops.yaml creation rule (looked
  for from the file's directory up to the repository root). --mac-only-encrypted lets Kustomize
  change the unencrypted fields (namespace, labels) without breaking the MAC. Prints to stdout
  unless -i.
decrypt --check: names the recipients a file was encrypted for and whether your age identities
  (--age-key-file, else $SOPS_AGE_KEY / $SOPS_AGE_KEY_FILE / ~/.config/sops/age/keys.txt) decrypt
  it. Exit 1 when one does not. Values are never printed: gitfleet has no plain decrypt.`;

/** `gitfleet secret encrypt|decrypt --check`: write SOPS files the controller can decrypt. */
export async function secretCommand(argv: string[]): Promise<number> {
  const [verb, ...rest] = argv;
  if (verb === 'encrypt') return encrypt(rest);
  if (verb === 'decrypt') return check(rest);
  if (verb === '--help' || verb === '-h' || verb === 'help') {
    console.log(USAGE);
    return 0;
  }
  throw new UsageError(USAGE);
}

async function encrypt(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      age: { type: 'string', multiple: true },
      pgp: { type: 'string', multiple: true },
      'encrypted-regex': { type: 'string' },
      'mac-only-encrypted': { type: 'boolean' },
      config: { type: 'string' },
      'in-place': { type: 'boolean', short: 'i' },
    },
  });
  const file = positionals[0];
  if (!file || positionals.length > 1) throw new UsageError(USAGE);
  const plan = planEncryption({
    file,
    ...(values.age ? { age: values.age } : {}),
    ...(values.pgp ? { pgp: values.pgp } : {}),
    ...(values['encrypted-regex'] !== undefined ? { encryptedRegex: values['encrypted-regex'] } : {}),
    ...(values['mac-only-encrypted'] ? { macOnlyEncrypted: true } : {}),
    ...(values.config ? { config: values.config } : {}),
  });
  const text = readFileSync(file, 'utf8');
  // PGP recipients are public keys in the user's own keyring: only then is GnuPG's home passed on.
  const env: Record<string, string> = {};
  if (plan.pgp.length) {
    env.GNUPGHOME = process.env.GNUPGHOME ?? join(homedir(), '.gnupg');
  }
  const out = await encryptText(text, plan, { file, env });
  if (values['in-place']) writeFileSync(file, out);
  else process.stdout.write(out);
  const who = [...plan.age.map((r) => `age ${r}`), ...plan.pgp.map((f) => `pgp ${f}`)].join(', ');
  const what = plan.selector ? `${plan.selector.flag.slice(2)} ${plan.selector.value}` : 'every value';
  console.error(
    `${file}: encrypted for ${who} (from ${plan.source}); ${what}${plan.macOnlyEncrypted ? '; MAC over encrypted values only' : ''}`,
  );
  return 0;
}

/** The user's age identities, where sops itself would look for them. */
function identities(files: string[] | undefined): { keys: string[]; from: string } {
  const read = (f: string): string[] => {
    let text: string;
    try {
      text = readFileSync(f, 'utf8');
    } catch (e) {
      throw new GitfleetError('secret.NoKeys', `${f}: ${(e as NodeJS.ErrnoException).code ?? 'unreadable'}`);
    }
    return text
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter((l) => l.startsWith('AGE-SECRET-KEY-1'));
  };
  if (files?.length) return { keys: files.flatMap(read), from: files.join(', ') };
  if (process.env.SOPS_AGE_KEY) {
    return {
      keys: process.env.SOPS_AGE_KEY.split(/\r?\n/)
        .map((l) => l.trim())
        .filter((l) => l.startsWith('AGE-SECRET-KEY-1')),
      from: '$SOPS_AGE_KEY',
    };
  }
  if (process.env.SOPS_AGE_KEY_FILE)
    return { keys: read(process.env.SOPS_AGE_KEY_FILE), from: '$SOPS_AGE_KEY_FILE' };
  const config = process.env.XDG_CONFIG_HOME ?? join(homedir(), '.config');
  const def = join(config, 'sops', 'age', 'keys.txt');
  try {
    return { keys: read(def), from: def };
  } catch {
    return { keys: [], from: def };
  }
}

async function check(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { check: { type: 'boolean' }, 'age-key-file': { type: 'string', multiple: true } },
  });
  if (!values.check) {
    throw new UsageError(
      `gitfleet secret decrypt needs --check: gitfleet never prints decrypted values (use sops decrypt on your own machine)\n\n${USAGE}`,
    );
  }
  if (positionals.length === 0) throw new UsageError(USAGE);
  const { keys, from } = identities(values['age-key-file']);
  let failed = 0;
  for (const file of positionals) {
    const r = await checkDecryption(file, readFileSync(file, 'utf8'), keys);
    if (!r.encrypted) {
      console.log(`${file}: not SOPS-encrypted`);
      failed++;
      continue;
    }
    console.log(`${file}: encrypted for ${r.recipients.join(', ') || 'no recorded recipient'}`);
    if (r.decrypts) console.log(`  decrypts with ${r.matching.join(', ') || 'an identity'} from ${from}`);
    else {
      failed++;
      console.log(`  does not decrypt with ${keys.length} age identities from ${from}: ${r.reason ?? ''}`);
      console.log(`  needs the private key of one of: ${r.recipients.join(', ')}`);
    }
  }
  return failed ? 1 : 0;
}
