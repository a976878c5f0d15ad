import { beforeAll, describe, expect, it } from 'vitest';
import { createNamespace, uniqueName } from '../harness/context.js';
import type { KubeClient } from '../../src/kube/index.js';
import { InventoryStore } from '../../src/engine/inventory/store.js';
import { compareApp, syncNext } from '../../src/engine/sync/index.js';
import { adminClient, configMap, manifests, request } from './engine-fixture.js';

/** Counts the requests a client sends (every KubeClient call goes through `request`). */
function counting(client: KubeClient): { reset(): void; count(): number } {
  let n = 0;
  const inner = client.request.bind(client);
  client.request = ((spec: Parameters<KubeClient['request']>[0]) => {
    n += 1;
    return inner(spec);
  }) as KubeClient['request'];
  return { reset: () => (n = 0), count: () => n };
}

describe('engine: requests per object in one reconcile (compare, then the sync step)', () => {
  let client: KubeClient;
  let ns: string;
  beforeAll(async () => {
    client = await adminClient();
    ns = await createNamespace(client, 'eng-requests');
  });

  it('compares once and applies only what drifted: ≤ 3 per object cold, ≤ 2 on a no-op', async () => {
    const n = 20;
    const owner = `${ns}/${uniqueName('app')}`;
    const objs = manifests(...Array.from({ length: n }, (_, i) => configMap(`cm-${i}`, { i: String(i) })));
    const req = request(owner, ns, objs);
    const inventory = new InventoryStore(client);
    const reconcile = async (): Promise<number> => {
      const c = counting(client);
      const cmp = await compareApp(
        { owner, manifests: objs, defaultNamespace: ns, ignore: [] },
        { client, inventory },
      );
      const r = await syncNext(req, { client, inventory, prepared: cmp.prepared, compared: cmp.objects });
      expect(r.phase).toBe('Succeeded');
      client.request = Object.getPrototypeOf(client).request.bind(client) as KubeClient['request'];
      return c.count();
    };
    const cold = await reconcile();
    const noop = await reconcile();
    // Fixed costs (inventory read and saves, discovery) are spread over the objects.
    console.log(
      `requests per object: cold ${(cold / n).toFixed(2)} (${cold} for ${n}), no-op ${(noop / n).toFixed(2)} (${noop})`,
    );
    expect(cold / n).toBeLessThanOrEqual(3.3);
    expect(noop / n).toBeLessThanOrEqual(2.3);
  }, 60_000);
});
