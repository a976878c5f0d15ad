import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNamespace, uniqueName } from '../harness/context.js';
import { CredentialReads, secretCredentials } from '../../src/controllers/credentials.js';
import type { KubeClient } from '../../src/kube/index.js';
import { INVENTORY_NAMESPACE, InventoryCache, InventoryStore } from '../../src/engine/inventory/store.js';
import type { InventoryEntry } from '../../src/engine/inventory/inventory.js';
import { adminClient } from './engine-fixture.js';
import { Informer } from '../../src/kube/informer.js';
import type { KubeObject } from '../../src/kube/types.js';
import { slimMetadata } from '../../src/controllers/application/owned-watch.js';

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
    await until('the watch to see the write', () => cache.get(INVENTORY_NAMESPACE, name) !== undefined);
    const before = counter.reads();
    expect(await store.load(owner)).toEqual([entry('a')]);
    expect(await store.load(owner)).toEqual([entry('a')]);
    expect(counter.reads()).toBe(before);

    // Someone else (an agent, a hand edit) writes: the version differs, so the next load reads it.
    await new InventoryStore(other).save(owner, [entry('a'), entry('b')]);
    await until('the watch to see the other write', () => cache.get(INVENTORY_NAMESPACE, name) === undefined);
    expect(await store.load(owner)).toEqual([entry('a'), entry('b')]);
    expect(counter.reads()).toBe(before + 1);
    await until('the read version to be current', () => cache.get(INVENTORY_NAMESPACE, name) !== undefined);
    expect(await store.load(owner)).toEqual([entry('a'), entry('b')]);
    expect(counter.reads()).toBe(before + 1);

    // Deleted by hand: read again, found empty.
    await new InventoryStore(other).remove(owner);
    await until('the watch to see the deletion', () => cache.get(INVENTORY_NAMESPACE, name) === undefined);
    expect(await store.load(owner)).toEqual([]);
  });

  it('a copy handed out cannot change what the cache holds', async () => {
    const owner = `inv/${uniqueName('app')}`;
    const store = new InventoryStore(client, cache);
    await store.save(owner, [entry('a')]);
    await until(
      'the watch to see the write',
      () => cache.get(INVENTORY_NAMESPACE, InventoryStore.configMapName(owner)) !== undefined,
    );
    const got = await store.load(owner);
    got.push(entry('mutated'));
    expect(await store.load(owner)).toEqual([entry('a')]);
  });
});

describe('credential reads: a secretRef Secret is decoded once per version', () => {
  it('reads an unchanged Secret once, an edited one again, and a deleted one is an error', async () => {
    const client = await adminClient();
    const ns = await createNamespace(client, 'cred-reads');
    const reads = new CredentialReads(await adminClient());
    try {
      let gets = 0;
      const inner = client.request.bind(client);
      client.request = ((spec: Parameters<KubeClient['request']>[0]) => {
        if ((spec.method ?? 'GET') === 'GET' && spec.path.includes(`/namespaces/${ns}/secrets/repo`))
          gets += 1;
        return inner(spec);
      }) as KubeClient['request'];
      const secret = (password: string) => ({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'repo', namespace: ns },
        stringData: { username: 'u', password },
      });
      await client.apply(secret('one'), { fieldManager: 'test' });
      expect(await secretCredentials(client, ns, 'repo', reads)).toEqual({ username: 'u', password: 'one' });
      await until('the watch of the namespace to list', () => reads.get(ns, 'repo') !== undefined);
      const before = gets;
      expect(await secretCredentials(client, ns, 'repo', reads)).toEqual({ username: 'u', password: 'one' });
      expect(gets).toBe(before);

      await client.apply(secret('two'), { fieldManager: 'test' });
      await until('the watch to see the edit', () => reads.get(ns, 'repo') === undefined);
      expect(await secretCredentials(client, ns, 'repo', reads)).toEqual({ username: 'u', password: 'two' });
      expect(gets).toBe(before + 1);

      await client.delete({ apiVersion: 'v1', kind: 'Secret', namespace: ns, name: 'repo' });
      await until('the watch to see the deletion', () => reads.get(ns, 'repo') === undefined);
      await expect(secretCredentials(client, ns, 'repo', reads)).rejects.toThrow(/not found/);
    } finally {
      reads.stop();
    }
  });
});

describe('metadata-only watch of an empty collection', () => {
  it('lists (the API server answers items: null) and then sees the first object', async () => {
    const client = await adminClient();
    const ns = await createNamespace(client, 'meta-empty');
    const inf = new Informer(client, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      namespace: ns,
      labelSelector: 'none=here',
      metadataOnly: true,
    });
    const errors: unknown[] = [];
    inf.on('event', (ev) => {
      if (ev.type === 'error') errors.push(ev.error);
    });
    inf.start();
    try {
      await until('the empty list', () => inf.synced, 5_000);
      expect(errors).toEqual([]);
      await client.apply(
        {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'first', namespace: ns, labels: { none: 'here' } },
        },
        { fieldManager: 'test' },
      );
      await until('the first object', () => inf.get(ns, 'first') !== undefined, 5_000);
    } finally {
      inf.stop();
    }
  });
});

describe('a metadata-only watch keeping slim copies (owned-watch slimMetadata)', () => {
  it('events carry managedFields (foreignWrite reads them); the cache keeps only identity, version and owner', async () => {
    const client = await adminClient();
    const ns = await createNamespace(client, 'meta-slim');
    const inf = new Informer(client, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      namespace: ns,
      labelSelector: 'slim=yes',
      metadataOnly: true,
      keep: slimMetadata,
    });
    const seen: KubeObject[] = [];
    inf.on('event', (ev) => {
      if (ev.type === 'added' || ev.type === 'modified') seen.push(ev.object);
    });
    inf.start();
    try {
      await until('the empty list', () => inf.synced, 5_000);
      const applied: KubeObject = await client.apply(
        {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: {
            name: 'cm',
            namespace: ns,
            labels: { slim: 'yes' },
            annotations: { 'gitfleet.dev/owner': 'a/x', other: 'y' },
          },
          data: { k: 'v' },
        },
        { fieldManager: 'test' },
      );
      await until('the object', () => inf.get(ns, 'cm') !== undefined, 5_000);
      expect(seen[0]?.metadata.managedFields?.[0]?.manager).toBe('test');
      expect(inf.get(ns, 'cm')?.metadata).toEqual({
        name: 'cm',
        namespace: ns,
        uid: applied.metadata.uid,
        resourceVersion: applied.metadata.resourceVersion,
        annotations: { 'gitfleet.dev/owner': 'a/x' },
      });
    } finally {
      inf.stop();
    }
  });
});
