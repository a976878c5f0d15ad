import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniqueName } from '../harness/context.js';
import type { KubeClient } from '../../src/kube/index.js';
import { INVENTORY_NAMESPACE, InventoryCache, InventoryStore } from '../../src/engine/inventory/store.js';
import type { InventoryEntry } from '../../src/engine/inventory/inventory.js';
import { adminClient } from './engine-fixture.js';

/** Counts the ConfigMap reads a client sends. */
function countReads(client: KubeClient): { reads: () => number } {
  let reads = 0;
  const inner = client.request.bind(client);
  client.request = ((spec: Parameters<KubeClient['request']>[0]) => {
    if (
      (spec.method ?? 'GET') === 'GET' &&
      spec.path.includes(`/namespaces/${INVENTORY_NAMESPACE}/configmaps/`)
    )
      reads += 1;
    return inner(spec);
  }) as KubeClient['request'];
  return { reads: () => reads };
}

async function until(what: string, ok: () => boolean, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const entry = (name: string): InventoryEntry => ({
  group: '',
  version: 'v1',
  kind: 'ConfigMap',
  namespace: 'x',
  name,
});

describe('inventory cache: an unchanged inventory is not read again, any other write is', () => {
  let client: KubeClient;
  let other: KubeClient;
  let cache: InventoryCache;
  beforeAll(async () => {
    client = await adminClient();
    other = await adminClient();
    // The watch on its own connection: the reads counted are the store's.
    cache = new InventoryCache(await adminClient());
  });
  afterAll(() => cache.stop());

  it('serves its own write without a read, and reads again after another writer or a deletion', async () => {
    const owner = `inv/${uniqueName('app')}`;
    const name = InventoryStore.configMapName(owner);
    const counter = countReads(client);
    const store = new InventoryStore(client, cache);
    // Nothing known yet: a read (and the watch starts).
    expect(await store.load(owner)).toEqual([]);
    await store.save(owner, [entry('a')]);
    await until('the watch to see the write', () => cache.current(name) !== undefined);
    const before = counter.reads();
    expect(await store.load(owner)).toEqual([entry('a')]);
    expect(await store.load(owner)).toEqual([entry('a')]);
    expect(counter.reads()).toBe(before);

    // Someone else (an agent, a hand edit) writes: the version differs, so the next load reads it.
    await new InventoryStore(other).save(owner, [entry('a'), entry('b')]);
    await until('the watch to see the other write', () => cache.current(name) === undefined);
    expect(await store.load(owner)).toEqual([entry('a'), entry('b')]);
    expect(counter.reads()).toBe(before + 1);
    await until('the read version to be current', () => cache.current(name) !== undefined);
    expect(await store.load(owner)).toEqual([entry('a'), entry('b')]);
    expect(counter.reads()).toBe(before + 1);

    // Deleted by hand: read again, found empty.
    await new InventoryStore(other).remove(owner);
    await until('the watch to see the deletion', () => cache.current(name) === undefined);
    expect(await store.load(owner)).toEqual([]);
  });

  it('a copy handed out cannot change what the cache holds', async () => {
    const owner = `inv/${uniqueName('app')}`;
    const store = new InventoryStore(client, cache);
    await store.save(owner, [entry('a')]);
    await until(
      'the watch to see the write',
      () => cache.current(InventoryStore.configMapName(owner)) !== undefined,
    );
    const got = await store.load(owner);
    got.push(entry('mutated'));
    expect(await store.load(owner)).toEqual([entry('a')]);
  });
});
