import { stringify } from 'yaml';
import type { ClusterConnection } from './kubeconfig.js';

/**
 * A self-contained kubeconfig for one connection: CA, client certificate and token embedded, no
 * file references, so it can be stored in a Secret and used anywhere. Exec or auth-provider users
 * have already been resolved to a token by `loadConnection`; such tokens may expire.
 */
export function kubeconfigFor(name: string, conn: ClusterConnection): string {
  const b64 = (v: Buffer | string): string => Buffer.from(v).toString('base64');
  const user: Record<string, string> = {};
  if (conn.cert) user['client-certificate-data'] = b64(conn.cert);
  if (conn.key) user['client-key-data'] = b64(conn.key);
  const auth = conn.headers.Authorization ?? conn.headers.authorization;
  if (auth?.startsWith('Bearer ')) user.token = auth.slice(7);
  const cluster: Record<string, unknown> = { server: conn.server };
  if (conn.ca) cluster['certificate-authority-data'] = b64(conn.ca);
  if (!conn.rejectUnauthorized) cluster['insecure-skip-tls-verify'] = true;
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name, cluster }],
    users: [{ name, user }],
    contexts: [{ name, context: { cluster: name, user: name } }],
    'current-context': name,
  });
}
