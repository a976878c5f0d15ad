import { createHash } from 'node:crypto';
import { intern, internStrings } from '../../core/intern.js';
import { OWNER_ANNOTATION } from '../plan/ownership.js';
import type { ObjectRef } from '../../core/object-ref.js';
import type { KubeObject } from '../../kube/types.js';
import type { IgnoreRule } from '../diff/diff.js';
import { groupKindOf, type AssessHealthOptions } from '../health/index.js';

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
  /**
   * The health checks a remembered object will be assessed by: a ConfigMap is kept with its values
   * when a custom check reads its kind. Not part of the digest (it decides what is kept, not
   * whether the object compares equal).
   */
  health?: AssessHealthOptions;
}

interface Entry {
  digest: string;
  resourceVersion: string;
  live: KubeObject;
}

/** Bounds memory: one entry per managed object; beyond this the least recently written owner is forgotten. */
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
  /**
   * By owner, then object key: no key joining the two is held per object (they were a tenth of
   * the memo's memory at 500 apps), and an owner is forgotten in one step.
   */
  readonly #owners = new Map<string, Map<string, Entry>>();
  #size = 0;

  static digest(inputs: MemoInputs): string {
    // base64, not hex: one is held per managed object (44 characters instead of 64).
    return createHash('sha256')
      .update(JSON.stringify([inputs.object, inputs.ignore, inputs.takeover]))
      .digest('base64');
  }

  #entry(owner: string, key: string): Entry | undefined {
    return this.#owners.get(owner)?.get(key);
  }

  /** The remembered live object when nothing changed since it compared equal, else undefined. */
  lookup(owner: string, key: string, inputs: MemoInputs, cached: string | undefined): KubeObject | undefined {
    if (!cached) return undefined;
    const e = this.#entry(owner, key);
    if (!e || e.resourceVersion !== cached || e.digest !== CompareMemo.digest(inputs)) return undefined;
    return e.live;
  }

  /** Records that `live` equals what `inputs` desire (a dry-run found no change, or it is the apply's answer). */
  remember(owner: string, key: string, inputs: MemoInputs, live: KubeObject): void {
    const rv = live.metadata.resourceVersion;
    if (!rv) return;
    let entries = this.#owners.get(owner);
    if (entries)
      this.#owners.delete(owner); // re-inserted below: the map's order is the owners' last writes
    else entries = new Map();
    this.#owners.set(owner, entries);
    if (!entries.has(key) && this.#size >= MAX_ENTRIES) this.#evictOldest(owner);
    if (!entries.has(key)) this.#size++;
    entries.set(key, {
      digest: CompareMemo.digest(inputs),
      resourceVersion: rv,
      live: kept(live, inputs.health),
    });
  }

  /** Forgets the owner written longest ago (not `keep`): its next comparison dry-runs again. */
  #evictOldest(keep: string): void {
    for (const owner of this.#owners.keys()) {
      if (owner === keep) continue;
      this.forgetOwner(owner);
      return;
    }
  }

  /**
   * The live object last found equal to exactly these inputs, whatever its resourceVersion is now
   * (undefined if none, or if what is desired changed since): the baseline `onlyStatusMoved` needs.
   */
  rememberedFor(owner: string, key: string, inputs: MemoInputs): KubeObject | undefined {
    const e = this.#entry(owner, key);
    return e && e.digest === CompareMemo.digest(inputs) ? e.live : undefined;
  }

  /** The live object last remembered for it, whatever has changed since (undefined if none). */
  known(owner: string, key: string): KubeObject | undefined {
    return this.#entry(owner, key)?.live;
  }

  forget(owner: string, key: string): void {
    const entries = this.#owners.get(owner);
    if (!entries?.delete(key)) return;
    this.#size--;
    if (entries.size === 0) this.#owners.delete(owner);
  }

  /** Drops everything remembered for an owner (its Application is gone). */
  forgetOwner(owner: string): void {
    const entries = this.#owners.get(owner);
    if (!entries) return;
    this.#size -= entries.size;
    this.#owners.delete(owner);
  }

  get size(): number {
    return this.#size;
  }
}

/**
 * What is kept of a live object found equal. Neither Secret nor ConfigMap values are kept in
 * memory longer than a reconcile: built-in health needs none of them (a ConfigMap's are kept when
 * a custom check reads its kind), and an object with a payload is
 * never judged by `onlyStatusMoved` (it has no generation), so it is compared when it changes.
 * Nor are managedFields: a remembered object is read for its health, uid, generation and declared
 * metadata (onlyStatusMoved), never diffed, and its managedFields were about a third of the memo's
 * memory (every object of every app). ConfigMap payloads were a sixth of what was left.
 */
function kept(live: KubeObject, health: AssessHealthOptions | undefined): KubeObject {
  const { managedFields: _m, ...metadata } = live.metadata;
  const owner = metadata.annotations?.[OWNER_ANNOTATION];
  // Every object of an app names its owner: one shared copy (annotations are not interned whole).
  if (owner !== undefined)
    metadata.annotations = { ...metadata.annotations, [OWNER_ANNOTATION]: intern(owner) };
  const slim = internStrings({ ...live, metadata } as KubeObject);
  if (!PAYLOAD_KINDS.has(live.kind) || live.apiVersion !== 'v1') return slim;
  // A custom check for ConfigMaps may read their values (a Secret's are never kept: no check may
  // make the hub hold them).
  if (live.kind === 'ConfigMap' && health?.overrides?.has(groupKindOf(live))) return slim;
  const {
    data: _d,
    stringData: _s,
    binaryData: _b,
    ...rest
  } = slim as KubeObject & { data?: unknown; stringData?: unknown; binaryData?: unknown };
  return rest as KubeObject;
}

/** Core kinds whose payload is values, not state: Secret and ConfigMap. */
const PAYLOAD_KINDS = new Set(['Secret', 'ConfigMap']);
