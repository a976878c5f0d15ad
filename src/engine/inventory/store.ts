import { createHash } from 'node:crypto';
import { internStrings } from '../../core/intern.js';
import type { KubeClient } from '../../kube/client.js';
import { isNotFound } from '../../kube/errors.js';
import { VersionedReads } from '../../kube/versioned-reads.js';
import type { KubeObject } from '../../kube/types.js';
import { decodeInventory, encodeInventory, inventoryEntry, type InventoryEntry } from './inventory.js';

/** Where inventories live in each destination cluster. */
export const INVENTORY_NAMESPACE = 'gitfleet-system';

const INVENTORY_LABEL = 'gitfleet.dev/inventory';

type InventoryConfigMap = KubeObject & { data?: Record<string, string> };

/**
 * What one controller knows of the inventories of one destination cluster: the last version of
 * each it read or wrote, served again while a metadata-only watch of all of them says that version
 * is still the stored one. A poll that finds an inventory unchanged then reads nothing; any other
 * writer (an agent, another replica, a hand edit) changes the version and the next load reads it.
 */
export class InventoryCache extends VersionedReads<InventoryEntry[]> {
  constructor(client: KubeClient) {
    super(
      client,
      { apiVersion: 'v1', kind: 'ConfigMap', labelSelector: `${INVENTORY_LABEL}=true` },
      // Entries hold only strings: a copy of each entry is a copy, and its kind, namespace and
      // name can be the one shared copy (every app's inventory names each of its objects).
      (entries) => entries.map((e) => internStrings(inventoryEntry(e))),
    );
  }
}

/**
 * Keeps each owner's inventory in a ConfigMap of the destination cluster, so that what an
 * Application owns is known to whoever drives that cluster (hub or agent) after any restart.
 * With an InventoryCache, a load of an inventory unchanged since this controller last read or
 * wrote it costs no request.
 */
export class InventoryStore {
  readonly #client: KubeClient;
  readonly #cache: InventoryCache | undefined;
  constructor(client: KubeClient, cache?: InventoryCache) {
    this.#client = client;
    this.#cache = cache;
  }

  static configMapName(owner: string): string {
    return `inventory-${createHash('sha256').update(owner).digest('hex').slice(0, 20)}`;
  }

  /** The stored inventory; empty when there is none yet. */
  async load(owner: string, signal?: AbortSignal): Promise<InventoryEntry[]> {
    const name = InventoryStore.configMapName(owner);
    const cached = this.#cache?.get(INVENTORY_NAMESPACE, name);
    if (cached) return cached;
    const cm = await this.#client.getOrUndefined<InventoryConfigMap>(
      { apiVersion: 'v1', kind: 'ConfigMap', namespace: INVENTORY_NAMESPACE, name },
      signal,
    );
    const entries = cm?.data?.entries ? decodeInventory(cm.data.entries) : [];
    this.#cache?.set(INVENTORY_NAMESPACE, name, cm?.metadata.resourceVersion, entries);
    return entries;
  }

  async save(owner: string, entries: InventoryEntry[], signal?: AbortSignal): Promise<void> {
    // The namespace is created only when the apply finds it missing: one request per save, not two.
    try {
      await this.#apply(owner, entries, signal);
    } catch (e) {
      if (!isNotFound(e)) throw e;
      await this.#ensureNamespace(signal);
      await this.#apply(owner, entries, signal);
    }
  }

  async #apply(owner: string, entries: InventoryEntry[], signal?: AbortSignal): Promise<void> {
    const name = InventoryStore.configMapName(owner);
    // Forgotten first: a failed write leaves the stored version unknown.
    this.#cache?.forget(INVENTORY_NAMESPACE, name);
    const written = await this.#client.apply<InventoryConfigMap>(
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: {
          name,
          namespace: INVENTORY_NAMESPACE,
          annotations: { 'gitfleet.dev/inventory-of': owner },
          labels: { 'app.kubernetes.io/managed-by': 'gitfleet', [INVENTORY_LABEL]: 'true' },
        },
        data: { entries: encodeInventory(entries) },
      },
      { fieldManager: 'gitfleet', force: true, signal },
    );
    this.#cache?.set(INVENTORY_NAMESPACE, name, written.metadata.resourceVersion, entries);
  }

  async remove(owner: string, signal?: AbortSignal): Promise<void> {
    this.#cache?.forget(INVENTORY_NAMESPACE, InventoryStore.configMapName(owner));
    try {
      await this.#client.delete(
        {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          namespace: INVENTORY_NAMESPACE,
          name: InventoryStore.configMapName(owner),
        },
        { signal },
      );
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }

  async #ensureNamespace(signal?: AbortSignal): Promise<void> {
    await this.#client.apply(
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: INVENTORY_NAMESPACE } },
      { fieldManager: 'gitfleet', signal },
    );
  }
}
