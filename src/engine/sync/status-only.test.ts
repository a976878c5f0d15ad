import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../kube/types.js';
import type { Manifest } from '../manifest.js';
import type { KubeClient } from '../../kube/client.js';
import type { InventoryStore } from '../inventory/store.js';
import { compareApp } from './compare.js';
import { CompareMemo } from './memo.js';
import { onlyStatusMoved } from './status-only.js';

// A roll-out's wake-ups change only the status of what gitfleet applied: those looks skip the
// server-side dry-run. Anything a dry-run could find different (spec, a declared label or
// annotation, a re-created object) is still compared.

const desired: KubeObject = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'n', labels: { app: 'web' }, annotations: { note: 'a' } },
  spec: { replicas: 1 },
};
const live = (over: Partial<KubeObject['metadata']> = {}, status: unknown = {}): KubeObject =>
  ({
    ...desired,
    metadata: { ...desired.metadata, uid: 'u1', generation: 1, resourceVersion: '10', ...over },
    status,
  }) as KubeObject;

describe('onlyStatusMoved', () => {
  it('holds when only status and resourceVersion moved, and for others’ labels and annotations', () => {
    const now = live(
      {
        resourceVersion: '11',
        annotations: { note: 'a', 'deployment.kubernetes.io/revision': '1' },
        labels: { app: 'web', extra: 'x' },
      },
      { availableReplicas: 1 },
    );
    expect(onlyStatusMoved(live(), now, desired)).toBe(true);
  });

  it.each([
    ['the spec changed (generation)', live({ generation: 2 })],
    ['the object was re-created (uid)', live({ uid: 'u2' })],
    ['it is being deleted', live({ deletionTimestamp: '2026-01-01T00:00:00Z' })],
    ['a declared label was edited', live({ labels: { app: 'other' } })],
    ['a declared annotation was removed', live({ annotations: {} })],
    ['no generation is kept', live({ generation: undefined })],
  ])('does not hold when %s', (_why, now) => {
    expect(onlyStatusMoved(live(), now, desired)).toBe(false);
  });

  it('does not hold for objects that declare fields outside spec (ConfigMap data)', () => {
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: '1' } };
    const then = { ...cm, metadata: { name: 'c', uid: 'u', generation: 1 } } as KubeObject;
    expect(onlyStatusMoved(then, { ...then }, cm as KubeObject)).toBe(false);
  });
});

describe('compareApp with a memo: a status-only change costs a GET, no dry-run', () => {
  function fake(initial: KubeObject) {
    let current = initial;
    const counts = { get: 0, dryRun: 0 };
    const client = {
      resource: () => Promise.resolve({ namespaced: true }),
      getOrUndefined: () => {
        counts.get++;
        return Promise.resolve(structuredClone(current));
      },
      // The dry-run predicts the live object itself: nothing would change.
      apply: (_o: KubeObject, o: { dryRun?: boolean }) => {
        if (o.dryRun) counts.dryRun++;
        return Promise.resolve(structuredClone(current));
      },
    } as unknown as KubeClient;
    const inventory = { load: () => Promise.resolve([]) } as unknown as InventoryStore;
    return { client, inventory, counts, set: (o: KubeObject) => (current = o) };
  }
  const manifests: Manifest[] = [{ object: desired, origin: { file: 'web.yaml' } } as unknown as Manifest];
  const req = { owner: 'apps/web', manifests, defaultNamespace: 'n', ignore: [] };
  // What the live object looks like once gitfleet applied it: its owner annotation and label too.
  const applied = (m: Partial<KubeObject['metadata']>, status: unknown): KubeObject => {
    const base = live(m, status);
    return {
      ...base,
      metadata: {
        ...base.metadata,
        labels: { ...base.metadata.labels, 'app.kubernetes.io/managed-by': 'gitfleet' },
        annotations: { ...base.metadata.annotations, 'gitfleet.dev/owner': 'apps/web' },
      },
    };
  };

  it('skips the dry-run after a status change, and compares again after a spec edit', async () => {
    const f = fake(applied({}, {}));
    const memo = new CompareMemo();
    const deps = { client: f.client, inventory: f.inventory, memo };
    const first = await compareApp(req, deps);
    expect(first.status).toBe('Synced');
    expect(f.counts).toEqual({ get: 1, dryRun: 1 });

    f.set(applied({ resourceVersion: '11' }, { availableReplicas: 1 }));
    const second = await compareApp(req, deps);
    expect(second.status).toBe('Synced');
    expect(f.counts).toEqual({ get: 2, dryRun: 1 });
    // The health is the fresh read's, not the remembered copy's.
    expect(second.objects.get('apps/Deployment/n/web')?.live?.status).toEqual({ availableReplicas: 1 });

    f.set(applied({ resourceVersion: '12', generation: 2 }, { availableReplicas: 1 }));
    await compareApp(req, deps);
    expect(f.counts).toEqual({ get: 3, dryRun: 2 });

    f.set(applied({ resourceVersion: '13', generation: 2, labels: { app: 'hand-edit' } }, {}));
    await compareApp(req, deps);
    expect(f.counts).toEqual({ get: 4, dryRun: 3 });
  });
});
