import { homedir } from 'node:os';
import { join } from 'node:path';
import { KubeClient } from '../kube/client.js';
import { existsSync, readFileSync } from 'node:fs';
import { loadConnection, type ClusterConnection } from '../kube/kubeconfig.js';

const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

function inClusterConnection(): ClusterConnection {
  const host = process.env.KUBERNETES_SERVICE_HOST ?? '';
  const port = process.env.KUBERNETES_SERVICE_PORT ?? '443';
  return {
    server: `https://${host.includes(':') ? `[${host}]` : host}:${port}`,
    ca: readFileSync(join(SA_DIR, 'ca.crt')),
    headers: { Authorization: `Bearer ${readFileSync(join(SA_DIR, 'token'), 'utf8').trim()}` },
    rejectUnauthorized: true,
  };
}

/** A client from --kubeconfig, else $KUBECONFIG, else ~/.kube/config; --context picks a context. */
export async function clientFrom(values: { kubeconfig?: string; context?: string }): Promise<KubeClient> {
  // Inside a Pod (the agent's Deployment), with no kubeconfig given: its ServiceAccount.
  if (
    !values.kubeconfig &&
    !process.env.KUBECONFIG &&
    process.env.KUBERNETES_SERVICE_HOST &&
    existsSync(SA_DIR)
  )
    return new KubeClient(inClusterConnection());
  const file =
    values.kubeconfig ?? process.env.KUBECONFIG?.split(':')[0] ?? join(homedir(), '.kube', 'config');
  return new KubeClient(await loadConnection({ file }, values.context ? { context: values.context } : {}));
}
