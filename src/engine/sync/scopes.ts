import type { KubeClient } from '../../kube/client.js';
import type { Manifest } from '../manifest.js';

/**
 * Whether each kind the manifests use is namespaced, from discovery, asked once per kind.
 * Undefined for a kind the API does not serve yet — one whose CRD is in the same render: the plan
 * reads that CRD's scope instead.
 */
export async function discoverScopes(
  client: KubeClient,
  manifests: Manifest[],
  signal?: AbortSignal,
): Promise<(apiVersion: string, kind: string) => boolean | undefined> {
  const scopes = new Map<string, boolean | undefined>();
  for (const m of manifests) {
    const key = `${m.object.apiVersion}/${m.object.kind}`;
    if (scopes.has(key)) continue;
    scopes.set(
      key,
      await client.resource(m.object.apiVersion, m.object.kind, signal).then(
        (r) => r.namespaced,
        () => undefined,
      ),
    );
  }
  return (apiVersion, kind) => scopes.get(`${apiVersion}/${kind}`);
}
