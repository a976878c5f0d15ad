import type { ObjectRef } from '../../core/object-ref.js';
import type { KubeClient } from '../../kube/client.js';
import { Informer } from '../../kube/informer.js';
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE, OWNER_ANNOTATION } from '../../engine/plan/ownership.js';
import type { InventoryEntry } from '../../engine/inventory/inventory.js';
import type { LiveVersions } from '../../engine/sync/memo.js';

/**
 * Watches, in one destination cluster, only what gitfleet manages: one metadata-only informer per
 * kind that some inventory holds, selected by the managed-by label. A change or deletion is
 * reported with the owner annotation, so the owning Application is reconciled within seconds.
 */
export class OwnedObjectsWatch implements LiveVersions {
  readonly #client: KubeClient;
  readonly #onChange: (owner: string) => void;
  readonly #informers = new Map<string, Informer>();

  constructor(client: KubeClient, onChange: (owner: string) => void) {
    this.#client = client;
    this.#onChange = onChange;
  }

  /** Starts informers for kinds not watched yet. */
  ensure(entries: InventoryEntry[]): void {
    for (const e of entries) {
      const apiVersion = e.group ? `${e.group}/${e.version}` : e.version;
      const key = `${apiVersion}/${e.kind}`;
      if (this.#informers.has(key)) continue;
      const inf = new Informer(this.#client, {
        apiVersion,
        kind: e.kind,
        labelSelector: `${MANAGED_BY_LABEL}=${MANAGED_BY_VALUE}`,
        metadataOnly: true,
      });
      inf.on('event', (ev) => {
        if (ev.type === 'modified' || ev.type === 'deleted' || ev.type === 'added') {
          const owner = ev.object.metadata.annotations?.[OWNER_ANNOTATION];
          if (owner) this.#onChange(owner);
        }
      });
      this.#informers.set(key, inf);
      inf.start();
    }
  }

  /**
   * The watched resourceVersion of a managed object (LiveVersions, for the comparison memo);
   * undefined until its kind's informer has listed, or when the object is absent.
   */
  resourceVersion(ref: ObjectRef): string | undefined {
    const inf = this.#informers.get(`${ref.apiVersion}/${ref.kind}`);
    if (!inf?.synced) return undefined;
    return inf.get(ref.namespace, ref.name)?.metadata.resourceVersion;
  }

  get kinds(): number {
    return this.#informers.size;
  }

  stop(): void {
    for (const i of this.#informers.values()) i.stop();
    this.#informers.clear();
  }
}
