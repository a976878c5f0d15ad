// The Gateway API (standard channel, v1.6.3, vendored in test/harness/crds from the Go module
// sigs.k8s.io/gateway-api) installed into a harness cluster when a test asks for it. CRDs are
// cluster-scoped and the fleet is shared, so the install is an idempotent server-side apply under
// one field manager: several files may ask at once. No Gateway controller runs: tests read the
// HTTPRoute objects the apiserver stores.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import type { KubeClient } from '../../src/kube/client.js';
import type { KubeObject } from '../../src/kube/index.js';
import { waitFor } from './wait.js';

export const GATEWAY_API_VERSION = 'v1.6.3';
const FILES = ['gatewayclasses', 'gateways', 'httproutes', 'referencegrants'].map(
  (k) => `gateway.networking.k8s.io_${k}.yaml`,
);
const crdDir = join(dirname(fileURLToPath(import.meta.url)), 'crds');

interface Crd extends KubeObject {
  status?: { conditions?: { type: string; status: string }[] };
}

/** Applies the Gateway API CRDs and waits until each is Established and served. */
export async function installGatewayApi(admin: KubeClient): Promise<void> {
  const crds: Crd[] = [];
  for (const f of FILES)
    for (const d of parseAllDocuments(readFileSync(join(crdDir, f), 'utf8'))) {
      const o = d.toJS() as Crd | null;
      if (o?.kind === 'CustomResourceDefinition') crds.push(o);
    }
  if (crds.length !== FILES.length)
    throw new Error(`test/harness/crds: expected ${FILES.length} Gateway API CRDs, found ${crds.length}`);
  for (const crd of crds) await admin.apply(crd, { fieldManager: 'gitfleet-test-gateway-api', force: true });
  for (const crd of crds)
    await waitFor(
      `CRD ${crd.metadata.name} established`,
      async () => {
        const live = await admin.get<Crd>({
          apiVersion: crd.apiVersion,
          kind: crd.kind,
          name: crd.metadata.name,
        });
        return live.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') ?? false;
      },
      { timeoutMs: 90_000, intervalMs: 300 },
    );
  // Established can precede discovery by a moment: wait until the client resolves HTTPRoute.
  await waitFor(
    'HTTPRoute served',
    async () => {
      admin.invalidateDiscovery();
      await admin.resource('gateway.networking.k8s.io/v1', 'HTTPRoute');
      return true;
    },
    { timeoutMs: 90_000, intervalMs: 500 },
  );
}
