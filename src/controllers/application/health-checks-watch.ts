import type { ObjectRef } from '../../core/object-ref.js';
import type { KubeClient } from '../../kube/client.js';
import { Informer } from '../../kube/informer.js';
import type { KubeObject } from '../../kube/types.js';

/** What a watch knows of one object: nothing yet (not listed), or its state (absent included). */
export type Watched = { known: false } | { known: true; object: KubeObject | undefined };

/** The objects named by Applications' `spec.healthChecks` that a watch serves (health-config.ts). */
export interface HealthCheckObjects {
  lookup(ref: ObjectRef): Watched;
}

interface Entry {
  ref: ObjectRef;
  informer: Informer;
  owners: Set<string>;
}

/**
 * Watches, in one destination cluster and as one identity, the objects Applications name in
 * `spec.healthChecks` (outside any app, so the owned-objects watch, which selects gitfleet's label,
 * never sees them): one informer per named object (a field selector on its name), shared by every
 * app that names it. A change wakes those apps, so an app Progressing on such an object needs no
 * fast re-check, and its health is read from the cache instead of a GET per reconcile. It runs as
 * the identity the app reads with (the Project's ServiceAccount), so it reveals nothing that
 * identity may not read. Secrets are watched as metadata only: their data is never kept.
 */
export class HealthChecksWatch implements HealthCheckObjects {
  readonly #client: KubeClient;
  readonly #onChange: (owner: string) => void;
  readonly #entries = new Map<string, Entry>();
  readonly #byOwner = new Map<string, Set<string>>();

  constructor(client: KubeClient, onChange: (owner: string) => void) {
    this.#client = client;
    this.#onChange = onChange;
  }

  /** Makes `owner` watch exactly `refs`: informers start for new objects, stop when no app names them. */
  track(owner: string, refs: readonly ObjectRef[]): void {
    const wanted = new Set(refs.map(keyOf));
    const had = this.#byOwner.get(owner) ?? new Set<string>();
    for (const k of had) if (!wanted.has(k)) this.#release(owner, k);
    for (const ref of refs) {
      const k = keyOf(ref);
      let e = this.#entries.get(k);
      if (!e) {
        e = { ref, informer: this.#informerOf(ref, k), owners: new Set() };
        this.#entries.set(k, e);
        e.owners.add(owner);
        e.informer.start();
      } else e.owners.add(owner);
    }
    if (wanted.size) this.#byOwner.set(owner, wanted);
    else this.#byOwner.delete(owner);
  }

  /** The Application is gone: its objects are no longer watched for it. */
  forget(owner: string): void {
    this.track(owner, []);
  }

  /**
   * Whether every object `owner` names is listed, so a change of any of them will wake it (the
   * fallback re-check may then back off).
   */
  covers(owner: string): boolean {
    for (const k of this.#byOwner.get(owner) ?? []) if (!this.#entries.get(k)?.informer.synced) return false;
    return true;
  }

  lookup(ref: ObjectRef): Watched {
    const e = this.#entries.get(keyOf(ref));
    if (!e?.informer.synced || isSecret(ref)) return { known: false };
    return { known: true, object: e.informer.list().find((o) => o.metadata.name === ref.name) };
  }

  get size(): number {
    return this.#entries.size;
  }

  stop(): void {
    for (const e of this.#entries.values()) e.informer.stop();
    this.#entries.clear();
    this.#byOwner.clear();
  }

  #informerOf(ref: ObjectRef, k: string): Informer {
    const inf = new Informer(this.#client, {
      apiVersion: ref.apiVersion,
      kind: ref.kind,
      // Cluster-scoped kinds ignore it (KubeClient.collectionPath).
      ...(ref.namespace ? { namespace: ref.namespace } : {}),
      fieldSelector: `metadata.name=${ref.name}`,
      metadataOnly: isSecret(ref),
      dropManagedFields: true,
    });
    inf.on('event', (ev) => {
      if (ev.type !== 'added' && ev.type !== 'modified' && ev.type !== 'deleted') return;
      for (const owner of this.#entries.get(k)?.owners ?? []) this.#onChange(owner);
    });
    return inf;
  }

  #release(owner: string, k: string): void {
    const e = this.#entries.get(k);
    if (!e) return;
    e.owners.delete(owner);
    if (e.owners.size) return;
    e.informer.stop();
    this.#entries.delete(k);
  }
}

const isSecret = (ref: ObjectRef): boolean => ref.kind === 'Secret' && ref.apiVersion === 'v1';

function keyOf(ref: ObjectRef): string {
  return `${ref.apiVersion}/${ref.kind}/${ref.namespace ?? ''}/${ref.name}`;
}
