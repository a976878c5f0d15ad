import type { KubeClient } from '../kube/client.js';
import type { KubeObject } from '../kube/types.js';

/**
 * Records a Kubernetes Event about `obj`. Failures are swallowed on purpose: an event that
 * cannot be written must never fail a reconcile. Messages must already be free of Secret data.
 */
export async function recordEvent(
  client: KubeClient,
  obj: KubeObject,
  type: 'Normal' | 'Warning',
  reason: string,
  message: string,
): Promise<void> {
  const now = new Date().toISOString();
  const ns = obj.metadata.namespace ?? 'default';
  try {
    await client.request({
      method: 'POST',
      path: `/api/v1/namespaces/${ns}/events`,
      body: {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { generateName: `${obj.metadata.name}.`, namespace: ns },
        involvedObject: {
          apiVersion: obj.apiVersion,
          kind: obj.kind,
          name: obj.metadata.name,
          namespace: ns,
          uid: obj.metadata.uid,
          resourceVersion: obj.metadata.resourceVersion,
        },
        reason,
        message: message.length > 1000 ? `${message.slice(0, 997)}...` : message,
        type,
        source: { component: 'gitfleet-controller' },
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
      },
    });
  } catch {
    // best effort
  }
}
