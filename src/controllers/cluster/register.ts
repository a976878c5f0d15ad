import { API_VERSION } from '../../api/application.js';
import { CLUSTER_SECRET_LABEL, FLEET_NAMESPACE, type Cluster } from '../../api/cluster.js';
import type { KubeClient } from '../../kube/client.js';
import type { ClusterConnection } from '../../kube/kubeconfig.js';
import { kubeconfigFor } from '../../kube/kubeconfig-write.js';
import { agentTokenSecretName, issueAgentToken } from '../tokens.js';

const MANAGER = 'gitfleet';
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/**
 * Registers (or updates) a cluster: its credentials go into a Secret `cluster-<name>` and the
 * Cluster object carries the labels. Credentials are never returned or printed.
 */
export async function registerCluster(
  mgmt: KubeClient,
  opts: { name: string; connection: ClusterConnection; labels?: Record<string, string>; namespace?: string },
): Promise<Cluster> {
  if (!DNS_LABEL.test(opts.name))
    throw new Error(`cluster name "${opts.name}" must be a DNS label (lower-case letters, digits, '-')`);
  const ns = opts.namespace ?? FLEET_NAMESPACE;
  await mgmt.apply(
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } },
    { fieldManager: MANAGER },
  );
  const secretName = `cluster-${opts.name}`;
  await mgmt.apply(
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: secretName, namespace: ns, labels: { [CLUSTER_SECRET_LABEL]: 'cluster' } },
      type: 'Opaque',
      data: { kubeconfig: Buffer.from(kubeconfigFor(opts.name, opts.connection)).toString('base64') },
    },
    { fieldManager: MANAGER, force: true },
  );
  const cluster: Cluster = {
    apiVersion: API_VERSION,
    kind: 'Cluster',
    metadata: { name: opts.name, namespace: ns, labels: opts.labels ?? {} },
    spec: { mode: 'push', server: opts.connection.server, secretRef: { name: secretName } },
  };
  return mgmt.apply(cluster, { fieldManager: MANAGER, force: true });
}

/**
 * Registers (or switches) a cluster in agent mode: the hub keeps no credentials for it, only the
 * hash of a fresh agent token, which is returned once. Its push credentials, if any, are deleted.
 */
export async function registerAgentCluster(
  mgmt: KubeClient,
  opts: { name: string; server?: string; labels?: Record<string, string>; namespace?: string },
): Promise<{ cluster: Cluster; token: string }> {
  if (!DNS_LABEL.test(opts.name))
    throw new Error(`cluster name "${opts.name}" must be a DNS label (lower-case letters, digits, '-')`);
  const ns = opts.namespace ?? FLEET_NAMESPACE;
  await mgmt.apply(
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } },
    { fieldManager: MANAGER },
  );
  const cluster = await mgmt.apply<Cluster>(
    {
      apiVersion: API_VERSION,
      kind: 'Cluster',
      metadata: { name: opts.name, namespace: ns, labels: opts.labels ?? {} },
      spec: { mode: 'agent', server: opts.server ?? '' },
    },
    { fieldManager: MANAGER, force: true },
  );
  await mgmt.delete({ apiVersion: 'v1', kind: 'Secret', namespace: ns, name: `cluster-${opts.name}` });
  const token = await issueAgentToken(mgmt, opts.name);
  return { cluster, token };
}

/** Removes a cluster and its credentials. Applications targeting it report DestinationFailed. */
export async function removeCluster(
  mgmt: KubeClient,
  name: string,
  namespace = FLEET_NAMESPACE,
): Promise<boolean> {
  const existed = await mgmt.delete({ apiVersion: API_VERSION, kind: 'Cluster', namespace, name });
  await mgmt.delete({ apiVersion: 'v1', kind: 'Secret', namespace, name: `cluster-${name}` });
  await mgmt.delete({ apiVersion: 'v1', kind: 'Secret', namespace, name: agentTokenSecretName(name) });
  return existed;
}
