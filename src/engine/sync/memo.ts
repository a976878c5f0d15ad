import { createHash } from 'node:crypto';
import { intern, internStrings } from '../../core/intern.js';
import { OWNER_ANNOTATION } from '../plan/ownership.js';
import type { ObjectRef } from '../../core/object-ref.js';
import type { KubeObject } from '../../kube/types.js';
import type { IgnoreRule } from '../diff/diff.js';

/**
 * The resourceVersion a watch cache holds for an object (undefined when it holds none: not
 * watched, not synced yet, or absent). The owned-objects watch is one.
 */
export interface LiveVersions {
  resourceVersion(ref: ObjectRef): string | undefined;
  /**
   * The whole object, when the watch holds its kind in full (the kinds an operation awaits) and has
   * listed; undefined otherwise. Read instead of a GET by a running operation's comparison.
   */
  object?(ref: ObjectRef): KubeObject | undefined;
}

/** What decides a comparison's outcome besides the live object. */
export interface MemoInputs {
  object: KubeObject;
  ignore: IgnoreRule[];
  takeover: boolean;
}

interface Entry {
  digest: string;
  resourceVersion: string;
  live: KubeObject;
}

/** Bounds memory: one entry per managed object; beyond this the oldest are forgotten. */
const MAX_ENTRIES = 100_000;

/**
 * Remembers, per owner and object, the last comparison that found the desired object and the live
 * one equal: the digest of what was desired and the live resourceVersion. While both are the same
 * (the resourceVersion read from a watch cache, so no request), a new server-side dry-run would
 * find them equal again, so it is skipped. A resourceVersion changes on every write, status
 * included, so the remembered live object is still exact (health is assessed on it). A cache that
 * lags behind a hand edit only delays its detection until the watch event that also requeues
 * the Application.
 */
export class CompareMemo {
  readonly #entries = new Map<string, Entry>();

  static digest(inputs: MemoInputs): string {
    // base64, not hex: one is held per managed object (44 characters instead of 64).
    return createHash('sha256')
      .update(JSON.stringify([inputs.object, inputs.ignore, inputs.takeover]))
      .digest('base64');
  }

  /** The remembered live object when nothing changed since it compared equal, else undefined. */
  lookup(owner: string, key: string, inputs: MemoInputs, cached: string | undefined): KubeObject | undefined {
    if (!cached) return undefined;
    const e = this.#entries.get(`${owner}\n${key}`);
    if (!e || e.resourceVersion !== cached || e.digest !== CompareMemo.digest(inputs)) return undefined;
    return e.live;
  }

  /** Records that `live` equals what `inputs` desire (a dry-run found no change, or it is the apply's answer). */
  remember(owner: string, key: string, inputs: MemoInputs, live: KubeObject): void {
    const rv = live.metadata.resourceVersion;
    if (!rv) return;
    const k = `${owner}\n${key}`;
    this.#entries.delete(k);
    if (this.#entries.size >= MAX_ENTRIES) {
      const oldest = this.#entries.keys().next();
      if (!oldest.done) this.#entries.delete(oldest.value);
    }
    this.#entries.set(k, {
      digest: CompareMemo.digest(inputs),
      resourceVersion: rv,
      live: kept(live),
    });
  }

  /**
   * The live object last found equal to exactly these inputs, whatever its resourceVersion is now
   * (undefined if none, or if what is desired changed since): the baseline `onlyStatusMoved` needs.
   */
  rememberedFor(owner: string, key: string, inputs: MemoInputs): KubeObject | undefined {
    const e = this.#entries.get(`${owner}\n${key}`);
    return e && e.digest === CompareMemo.digest(inputs) ? e.live : undefined;
  }

  /** The live object last remembered for it, whatever has changed since (undefined if none). */
  known(owner: string, key: string): KubeObject | undefined {
    return this.#entries.get(`${owner}\n${key}`)?.live;
  }

  forget(owner: string, key: string): void {
    this.#entries.delete(`${owner}\n${key}`);
  }

  /** Drops everything remembered for an owner (its Application is gone). */
  forgetOwner(owner: string): void {
    for (const k of this.#entries.keys()) if (k.startsWith(`${owner}\n`)) this.#entries.delete(k);
  }

  get size(): number {
    return this.#entries.size;
  }
}

/**
 * What is kept of a live object found equal. Secret values are not kept in memory longer than a
 * reconcile: health needs none of them. Nor are managedFields: a remembered object is read for its
 * health, uid, generation and declared metadata (onlyStatusMoved), never diffed, and its
 * managedFields were about a third of the memo's memory (every object of every app).
 */
function kept(live: KubeObject): KubeObject {
  const { managedFields: _m, ...metadata } = live.metadata;
  const owner = metadata.annotations?.[OWNER_ANNOTATION];
  // Every object of an app names its owner: one shared copy (annotations are not interned whole).
  if (owner !== undefined)
    metadata.annotations = { ...metadata.annotations, [OWNER_ANNOTATION]: intern(owner) };
  const slim = internStrings({ ...live, metadata } as KubeObject);
  if (live.kind !== 'Secret' || live.apiVersion !== 'v1') return slim;
  const { data: _d, stringData: _s, ...rest } = slim as KubeObject & { data?: unknown; stringData?: unknown };
  return rest as KubeObject;
}
