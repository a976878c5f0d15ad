import { intern } from '../../core/intern.js';
import type { ObjectRef } from '../../core/object-ref.js';
import type { KubeClient } from '../../kube/client.js';
import { Informer, type InformerOptions } from '../../kube/informer.js';
import { identity } from '../../kube/slim.js';
import type { KubeObject } from '../../kube/types.js';
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE, OWNER_ANNOTATION } from '../../engine/plan/ownership.js';
import type { InventoryEntry } from '../../engine/inventory/inventory.js';
import type { LiveVersions } from '../../engine/sync/memo.js';

/**
 * Watches, in one destination cluster, only what gitfleet manages: one informer per kind that some
 * inventory holds, selected by the managed-by label. A change or deletion is reported with the
 * owner annotation, so the owning Application is reconciled within seconds. Metadata only, except
 * the kinds a running operation awaits (Deployments of a wave, say): those are held in full while
 * it waits, so the wake-ups of a roll-out read their objects from here instead of a GET each (never
 * Secrets: their data is not kept), and go back to metadata only when no operation awaits them.
 */
/** What the watch needs of an informer (a seam for unit tests). */
export type WatchInformer = Pick<Informer, 'on' | 'start' | 'stop' | 'get' | 'synced'>;
export type MakeInformer = (client: KubeClient, opts: InformerOptions) => WatchInformer;

/**
 * What changed about an owned object: a write by someone else (`drift`, foreignWrite: heal at
 * once), the object gone (`deleted`), or anything else (`moved`: a status write of a roll-out,
 * gitfleet's own apply echoing back, a creation), which changes the app's health at most.
 */
export type OwnedChange = 'drift' | 'deleted' | 'moved';

export class OwnedObjectsWatch implements LiveVersions {
  readonly #client: KubeClient;
  readonly #onChange: (owner: string, change: OwnedChange) => void;
  readonly #make: MakeInformer;
  readonly #informers = new Map<string, WatchInformer>();
  /** Kinds whose informer in `#informers` holds whole objects. */
  readonly #full = new Set<string>();
  /** Kinds whose informer is being replaced (to full, or back to metadata only) once the new one has listed. */
  readonly #replacing = new Map<string, { inf: WatchInformer; full: boolean }>();
  /** Kind → the owners whose running operation awaits it: held in full while this is not empty. */
  readonly #awaiting = new Map<string, Set<string>>();

  constructor(
    client: KubeClient,
    onChange: (owner: string, change: OwnedChange) => void,
    make: MakeInformer = (c, o) => new Informer(c, o),
  ) {
    this.#client = client;
    this.#onChange = onChange;
    this.#make = make;
  }

