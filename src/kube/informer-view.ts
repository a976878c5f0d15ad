import type { InformerEvent } from './informer.js';
import type { KubeObject } from './types.js';

/** What readers of a watched collection use: an Informer, or a view of one. */
export interface ObjectCache<T extends KubeObject> {
  readonly synced: boolean;
  list(): T[];
  get(namespace: string | undefined, name: string): T | undefined;
  on(event: 'event', listener: (ev: InformerEvent<T>) => void): unknown;
  off(event: 'event', listener: (ev: InformerEvent<T>) => void): unknown;
  start(): void;
  stop(): void;
}

type Listener<T extends KubeObject> = (ev: InformerEvent<T>) => void;

/**
 * One namespace of an informer over every namespace: a hub whose controller is confined to one
 * namespace while its API serves Applications of all holds one cache of them, not two (each copy
 * was about 2.7 MiB at 500 apps). Events of other namespaces are not passed on; `synced` and errors
 * are. `start` starts the informer (idempotent); `stop` leaves it running, since its owner, who
 * shares it, ends it.
 */
export class NamespaceView<T extends KubeObject> implements ObjectCache<T> {
  readonly #inner: ObjectCache<T>;
  readonly #namespace: string;
  readonly #wrapped = new Map<Listener<T>, Listener<T>>();

  constructor(inner: ObjectCache<T>, namespace: string) {
    this.#inner = inner;
    this.#namespace = namespace;
  }

  get synced(): boolean {
    return this.#inner.synced;
  }

  list(): T[] {
    return this.#inner.list().filter((o) => o.metadata.namespace === this.#namespace);
  }

  get(namespace: string | undefined, name: string): T | undefined {
    return namespace === this.#namespace ? this.#inner.get(namespace, name) : undefined;
  }

  on(_event: 'event', listener: Listener<T>): this {
    if (this.#wrapped.has(listener)) return this;
    const filtered: Listener<T> = (ev) => {
      if ('object' in ev && ev.object.metadata.namespace !== this.#namespace) return;
      listener(ev);
    };
    this.#wrapped.set(listener, filtered);
    this.#inner.on('event', filtered);
    return this;
  }

  off(_event: 'event', listener: Listener<T>): this {
    const filtered = this.#wrapped.get(listener);
    if (filtered) this.#inner.off('event', filtered);
    this.#wrapped.delete(listener);
    return this;
  }

  start(): void {
    this.#inner.start();
  }

  stop(): void {
    // The shared informer's owner stops it.
  }
}
