import type { KubeClient } from '../kube/client.js';

/** Replaces the whole status subresource: kept for its callers, see `KubeClient.replaceStatus`. */
export async function replaceStatus(client: KubeClient, objectPath: string, status: unknown): Promise<void> {
  await client.replaceStatus(objectPath, status);
}
