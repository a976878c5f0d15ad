import type { KubeClient } from '../kube/client.js';
import type { KubeObject } from '../kube/types.js';

/**
 * Records a Kubernetes Event about `obj`: kept for its callers, the writer is
 * `KubeClient.recordEvent` (best effort, never fails a reconcile).
 */
export function recordEvent(
  client: KubeClient,
  obj: KubeObject,
  type: 'Normal' | 'Warning',
  reason: string,
  message: string,
): Promise<void> {
  return client.recordEvent(obj, type, reason, message);
}
