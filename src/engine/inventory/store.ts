import { createHash } from 'node:crypto';
import type { KubeClient } from '../../kube/client.js';
import { isNotFound } from '../../kube/errors.js';
import type { KubeObject } from '../../kube/types.js';
import { decodeInventory, encodeInventory, type InventoryEntry } from './inventory.js';

/** Where inventories live in each destination cluster. */
export const INVENTORY_NAMESPACE = 'gitfleet-system';

/**
 * Keeps each owner's inventory in a ConfigMap of the destination cluster, so that what an
 * Application owns is known to whoever drives that cluster (hub or agent) after any restart.
 */
export class InventoryStore {
  readonly #client: KubeClient;
  constructor(client: KubeClient) {
    this.#client = client;
  }

  static configMapName(owner: string): string {
    return `inventory-${createHash('sha256').update(owner).digest('hex').slice(0, 20)}`;
  }

  /** The stored inventory; empty when there is none yet. */
  async load(owner: string, signal?: AbortSignal): Promise<InventoryEntry[]> {
    const cm = await this.#client.getOrUndefined<KubeObject & { data?: Record<string, string> }>(
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        namespace: INVENTORY_NAMESPACE,
        name: InventoryStore.configMapName(owner),
      },
      signal,
    );
    return cm?.data?.entries ? decodeInventory(cm.data.entries) : [];
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
    await this.#client.apply(
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: {
          name: InventoryStore.configMapName(owner),
          namespace: INVENTORY_NAMESPACE,
          annotations: { 'gitfleet.dev/inventory-of': owner },
          labels: { 'app.kubernetes.io/managed-by': 'gitfleet', 'gitfleet.dev/inventory': 'true' },
        },
        data: { entries: encodeInventory(entries) },
      },
      { fieldManager: 'gitfleet', force: true, signal },
    );
  }

  async remove(owner: string, signal?: AbortSignal): Promise<void> {
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
