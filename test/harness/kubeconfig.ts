import { writeFileSync } from 'node:fs';
import { stringify } from 'yaml';

/** Writes a single-context kubeconfig for a client certificate or a bearer token. */
export function writeKubeconfig(
  path: string,
  opts: {
    name: string;
    server: string;
    caPem: string;
    user: { cert: string; key: string } | { token: string };
  },
): void {
  const b64 = (s: string): string => Buffer.from(s).toString('base64');
  const user =
    'token' in opts.user
      ? { token: opts.user.token }
      : { 'client-certificate-data': b64(opts.user.cert), 'client-key-data': b64(opts.user.key) };
  const doc = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      { name: opts.name, cluster: { server: opts.server, 'certificate-authority-data': b64(opts.caPem) } },
    ],
    users: [{ name: opts.name, user }],
    contexts: [{ name: opts.name, context: { cluster: opts.name, user: opts.name } }],
    'current-context': opts.name,
  };
  writeFileSync(path, stringify(doc), { mode: 0o600 });
}
