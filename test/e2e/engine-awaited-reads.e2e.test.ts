import { beforeAll, describe, expect, it } from 'vitest';
import { createNamespace, uniqueName } from '../harness/context.js';
import { waitFor } from '../harness/wait.js';
import type { KubeClient, KubeObject } from '../../src/kube/index.js';
import { InventoryStore } from '../../src/engine/inventory/store.js';
import { entryOf } from '../../src/engine/inventory/inventory.js';
import { CompareMemo, compareApp, syncNext, type SyncStepResult } from '../../src/engine/sync/index.js';
import { OwnedObjectsWatch } from '../../src/controllers/application/owned-watch.js';
import { adminClient, configMap, manifests, request } from './engine-fixture.js';

/** Counts a client's requests to one object path prefix, by method (every KubeClient call goes through `request`). */
function counting(client: KubeClient, isObject: (path: string) => boolean): () => Record<string, number> {
  const counts: Record<string, number> = {};
  const inner = client.request.bind(client);
  client.request = ((spec: Parameters<KubeClient['request']>[0]) => {
    if (isObject(spec.path)) counts[spec.method] = (counts[spec.method] ?? 0) + 1;
    return inner(spec);
  }) as KubeClient['request'];
  return () => {
    client.request = Object.getPrototypeOf(client).request.bind(client) as KubeClient['request'];
    return counts;
  };
}

/** A Deployment whose Pod no node can take: Progressing for an hour, its status written by the controller-manager. */
const stuck = (name: string): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, annotations: { 'gitfleet.dev/sync-wave': '0' } },
  spec: {
    replicas: 1,
    progressDeadlineSeconds: 3600,
    selector: { matchLabels: { app: name } },
    template: {
      metadata: { labels: { app: name } },
      spec: {
        nodeSelector: { 'gitfleet.dev/e2e': 'no-such-node' },
        containers: [{ name: 'c', image: 'busybox' }],
      },
    },
  },
});

/**
 * A running operation woken while its wave's objects roll out: what one wake-up reconcile (the
 * comparison, then the sync step's look at the awaited wave) asks the API server per awaited
 * object, once the owned-objects watch holds that wave's kind in full.
 */
describe('engine: a wake-up of an awaited wave reads nothing the watch holds', () => {
  let client: KubeClient;
  let ns: string;
  beforeAll(async () => {
    client = await adminClient();
    ns = await createNamespace(client, 'eng-awaited');
  });

  it('10 awaited Deployments: no GET and no dry-run per object on a wake-up', async () => {
    const n = 10;
    const owner = `${ns}/${uniqueName('app')}`;
    const objs = manifests(...Array.from({ length: n }, (_, i) => stuck(`d-${i}`)), {
      ...configMap('after', { v: '1' }),
      metadata: { name: 'after', annotations: { 'gitfleet.dev/sync-wave': '1' } },
    });
    const req = request(owner, ns, objs, { healthTimeoutMs: 600_000 });
    const inventory = new InventoryStore(client);
    const memo = new CompareMemo();
    const watch = new OwnedObjectsWatch(await adminClient(), () => {});
    const isObject = (path: string): boolean => path.includes(`/namespaces/${ns}/deployments/d-`);
    const names = Array.from({ length: n }, (_, i) => `d-${i}`);
    const reconcile = async (prior: {
      progress?: SyncStepResult['progress'];
      changes?: SyncStepResult['changes'];
    }) => {
      const done = counting(client, isObject);
      const cmp = await compareApp(
        // As the controller does: a running operation's comparison reads what the watch holds in full.
        { owner, manifests: objs, defaultNamespace: ns, ignore: [], fromWatch: !!prior.progress },
        { client, inventory, memo, versions: watch },
      );
      const r = await syncNext(
        req,
        { client, inventory, memo, prepared: cmp.prepared, compared: cmp.objects },
        prior,
      );
      return { counts: done(), r };
    };
    try {
      const first = await reconcile({});
      expect(first.r.phase).toBe('Running');
      const appliedRv = new Map(
        [...first.r.applied.values()].map((o) => [o.metadata.name, o.metadata.resourceVersion]),
      );
      // What the controller does after a Running step: its objects' kinds are watched (metadata
      // only), then the awaited step's kinds in full (replacing the metadata-only informer).
      watch.ensure(first.r.inventory);
      watch.ensure(objs.map((m) => entryOf(m.object)));
      expect(first.r.awaited.map((e) => e.name).sort()).toEqual([...names].sort());
      watch.ensure(first.r.awaited, { full: true });
      // The wake-up: every Deployment's status written since the apply, and the watch holds it.
      await waitFor(
        'the controller-manager to write each Deployment status, held in full by the watch',
        () =>
          names.every((name) => {
            const live = watch.object({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns, name });
            const rv = live?.metadata.resourceVersion;
            return live?.spec !== undefined && rv !== undefined && rv !== appliedRv.get(name);
          }),
        { timeoutMs: 90_000 },
      );
      const wake = await reconcile({ progress: first.r.progress, changes: first.r.changes });
      expect(wake.r.phase).toBe('Running');
      const gets = wake.counts.GET ?? 0;
      console.log(
        `wake-up of ${n} awaited Deployments: ${gets} GET (${(gets / n).toFixed(2)}/object), ${wake.counts.PATCH ?? 0} PATCH (dry-run), cold: ${JSON.stringify(first.counts)}`,
      );
      // Before: a GET per object in the comparison (its status changed) and another in the sync
      // step's look at the wave, 2 per object, then a dry-run per object. Now nothing: only their
      // status moved since the apply (same uid and generation, declared metadata unchanged), so
      // a dry-run would find them equal again (engine/sync/status-only.ts).
      expect(gets).toBe(0);
      expect(wake.counts.PATCH ?? 0).toBe(0);
      // The same judgement as with reads: every Deployment still awaited, the next wave not applied.
      for (const name of names) expect(wake.r.message).toContain(`Deployment/${ns}/${name}`);
      expect(wake.r.changes.some((c) => c.ref.name === 'after')).toBe(false);
    } finally {
      watch.stop();
    }
  }, 180_000);
});
