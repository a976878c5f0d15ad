import { homedir } from 'node:os';
import { join } from 'node:path';
import { KubeClient } from '../kube/client.js';
import { loadConnection } from '../kube/kubeconfig.js';

/** A client from --kubeconfig, else $KUBECONFIG, else ~/.kube/config; --context picks a context. */
export async function clientFrom(values: { kubeconfig?: string; context?: string }): Promise<KubeClient> {
  const file =
    values.kubeconfig ?? process.env.KUBECONFIG?.split(':')[0] ?? join(homedir(), '.kube', 'config');
  return new KubeClient(await loadConnection({ file }, values.context ? { context: values.context } : {}));
}
