import type { KubeObject } from '../../kube/types.js';
import { list, str } from './read.js';

/**
 * True when `status.loadBalancer.ingress` has an entry with an IP or hostname: the point at which
 * a LoadBalancer Service or an Ingress is reachable from outside.
 */
export function hasLoadBalancerAddress(obj: KubeObject): boolean {
  return list(obj, 'status', 'loadBalancer', 'ingress').some(
    (entry) => Boolean(str(entry, 'ip')) || Boolean(str(entry, 'hostname')),
  );
}
