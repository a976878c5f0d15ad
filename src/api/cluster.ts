import type { KubeObject } from '../kube/types.js';
import type { API_VERSION } from './application.js';

/** Namespace holding Clusters and their credential Secrets. */
export const FLEET_NAMESPACE = 'gitfleet-system';
/** Label marking credential Secrets of Clusters; `data.kubeconfig` holds the kubeconfig. */
export const CLUSTER_SECRET_LABEL = 'gitfleet.dev/secret-type';

/**
 * A managed cluster. Its labels (metadata.labels) are what cluster generators and roll-out steps
 * select on. In push mode the hub drives it with the kubeconfig in `spec.secretRef`.
 */
export interface Cluster extends KubeObject {
  apiVersion: typeof API_VERSION;
  kind: 'Cluster';
  spec: {
    mode?: 'push' | 'agent';
    /** API server URL, for display and generators (`server` parameter). */
    server: string;
    /** Secret in gitfleet-system with a `kubeconfig` key. */
    secretRef: { name: string };
  };
  status?: {
    reachable?: boolean;
    serverVersion?: string;
    lastCheck?: string;
    message?: string;
  };
}
