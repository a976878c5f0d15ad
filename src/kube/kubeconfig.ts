import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { createRequire } from 'node:module';
import type * as YamlLib from 'yaml';
import { parseLightYaml } from './light-yaml.js';
import { GitfleetError } from '../core/errors.js';

/** What a client needs to talk to one API server, resolved from a kubeconfig. */
export interface ClusterConnection {
  server: string;
  ca?: Buffer | string | undefined;
  cert?: Buffer | string | undefined;
  key?: Buffer | string | undefined;
  /** Extra request headers; carries `Authorization: Bearer …` (or Basic) for token users. */
  headers: Record<string, string>;
  rejectUnauthorized: boolean;
}

interface Named<T> {
  name?: string;
  cluster?: T;
  user?: T;
  context?: T;
}
type Fields = Record<string, unknown>;

/**
 * Resolves a kubeconfig (file path or YAML text) into a connection: current context (or the one
 * asked for), embedded or file-referenced certificates, tokens, basic auth, and exec credential
 * plugins (run once, now, with an argument array). Errors name the file and the field.
 */
export async function loadConnection(
  source: { file: string } | { yaml: string },
  opts: { context?: string } = {},
): Promise<ClusterConnection> {
  const where = 'file' in source ? source.file : 'inline kubeconfig';
  const base = 'file' in source ? dirname(source.file) : process.cwd();
  const fail = (field: string, why: string): never => {
    throw new GitfleetError('kubeconfig.Invalid', `${where}: ${field}: ${why}`);
  };
  let doc: Fields;
  try {
    doc = (parseKubeconfigText('file' in source ? readFileSync(source.file, 'utf8') : source.yaml) ??
      {}) as Fields;
  } catch (e) {
    throw new GitfleetError('kubeconfig.Invalid', `${where}: ${e instanceof Error ? e.message : String(e)}`, {
      cause: e,
    });
  }
  const contextName =
    opts.context ??
    (doc['current-context'] as string | undefined) ??
    fail('current-context', 'not set and no context given');
  const find = (list: string, name: string, key: 'cluster' | 'user' | 'context'): Fields => {
    const items = (doc[list] ?? []) as Named<Fields>[];
    return items.find((x) => x.name === name)?.[key] ?? fail(`${list}[name=${name}]`, 'not found');
  };
  const context = find('contexts', contextName, 'context');
  const cluster = find(
    'clusters',
    String(context.cluster ?? fail(`contexts[name=${contextName}].cluster`, 'missing')),
    'cluster',
  );
  const userName = context.user as string | undefined;
  const user = userName ? find('users', userName, 'user') : {};
  const server = (cluster.server as string | undefined) ?? fail('cluster.server', 'missing');

  const file = (p: string): Buffer => {
    const abs = isAbsolute(p) ? p : join(base, p);
    try {
      return readFileSync(abs);
    } catch (e) {
      throw new GitfleetError(
        'kubeconfig.Invalid',
        `${where}: cannot read ${abs}: ${e instanceof Error ? e.message : String(e)}`,
        { cause: e },
      );
    }
  };
  const b64 = (v: unknown): Buffer | undefined =>
    typeof v === 'string' && v ? Buffer.from(v, 'base64') : undefined;
  const dataOrFile = (dataKey: string, fileKey: string, from: Fields): Buffer | undefined =>
    b64(from[dataKey]) ?? (typeof from[fileKey] === 'string' ? file(from[fileKey] as string) : undefined);

  const conn: ClusterConnection = {
    server: server.replace(/\/+$/, ''),
    ca: dataOrFile('certificate-authority-data', 'certificate-authority', cluster),
    cert: dataOrFile('client-certificate-data', 'client-certificate', user),
    key: dataOrFile('client-key-data', 'client-key', user),
    headers: {},
    rejectUnauthorized: cluster['insecure-skip-tls-verify'] !== true,
  };
  const token =
    (user.token as string | undefined) ??
    (typeof user.tokenFile === 'string' ? file(user.tokenFile).toString('utf8').trim() : undefined);
  if (token) conn.headers.Authorization = `Bearer ${token}`;
  else if (typeof user.username === 'string' && typeof user.password === 'string') {
    conn.headers.Authorization = `Basic ${Buffer.from(`${user.username}:${user.password}`).toString('base64')}`;
  }
  if (user.exec) Object.assign(conn, runExecPlugin(user.exec as Fields, where, conn));
  if (user['auth-provider'])
    fail(
      `users[name=${userName}].auth-provider`,
      'auth providers are not supported; use an exec credential plugin',
    );
  return conn;
}

/**
 * Runs a client-go exec credential plugin once (argument array, 30 s timeout, no shell) and
 * returns what its ExecCredential grants. The token may expire; callers re-load when it does.
 */
function runExecPlugin(exec: Fields, where: string, conn: ClusterConnection): Partial<ClusterConnection> {
  const command = exec.command;
  if (typeof command !== 'string')
    throw new GitfleetError('kubeconfig.Invalid', `${where}: user.exec.command: missing`);
  const args = Array.isArray(exec.args) ? exec.args.map(String) : [];
  const env: Record<string, string> = { ...(process.env as Record<string, string>) };
  for (const e of (Array.isArray(exec.env) ? exec.env : []) as { name?: string; value?: string }[])
    if (e.name) env[e.name] = e.value ?? '';
  env.KUBERNETES_EXEC_INFO = JSON.stringify({
    apiVersion: exec.apiVersion ?? 'client.authentication.k8s.io/v1',
    kind: 'ExecCredential',
    spec: { interactive: false },
  });
  let out: string;
  try {
    out = execFileSync(command, args, {
      env,
      timeout: 30_000,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 1 << 20,
    });
  } catch (e) {
    throw new GitfleetError(
      'kubeconfig.ExecFailed',
      `${where}: exec credential plugin ${command} failed: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`,
      { cause: e, transient: true },
    );
  }
  const status = ((JSON.parse(out) as { status?: Fields }).status ?? {}) as Fields;
  const granted: Partial<ClusterConnection> = {};
  if (typeof status.token === 'string')
    granted.headers = { ...conn.headers, Authorization: `Bearer ${status.token}` };
  if (typeof status.clientCertificateData === 'string') granted.cert = status.clientCertificateData;
  if (typeof status.clientKeyData === 'string') granted.key = status.clientKeyData;
  return granted;
}

/**
 * A kubeconfig's YAML: kubectl's plain block style is read without loading the `yaml` library (a
 * third of a CLI call's start-up, bench/cli); anything else goes to that library, loaded then.
 */
function parseKubeconfigText(text: string): unknown {
  const light = parseLightYaml(text);
  if (light !== undefined) return light;
  const yaml = createRequire(import.meta.url)('yaml') as typeof YamlLib;
  return yaml.parse(text);
}
