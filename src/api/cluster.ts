import type { KubeObject } from '../kube/types.js';
import { API_VERSION, type Condition } from './application.js';

/** A Cluster's condition types, a closed set. */
export type ClusterConditionType = 'AgentCompatible';

/** Namespace holding Clusters and their credential Secrets. */
export const FLEET_NAMESPACE = 'gitfleet-system';
/** Label marking credential Secrets of Clusters; `data.kubeconfig` holds the kubeconfig. */
export const CLUSTER_SECRET_LABEL = 'gitfleet.dev/secret-type';

/**
 * A managed cluster. Its labels (metadata.labels) are what cluster generators and roll-out steps
 * select on. In push mode the hub drives it with the kubeconfig in `spec.secretRef`; in agent
 * mode an agent inside it drives it and reports to the hub (it holds no credentials of the cluster).
 */
export interface Cluster extends KubeObject {
  apiVersion: typeof API_VERSION;
  kind: 'Cluster';
  spec: {
    mode?: 'push' | 'agent';
    /** API server URL, for display and generators (`server` parameter). */
    server: string;
    /** Secret in gitfleet-system with a `kubeconfig` key (push mode; agent-mode clusters have none). */
    secretRef?: { name: string };
  };
  status?: {
    reachable?: boolean;
    serverVersion?: string;
    lastCheck?: string;
    message?: string;
    /** Agent mode: when the agent last talked to the hub, and its version. */
    lastHeartbeat?: string;
    agentVersion?: string;
    /** `AgentCompatible` (agent mode): whether the hub serves the agent's version (skew). */
    conditions?: Condition<ClusterConditionType>[];
  };
}

/** The API path of one Cluster (in gitfleet-system unless said otherwise). */
export function clusterPath(name: string, namespace = FLEET_NAMESPACE): string {
  return `/apis/${API_VERSION}/namespaces/${encodeURIComponent(namespace)}/clusters/${encodeURIComponent(name)}`;
}
