import type { ObjectRef } from '../../core/object-ref.js';
import type { KubeClient } from '../../kube/client.js';
import { Informer } from '../../kube/informer.js';
import type { KubeObject } from '../../kube/types.js';
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE, OWNER_ANNOTATION } from '../../engine/plan/ownership.js';
import type { InventoryEntry } from '../../engine/inventory/inventory.js';
import type { LiveVersions } from '../../engine/sync/memo.js';

/**
 * Watches, in one destination cluster, only what gitfleet manages: one informer per kind that some
 * inventory holds, selected by the managed-by label. A change or deletion is reported with the
 * owner annotation, so the owning Application is reconciled within seconds. Metadata only, except
 * the kinds an operation has awaited (Deployments of a wave, say): those are held in full, so the
 * wake-ups of a roll-out read their objects from here instead of a GET each (never Secrets: their
 * data is not kept).
 */
export class OwnedObjectsWatch implements LiveVersions {
  readonly #client: KubeClient;
  readonly #onChange: (owner: string) => void;
  readonly #informers = new Map<string, Informer>();
  /** Kinds whose informer in `#informers` holds whole objects. */
  readonly #full = new Set<string>();
  /** Kinds whose full informer is listing, to replace their metadata-only one. */
  readonly #upgrading = new Map<string, Informer>();

  constructor(client: KubeClient, onChange: (owner: string) => void) {
    this.#client = client;
    this.#onChange = onChange;
  }

  /**
   * Starts informers for kinds not watched yet; with `full`, the kinds are held in full from now on
   * (a metadata-only informer of such a kind keeps serving until the full one has listed, and the
   * full one's first list wakes nobody: nothing changed).
   */
  ensure(entries: InventoryEntry[], opts: { full?: boolean } = {}): void {
    for (const e of entries) {
      const apiVersion = e.group ? `${e.group}/${e.version}` : e.version;
      const key = `${apiVersion}/${e.kind}`;
      const full = !!opts.full && !(e.kind === 'Secret' && !e.group);
      const had = this.#informers.get(key);
      if (had && (!full || this.#full.has(key) || this.#upgrading.has(key))) continue;
      if (!had && full) this.#full.add(key);
      const inf = new Informer(this.#client, {
        apiVersion,
        kind: e.kind,
        labelSelector: `${MANAGED_BY_LABEL}=${MANAGED_BY_VALUE}`,
        metadataOnly: !full,
      });
      inf.on('event', (ev) => {
        if (ev.type === 'synced' && had && this.#upgrading.delete(key)) {
          // The full informer has listed: it replaces the metadata-only one.
          had.stop();
          this.#informers.set(key, inf);
          this.#full.add(key);
        }
        if (had && !inf.synced) return;
        if (ev.type === 'modified' || ev.type === 'deleted' || ev.type === 'added') {
          const owner = ev.object.metadata.annotations?.[OWNER_ANNOTATION];
          if (owner) this.#onChange(owner);
        }
      });
      if (had) this.#upgrading.set(key, inf);
      else this.#informers.set(key, inf);
      inf.start();
    }
  }

  /** The whole object, when its kind is held in full and listed (LiveVersions). */
  object(ref: ObjectRef): KubeObject | undefined {
    const key = `${ref.apiVersion}/${ref.kind}`;
    const inf = this.#informers.get(key);
    if (!this.#full.has(key) || !inf?.synced) return undefined;
    return inf.get(ref.namespace, ref.name);
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
    for (const i of [...this.#informers.values(), ...this.#upgrading.values()]) i.stop();
    this.#informers.clear();
    this.#full.clear();
    this.#upgrading.clear();
  }
}
