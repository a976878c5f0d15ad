import type { KubeClient } from './client.js';
import { isConflict } from './errors.js';

/** Creates a Namespace unless it exists; takes no ownership of an existing one. */
export async function ensureNamespace(client: KubeClient, name: string): Promise<void> {
  try {
    await client.request({
      method: 'POST',
      path: '/api/v1/namespaces',
      body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name } },
    });
  } catch (e) {
    if (!isConflict(e)) throw e;
  }
}
