import { FLEET_NAMESPACE } from '../../api/cluster.js';
import type { KubeClient } from '../../kube/client.js';
import { DriverConflictError, tryAcquireLease } from './lease.js';

/** The Lease in each driven cluster naming its one driver: `hub` (push mode) or `agent/<cluster>`. */
export const DRIVER_LEASE = { namespace: FLEET_NAMESPACE, name: 'gitfleet-driver' };

/** Seconds a driver's claim outlives its last renewal. */
export const DRIVER_LEASE_SECONDS = 60;

/**
 * Claims (or renews) the right to apply to a cluster. A cluster has one driver: a hub pushing to
 * it, or the agent inside it. Throws DriverConflictError naming the current holder otherwise.
 */
export async function claimDriver(client: KubeClient, cluster: string, identity: string): Promise<void> {
  const r = await tryAcquireLease(client, DRIVER_LEASE, identity, DRIVER_LEASE_SECONDS);
  if (!r.acquired) throw new DriverConflictError(cluster, r.holder, identity);
}
