import type { KubeClient } from './client.js';
import { Informer } from './informer.js';
import { versionOnly } from './slim.js';

/**
 * What a controller derived from objects it read (decoded credentials, an inventory), kept with
 * the resourceVersion it was read at, and served again only while a metadata-only watch of those
 * objects says that version is still the stored one. A poll of an unchanged object then sends no
 * request; any write by anyone changes the version and the next read goes to the API server.
 * Until a namespace's watch has listed, and for an object it does not hold, nothing is served.
 * The watch carries metadata only: a watched Secret's data never reaches this process through it.
 */
export class VersionedReads<V> {
  readonly #client: KubeClient;
  readonly #what: { apiVersion: string; kind: string; labelSelector?: string; maxObjects?: number };
  readonly #clone: (v: V) => V;
  /** Namespace → its metadata-only watch, started at the first read there. */
  readonly #watches = new Map<string, Informer>();
  readonly #known = new Map<string, { resourceVersion: string; value: V }>();
  #stopped = false;

  constructor(
    client: KubeClient,
    /** `maxObjects`: a namespace holding more is not watched (Informer), its reads all go through. */
    what: { apiVersion: string; kind: string; labelSelector?: string; maxObjects?: number },
    /** Copies a value handed out, so a caller's edit cannot change what is kept. */
    clone: (v: V) => V = structuredClone,
  ) {
    this.#client = client;
    this.#what = what;
    this.#clone = clone;
  }

  /** The value kept for `namespace/name`, if the watch says its version is the stored one. */
  get(namespace: string, name: string): V | undefined {
    const watch = this.#watch(namespace);
    const known = this.#known.get(`${namespace}/${name}`);
    if (!known || !watch?.synced) return undefined;
    const stored = watch.get(namespace, name);
    return stored?.metadata.resourceVersion === known.resourceVersion ? this.#clone(known.value) : undefined;
  }

  /** Keeps `value` as derived from `namespace/name` at `resourceVersion` (none: forgets it). */
  set(namespace: string, name: string, resourceVersion: string | undefined, value: V): void {
    if (resourceVersion)
      this.#known.set(`${namespace}/${name}`, { resourceVersion, value: this.#clone(value) });
    else this.forget(namespace, name);
  }

  /** Objects the watch of `namespace` holds (0 when it gave up or has not listed). */
  held(namespace: string): number {
    return this.#watches.get(namespace)?.list().length ?? 0;
  }

  forget(namespace: string, name: string): void {
    this.#known.delete(`${namespace}/${name}`);
  }

  stop(): void {
    this.#stopped = true;
    for (const w of this.#watches.values()) w.stop();
    this.#watches.clear();
  }

  #watch(namespace: string): Informer | undefined {
    if (this.#stopped) return undefined;
    let w = this.#watches.get(namespace);
    if (!w) {
      w = new Informer(this.#client, {
        ...this.#what,
        namespace,
        metadataOnly: true,
        // Only the version is read: managedFields and the rest of the metadata were most of what
        // this watch held (about 1 KiB per inventory).
        keep: versionOnly,
      });
      this.#watches.set(namespace, w);
      w.start();
    }
    return w;
  }
}
