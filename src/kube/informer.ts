import { EventEmitter } from 'node:events';
import { internStrings } from '../core/intern.js';
import { sleep } from '../core/sleep.js';
import type { KubeClient } from './client.js';
import { KubeApiError } from './errors.js';
import type { KubeList, KubeObject } from './types.js';
import { withoutManagedFields } from './slim.js';

export interface InformerOptions {
  apiVersion: string;
  kind: string;
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Ask for metadata only (PartialObjectMetadata): enough to see that something changed, far less memory. */
  metadataOnly?: boolean;
  /**
   * Drop metadata.managedFields from cached objects: on objects whose status is written often
   * they are often larger than the object itself, and readers of a cache seldom need them.
   */
  dropManagedFields?: boolean;
  /**
   * What the cache keeps of each object, when less than the whole is needed later (events still
   * carry the object as it came, except a deletion found by a relist, which carries the kept copy).
   * A fleet's watches hold tens of thousands of objects: their managedFields, labels and
   * annotations were most of the hub's memory per app.
   */
  keep?: (obj: KubeObject) => KubeObject;
  /** Relist after this long even without errors, with ±10% jitter; default 10 minutes. */
  resyncMs?: number;
  /**
   * At most this many objects are held: a collection that grows past it (a tenant's namespace
   * filled with objects) stops the informer for good, emptied and never synced, and `oversized`
   * says so; callers then read what they need directly. Default: no bound.
   */
  maxObjects?: number;
}

/** The collection outgrew `maxObjects`. */
class OversizedError extends Error {}

export type InformerEvent<T extends KubeObject = KubeObject> =
  | { type: 'added' | 'modified' | 'deleted'; object: T }
  | { type: 'synced' }
  | { type: 'error'; error: unknown };

const META_ACCEPT = 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json';
/** The first retry after a failed list or watch; doubled after each failure, up to 30 s. */
const INITIAL_BACKOFF_MS = 100;
const META_ACCEPT_WATCH = 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json';

/**
 * List-then-watch over one kind with a cache keyed by namespace/name. Supervises itself: relists
 * on 410 Gone, on stream end and periodically, backing off on errors; callers only listen.
 * `start()` begins the loop; `stop()` aborts it. Nothing runs in the constructor. `T` is the
 * kind's type: the caller names it once (the API server answers with that kind, or with its
 * metadata when `metadataOnly`, in which case `T` should stay a KubeObject).
 */
export class Informer<T extends KubeObject = KubeObject> extends EventEmitter<{ event: [InformerEvent<T>] }> {
  readonly #client: KubeClient;
  readonly #opts: InformerOptions;
  readonly #cache = new Map<string, T>();
  #abort: AbortController | undefined;
  #synced = false;
  #oversized = false;

  constructor(client: KubeClient, opts: InformerOptions) {
    super();
    this.#client = client;
    this.#opts = opts;
  }

  /** The collection outgrew `maxObjects`: this informer stopped and holds nothing. */
  get oversized(): boolean {
    return this.#oversized;
  }

  get synced(): boolean {
    return this.#synced;
  }

