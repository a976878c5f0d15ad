import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { systemTool } from './tools.js';

/** The certificate authority and keys shared by every cluster of one test run. */
export interface Pki {
  dir: string;
  caCert: string;
  caKey: string;
  /** Serving certificate for 127.0.0.1 / localhost, used by every kube-apiserver of the run. */
  serverCert: string;
  serverKey: string;
  /** Key pair that signs and verifies ServiceAccount tokens. */
  saKey: string;
  saPub: string;
}

export interface ClientCert {
  cert: string;
  key: string;
}

function openssl(dir: string, args: string[]): void {
  execFileSync(systemTool('openssl'), args, {
    cwd: dir,
    stdio: ['ignore', 'ignore', 'pipe'],
    timeout: 30_000,
  });
}

/** Creates a CA, a serving certificate and a ServiceAccount key pair under `dir` with openssl. */
export function createPki(dir: string): Pki {
  mkdirSync(dir, { recursive: true });
  openssl(dir, [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
    '-days',
    '3650',
    '-subj',
    '/CN=gitfleet-test-ca',
  ]);
  issue(dir, 'apiserver', '/CN=kube-apiserver', [
    'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default.svc',
    'extendedKeyUsage=serverAuth',
  ]);
  openssl(dir, ['genrsa', '-out', 'sa.key', '2048']);
  openssl(dir, ['rsa', '-in', 'sa.key', '-pubout', '-out', 'sa.pub']);
  return {
    dir,
    caCert: join(dir, 'ca.crt'),
    caKey: join(dir, 'ca.key'),
    serverCert: join(dir, 'apiserver.crt'),
    serverKey: join(dir, 'apiserver.key'),
    saKey: join(dir, 'sa.key'),
    saPub: join(dir, 'sa.pub'),
  };
}

/**
 * Issues a client certificate: the API server authenticates it as user `user` in `groups`
 * (CN and O of the subject). Returns PEM text.
 */
export function issueClientCert(pki: Pki, user: string, groups: string[] = []): ClientCert {
  const safe = (s: string): string => s.replace(/[/\\=+,]/g, '_');
  const subject = [...groups.map((g) => `/O=${safe(g)}`), `/CN=${safe(user)}`].join('');
  const base = `client-${safe(user).replace(/[^a-zA-Z0-9_.-]/g, '_')}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
  issue(pki.dir, base, subject, ['extendedKeyUsage=clientAuth']);
  return {
    cert: readFileSync(join(pki.dir, `${base}.crt`), 'utf8'),
    key: readFileSync(join(pki.dir, `${base}.key`), 'utf8'),
  };
}

function issue(dir: string, base: string, subject: string, extensions: string[]): void {
  openssl(dir, [
    'req',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    `${base}.key`,
    '-out',
    `${base}.csr`,
    '-subj',
    subject,
  ]);
  writeFileSync(join(dir, `${base}.ext`), extensions.join('\n') + '\n');
  openssl(dir, [
    'x509',
    '-req',
    '-in',
    `${base}.csr`,
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    `${base}.crt`,
    '-days',
    '3650',
    '-extfile',
    `${base}.ext`,
  ]);
}
