import type { KubeClient } from '../kube/client.js';

/**
 * Replaces the whole status subresource. A JSON merge patch cannot delete a key that a newer
 * status no longer has (a cleared message, a finished soak), so the status is swapped as a whole.
 */
export async function replaceStatus(client: KubeClient, objectPath: string, status: unknown): Promise<void> {
  await client.request({
    method: 'PATCH',
    path: `${objectPath}/status`,
    body: [{ op: 'add', path: '/status', value: status }],
    contentType: 'application/json-patch+json',
  });
}
