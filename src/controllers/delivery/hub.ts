/**
 * The hub's progressive delivery: the Canaries of its own cluster (in-cluster destinations) and of
 * every push-mode cluster its Applications are applied to, each driven through that cluster's
 * client. Agent-mode clusters run their own DeliveryController (src/agent/agent.ts).
 */
import type { Logger } from 'pino';
import { API_VERSION, destinationClusterName, type Application } from '../../api/application.js';
import { FLEET_NAMESPACE, type Cluster } from '../../api/cluster.js';
import type { AuditSink } from '../../governance/audit/index.js';
import type { KubeClient } from '../../kube/client.js';
import { IN_CLUSTER } from '../clusters.js';
import type { Notifier } from '../notify/notifier.js';
import { DeliveryController } from './controller.js';
import { PushDelivery } from './push-clusters.js';

export interface HubDeliveryOptions {
  /** The management cluster's client: its own Canaries, and every Application. */
  client: KubeClient;
  /** The destination clients the hub made so far (ClusterResolver.known). */
  known: () => Promise<[string, KubeClient][]>;
  /** Whether this replica owns a cluster's shard. */
  owns: (cluster: string) => boolean;
  log: Logger;
  notifier?: Notifier;
  audit?: AuditSink;
  /** The namespace the hub's Application controller is scoped to; all when absent. */
  appNamespace?: string;
}

export interface HubDelivery {
  /** The controller of the hub's own cluster. */
  local: DeliveryController;
  /** The controller of a push-mode cluster, while it is driven here. */
  cluster(name: string): DeliveryController | undefined;
  stop(): void;
}

export function startHubDelivery(o: HubDeliveryOptions): HubDelivery {
  // The revision an analysis is told is the owning Application's, read on the hub in every case.
  const appRevision = async (namespace: string, name: string): Promise<string | undefined> =>
    (
      await o.client.getOrUndefined<Application>({
        apiVersion: API_VERSION,
        kind: 'Application',
        namespace,
        name,
      })
    )?.status?.sync?.revision;
  // A Canary is driven by the controller of the cluster its Application is addressed to: a Cluster
  // registered at the hub's own API address (or two Clusters naming one API server) sees the same
  // Canaries as another controller, and only one may drive each. Destinations rarely move: each
  // is read at most every 10 s.
  const destinations = new Map<string, { at: number; cluster: string | undefined }>();
  const destinationOf = async (namespace: string, name: string): Promise<string | undefined> => {
    const key = `${namespace}/${name}`;
    const hit = destinations.get(key);
    if (hit && Date.now() - hit.at < 10_000) return hit.cluster;
    const a = await o.client.getOrUndefined<Application>({
      apiVersion: API_VERSION,
      kind: 'Application',
      namespace,
      name,
    });
    let cluster: string | undefined;
    if (a) {
      const byServer = a.spec.destination.server !== undefined && !a.spec.destination.name;
      const clusters = byServer
        ? (await o.client.list<Cluster>(API_VERSION, 'Cluster', { namespace: FLEET_NAMESPACE })).items
        : [];
      cluster = destinationClusterName(a.spec.destination, clusters);
    }
    if (destinations.size >= 10_000) destinations.clear();
    destinations.set(key, { at: Date.now(), cluster });
    return cluster;
  };
  const make = (client: KubeClient, cluster: string): DeliveryController =>
    new DeliveryController({
      client,
      cluster,
      appClient: o.client,
      log: o.log.child({ component: 'delivery', cluster }),
      ...(o.notifier ? { notifier: o.notifier } : {}),
      ...(o.audit ? { audit: o.audit } : {}),
      ...(o.appNamespace !== undefined ? { appNamespace: o.appNamespace } : {}),
      appRevision,
      // A Canary no Application owns is driven where it is, as before.
      drives: async (namespace, name) => {
        const dest = await destinationOf(namespace, name);
        return dest === undefined || dest === cluster;
      },
    });
  const local = make(o.client, IN_CLUSTER);
  local.start();
  const remote = new Map<string, DeliveryController>();
  const push = new PushDelivery({
    known: o.known,
    owns: o.owns,
    log: o.log.child({ component: 'delivery' }),
    make: (client, cluster) => {
      const c = make(client, cluster);
      return {
        start: () => {
          remote.set(cluster, c);
          c.start();
        },
        stop: () => {
          if (remote.get(cluster) === c) remote.delete(cluster);
          c.stop();
        },
      };
    },
  });
  push.start();
  return {
    local,
    cluster: (name) => remote.get(name),
    stop: () => {
      push.stop();
      local.stop();
    },
  };
}