  list(): T[] {
    return [...this.#cache.values()];
  }

  get(namespace: string | undefined, name: string): T | undefined {
    return this.#cache.get(`${namespace ?? ''}/${name}`);
  }

  start(): void {
    if (this.#abort) return;
    this.#abort = new AbortController();
    void this.#run(this.#abort.signal).catch((e: unknown) => this.emit('event', { type: 'error', error: e }));
  }

  stop(): void {
    this.#abort?.abort();
    this.#abort = undefined;
  }

  async #run(signal: AbortSignal): Promise<void> {
    // Failures back off, except a new kind's storage initializing (RetryDelay).
    const retry = new RetryDelay();
    while (!signal.aborted) {
      try {
        const rv = await this.#relist(signal);
        retry.reset();
        await this.#watch(rv, signal);
      } catch (e) {
        if (signal.aborted) return;
        if (e instanceof OversizedError) {
          this.#oversized = true;
          this.#synced = false;
          this.#cache.clear();
          this.emit('event', { type: 'error', error: e });
          return;
        }
        this.emit('event', { type: 'error', error: e });
        await sleep(retry.next(e), signal);
      }
    }
  }

  async #relist(signal: AbortSignal): Promise<string | undefined> {
    const path = await this.#client.collectionPath(
      this.#opts.apiVersion,
      this.#opts.kind,
      this.#opts.namespace,
      signal,
    );
    const list = await this.#client.request<KubeList<T>>({
      method: 'GET',
      path,
      query: {
        labelSelector: this.#opts.labelSelector,
        fieldSelector: this.#opts.fieldSelector,
        // A continue token in the answer says the collection holds more than the bound.
        limit: this.#opts.maxObjects,
      },
      signal,
      headers: this.#opts.metadataOnly ? { Accept: META_ACCEPT } : undefined,
    });
    if (this.#opts.maxObjects !== undefined && list.metadata.continue)
      throw new OversizedError(`more than ${this.#opts.maxObjects} ${this.#opts.kind} objects`);
    const fresh = new Map<string, T>();
    // An empty PartialObjectMetadataList comes with `items: null`.
    for (const item of list.items ?? []) fresh.set(key(item), this.#withKind(item));
    for (const [k, old] of this.#cache)
      if (!fresh.has(k)) this.emit('event', { type: 'deleted', object: old });
    for (const [k, obj] of fresh) {
      const old = this.#cache.get(k);
      if (!old) this.emit('event', { type: 'added', object: obj });
      else if (old.metadata.resourceVersion !== obj.metadata.resourceVersion)
        this.emit('event', { type: 'modified', object: obj });
    }
    this.#cache.clear();
    for (const [k, v] of fresh) this.#cache.set(k, this.#kept(v));
    if (!this.#synced) {
      this.#synced = true;
      this.emit('event', { type: 'synced' });
    }
    return list.metadata.resourceVersion;
  }

  async #watch(resourceVersion: string | undefined, signal: AbortSignal): Promise<void> {
    const path = await this.#client.collectionPath(
      this.#opts.apiVersion,
      this.#opts.kind,
      this.#opts.namespace,
      signal,
    );
    const resync = this.#opts.resyncMs ?? 600_000;
    const local = AbortSignal.any([
      signal,
      AbortSignal.timeout(Math.round(resync * (0.9 + Math.random() * 0.2))),
    ]);
    const events = this.#client.watch<T>(
      path,
      {
        labelSelector: this.#opts.labelSelector,
        fieldSelector: this.#opts.fieldSelector,
        resourceVersion,
        allowWatchBookmarks: true,
        timeoutSeconds: Math.round(resync / 1000),
      },
      local,
      this.#opts.metadataOnly ? { Accept: META_ACCEPT_WATCH } : undefined,
    );
    for await (const ev of events) {
      if (ev.type === 'ERROR') {
        const status = ev.object as unknown as { code?: number; message?: string };
        if (status.code === 410) return; // too old: relist
        throw new KubeApiError(`WATCH ${path}`, status.code ?? 500, undefined);
      }
      if (ev.type === 'BOOKMARK') continue;
      const obj = this.#withKind(ev.object);
      if (ev.type === 'DELETED') {
        this.#cache.delete(key(obj));
        this.emit('event', { type: 'deleted', object: obj });
      } else {
        this.#cache.set(key(obj), this.#kept(obj));
        if (this.#opts.maxObjects !== undefined && this.#cache.size > this.#opts.maxObjects)
          throw new OversizedError(`more than ${this.#opts.maxObjects} ${this.#opts.kind} objects`);
        this.emit('event', { type: ev.type === 'ADDED' ? 'added' : 'modified', object: obj });
      }
    }
  }

  /** What the cache holds of `obj`: its kept part, with repeated strings shared (core/intern). */
  #kept(obj: T): T {
    return internStrings(this.#opts.keep ? (this.#opts.keep(obj) as T) : obj);
  }

  /** Metadata-only answers say PartialObjectMetadata: restore the kind the informer is about. */
  #withKind(obj: T): T {
    if (this.#opts.dropManagedFields) obj = withoutManagedFields(obj);
    return obj.kind === this.#opts.kind
      ? obj
      : { ...obj, apiVersion: this.#opts.apiVersion, kind: this.#opts.kind };
  }
}

/** How long a new kind's storage may answer "initializing" before its retries back off as usual. */
const INITIALIZING_PATIENCE_MS = 10_000;
/** The retry while it does: it lasts about a second after a CRD is created. */
const INITIALIZING_RETRY_MS = 200;

/**
 * The wait before an informer's next list after a failure: doubling from 100 ms up to 30 s, except
 * while the API server says the kind's storage is (re)initializing, which a CRD created a moment
 * ago does for about a second (a hub started with --install-crds, or just after its chart): those
 * are retried every 200 ms for up to 10 s, so the cache is not a doubling step (up to 0.8 s) late.
 * Measured before (cold-trace, first run on a new cluster): the Clusters informer listed 1.9 s
 * after the hub started, and no app was looked at until it had.
 */
export class RetryDelay {
  #backoff = INITIAL_BACKOFF_MS;
  #initializingSince: number | undefined;

  next(error: unknown, now = Date.now()): number {
    if (storageInitializing(error)) {
      this.#initializingSince ??= now;
      if (now - this.#initializingSince < INITIALIZING_PATIENCE_MS) return INITIALIZING_RETRY_MS;
    }
    const wait = this.#backoff;
    this.#backoff = Math.min(this.#backoff * 2, 30_000);
    return wait;
  }

  reset(): void {
    this.#backoff = INITIAL_BACKOFF_MS;
    this.#initializingSince = undefined;
  }
}

function storageInitializing(e: unknown): boolean {
  return e instanceof KubeApiError && e.status === 503 && /storage is \(re\)initializing/u.test(e.message);
}

function key(o: KubeObject): string {
  return `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
}
