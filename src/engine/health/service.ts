import type { KubeObject } from '../../kube/types.js';
import { hasLoadBalancerAddress } from './load-balancer.js';
import { str } from './read.js';
import type { HealthResult } from './types.js';

/**
 * Health of a core `Service`: a `LoadBalancer` Service is Progressing until the cloud provider
 * publishes an address in `status.loadBalancer.ingress`; every other type works as soon as it
 * exists, so it is Healthy.
 */
export function serviceHealth(obj: KubeObject): HealthResult {
  if (str(obj, 'spec', 'type') !== 'LoadBalancer') return { status: 'Healthy' };
  if (hasLoadBalancerAddress(obj)) return { status: 'Healthy' };
  return { status: 'Progressing', message: 'Service is waiting for a load balancer address' };
}