  /**
   * Starts informers for kinds not watched yet; with `full`, the kinds are held in full (a
   * metadata-only informer of such a kind keeps serving until the full one has listed, and the full
   * one's first list wakes nobody: nothing changed). With `owner`, the kinds stay full only while
   * that owner awaits them: `release(owner)` when its operation stops waiting.
   */
  ensure(entries: InventoryEntry[], opts: { full?: boolean; owner?: string } = {}): void {
    for (const e of entries) {
      const apiVersion = e.group ? `${e.group}/${e.version}` : e.version;
      const key = `${apiVersion}/${e.kind}`;
      const full = !!opts.full && !(e.kind === 'Secret' && !e.group);
      if (full && opts.owner) {
        let owners = this.#awaiting.get(key);
        if (!owners) this.#awaiting.set(key, (owners = new Set()));
        owners.add(opts.owner);
      }
      const had = this.#informers.get(key);
      if (!had) {
        const inf = this.#start(key, apiVersion, e.kind, full);
        this.#informers.set(key, inf);
        if (full) this.#full.add(key);
      } else if (full && !this.#becomesFull(key)) this.#replace(key, apiVersion, e.kind, true);
    }
  }

  /**
   * The owner's operation awaits nothing any more: kinds no other owner awaits go back to metadata
   * only (the full copies of every managed object of that kind were memory held for nobody). The
   * full informer serves until the metadata-only one has listed.
   */
  release(owner: string): void {
    for (const [key, owners] of this.#awaiting) {
      if (!owners.delete(owner) || owners.size) continue;
      this.#awaiting.delete(key);
      if (!this.#becomesFull(key)) continue;
      const slash = key.lastIndexOf('/');
      this.#replace(key, key.slice(0, slash), key.slice(slash + 1), false);
    }
  }

  /** Whether the kind is, or is about to be, held in full. */
  #becomesFull(key: string): boolean {
    const pending = this.#replacing.get(key);
    return pending ? pending.full : this.#full.has(key);
  }

  #replace(key: string, apiVersion: string, kind: string, full: boolean): void {
    const pending = this.#replacing.get(key);
    pending?.inf.stop();
    this.#replacing.delete(key);
    if (this.#full.has(key) === full) return; // a pending change undone: the serving one is right
    const inf = this.#start(key, apiVersion, kind, full);
    this.#replacing.set(key, { inf, full });
  }

  #start(key: string, apiVersion: string, kind: string, full: boolean): WatchInformer {
    const inf = this.#make(this.#client, {
      apiVersion,
      kind,
      labelSelector: `${MANAGED_BY_LABEL}=${MANAGED_BY_VALUE}`,
      metadataOnly: !full,
      // A metadata-only cache answers resourceVersion() and, for a deletion a relist finds, the
      // owner: nothing else of its objects is read after their event.
      ...(full ? {} : { keep: slimMetadata }),
    });
    inf.on('event', (ev) => {
      if (ev.type === 'synced' && this.#replacing.get(key)?.inf === inf) {
        // The replacement has listed: it takes over from the one serving.
        this.#replacing.delete(key);
        this.#informers.get(key)?.stop();
        this.#informers.set(key, inf);
        if (full) this.#full.add(key);
        else this.#full.delete(key);
        return;
      }
      if (this.#informers.get(key) !== inf) return; // not serving (yet, or any more)
      if (ev.type === 'modified' || ev.type === 'deleted' || ev.type === 'added') {
        const owner = ev.object.metadata.annotations?.[OWNER_ANNOTATION];
        if (!owner) return;
        if (ev.type === 'deleted') this.#onChange(owner, 'deleted');
        else this.#onChange(owner, ev.type === 'modified' && foreignWrite(ev.object) ? 'drift' : 'moved');
      }
    });
    inf.start();
    return inf;
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

  /** Kinds held in full now. */
  get fullKinds(): string[] {
    return [...this.#full];
  }

  stop(): void {
    for (const i of this.#informers.values()) i.stop();
    for (const r of this.#replacing.values()) r.inf.stop();
    this.#informers.clear();
    this.#full.clear();
    this.#replacing.clear();
    this.#awaiting.clear();
  }
}

/**
 * What a metadata-only watch keeps of a managed object: its identity, resourceVersion and owner.
 * The managedFields, labels and other annotations it came with were read by the event's handler
 * (foreignWrite) and are not needed again; at 1,000 apps they were tens of MiB.
 */
export function slimMetadata(o: KubeObject): KubeObject {
  const m = o.metadata;
  // Plain additions in one order, not spreads: objects so built share one hidden class (kube/slim).
  const metadata = identity(m);
  if (m.uid !== undefined) metadata.uid = m.uid;
  const owner = m.annotations?.[OWNER_ANNOTATION];
  // The owner's name is the same in each of its objects: one shared copy.
  if (owner !== undefined) metadata.annotations = { [OWNER_ANNOTATION]: intern(owner) };
  return { apiVersion: o.apiVersion, kind: o.kind, metadata };
}

/** Field managers of gitfleet's own writes (apply, delivery). */
const OWN_MANAGER = /^gitfleet(-|$)/u;

/**
 * Whether the newest write to `o` (its managedFields entry with the latest time) was made by a
 * field manager other than gitfleet's, to the object itself rather than its status: a hand edit,
 * a `kubectl apply`, another controller taking a field. A status write (a roll-out's progress) or
 * gitfleet's own apply echoing back is not. Entries carry seconds, so a write of the same second
 * counts when any entry of that second is foreign. A guess that only decides how soon the app looks
 * again: wrong either way, it costs one reconcile or a short wait.
 */
export function foreignWrite(o: KubeObject): boolean {
  const entries = o.metadata.managedFields ?? [];
  let newest = '';
  for (const e of entries) if (e.time && e.time > newest) newest = e.time;
  return entries.some((e) => e.time === newest && !e.subresource && !OWN_MANAGER.test(e.manager ?? ''));
}
