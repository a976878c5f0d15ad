import { beforeAll, describe, expect, it } from 'vitest';
import { createNamespace, uniqueName } from '../harness/context.js';
import type { KubeClient } from '../../src/kube/index.js';
import { InventoryStore } from '../../src/engine/inventory/store.js';
import { CompareMemo, compareApp, syncNext, type LiveVersions } from '../../src/engine/sync/index.js';
import { OwnedObjectsWatch } from '../../src/controllers/application/owned-watch.js';
import { adminClient, configMap, manifests, request } from './engine-fixture.js';

/** Counts the requests a client sends (every KubeClient call goes through `request`), by path. */
function counting(
  client: KubeClient,
  perObject: (path: string) => boolean,
): () => { objects: number; fixed: number } {
  let objects = 0;
  let fixed = 0;
  const inner = client.request.bind(client);
  client.request = ((spec: Parameters<KubeClient['request']>[0]) => {
    if (perObject(spec.path)) objects += 1;
    else fixed += 1;
    return inner(spec);
  }) as KubeClient['request'];
  return () => {
    client.request = Object.getPrototypeOf(client).request.bind(client) as KubeClient['request'];
    return { objects, fixed };
  };
}

async function until(what: string, ok: () => boolean, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('engine: requests per object in one reconcile (compare, then the sync step)', () => {
  let client: KubeClient;
  let ns: string;
  beforeAll(async () => {
    client = await adminClient();
    ns = await createNamespace(client, 'eng-requests');
  });

  it('cold: GET + apply per object; no-op with a warm watch cache: no request per object; a hand edit is still healed', async () => {
    const n = 20;
    const owner = `${ns}/${uniqueName('app')}`;
    const objs = manifests(...Array.from({ length: n }, (_, i) => configMap(`cm-${i}`, { i: String(i) })));
    const req = request(owner, ns, objs);
    const inventory = new InventoryStore(client);
    const memo = new CompareMemo();
    const isObject = (path: string): boolean => path.includes(`/namespaces/${ns}/configmaps/cm-`);
    const reconcile = async (versions?: LiveVersions) => {
      const done = counting(client, isObject);
      const cmp = await compareApp(
        { owner, manifests: objs, defaultNamespace: ns, ignore: [] },
        { client, inventory, memo, ...(versions ? { versions } : {}) },
      );
      const r = await syncNext(req, {
        client,
        inventory,
        memo,
        prepared: cmp.prepared,
        compared: cmp.objects,
      });
      expect(r.phase).toBe('Succeeded');
      return { ...done(), cmp, r };
    };
    const show = (label: string, c: { objects: number; fixed: number }): string =>
      `${label} ${(c.objects / n).toFixed(2)}/object + ${c.fixed} fixed = ${((c.objects + c.fixed) / n).toFixed(2)}/object`;

    const cold = await reconcile();
    const noopUncached = await reconcile();

    // The owned-objects watch of the controller, on its own connection (its requests are not the reconcile's).
    const watch = new OwnedObjectsWatch(await adminClient(), () => {});
    try {
      watch.ensure(cold.r.inventory);
      const refs = objs.map((m) => ({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        namespace: ns,
        name: m.object.metadata.name,
      }));
      await until('the watch cache to hold every ConfigMap', () =>
        refs.every((r) => watch.resourceVersion(r)),
      );
      const warm = await reconcile(watch);
      expect(warm.cmp.status).toBe('Synced');

      // A hand edit changes the resourceVersion the watch sees: that object alone is compared and healed.
      const edited = { apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'cm-3' };
      const before = watch.resourceVersion(edited);
      await client.patch(edited, { data: { i: 'edited by hand' } }, { type: 'merge' });
      await until('the watch to see the edit', () => watch.resourceVersion(edited) !== before);
      const healed = await reconcile(watch);
      expect(healed.cmp.resources.filter((r) => r.status === 'OutOfSync').map((r) => r.ref.name)).toEqual([
        'cm-3',
      ]);
      expect(healed.r.changes.filter((c) => c.action === 'configured').map((c) => c.ref.name)).toEqual([
        'cm-3',
      ]);
      const live = await client.get<{ data?: Record<string, string> }>(edited);
      expect(live.data?.i).toBe('3');

      console.log(
        `requests: ${show('cold', cold)}; ${show('no-op without cache', noopUncached)}; ${show('no-op warm', warm)}; ${show('one hand edit, warm', healed)}`,
      );
      // Goals (issue 14): ≤ 2 per object cold (GET + apply), ≤ 1 on a no-op with a warm cache,
      // fixed costs (inventory read and save) included in the no-op figure.
      expect(cold.objects / n).toBeLessThanOrEqual(2);
      expect(cold.fixed).toBeLessThanOrEqual(3);
      expect(noopUncached.objects / n).toBeLessThanOrEqual(2);
      expect((warm.objects + warm.fixed) / n).toBeLessThanOrEqual(1);
      expect(warm.objects).toBe(0);
      expect(healed.objects).toBeLessThanOrEqual(3);
    } finally {
      watch.stop();
    }
  }, 60_000);
});
