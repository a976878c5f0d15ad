import type { KubeObject } from '../../kube/types.js';
import { hasLoadBalancerAddress } from './load-balancer.js';
import type { HealthResult } from './types.js';

/**
 * Health of a `networking.k8s.io/Ingress`: Healthy once the ingress controller publishes an
 * address in `status.loadBalancer.ingress`, Progressing before that.
 */
export function ingressHealth(obj: KubeObject): HealthResult {
  if (hasLoadBalancerAddress(obj)) return { status: 'Healthy' };
  return { status: 'Progressing', message: 'Ingress is waiting for a load balancer address' };
}
