/**
 * Render output cached by (tree hash of the inputs, render parameters): a controller re-renders an
 * app only when its inputs changed, not on every new commit of a busy monorepo.
 */
import { createHash } from 'node:crypto';

import type { Manifest } from '../manifest.js';
import { normaliseRelPath } from './confine.js';
import type { RenderSpec } from './spec.js';

/** Bumped when the renderer's output for the same inputs changes, so old entries stop matching. */
const RENDER_CACHE_VERSION = 1;

/**
 * A stable key for `spec` rendered from inputs with tree hash `inputsTreeHash` (the caller computes
 * it with git). `root` is not part of the key: the tree hash identifies the content wherever it is
 * checked out. Parameters are normalised first, so `path: ''`/`'.'`/`'./'`, a default written out
 * (`recursive: false`, `include: []`) and object key order do not change the key; anything that
 * can change the output does. Throws PathEscapeError for an escaping path, as render would.
 */
export function renderCacheKey(spec: RenderSpec, inputsTreeHash: string): string {
  const params = {
    v: RENDER_CACHE_VERSION,
    tree: inputsTreeHash,
    path: normaliseRelPath(spec.path, 'app path'),
    type: spec.type ?? null,
    directory: spec.directory
      ? {
          recursive: spec.directory.recursive ?? false,
          include: spec.directory.include ?? [],
          exclude: spec.directory.exclude ?? [],
        }
      : null,
    helm: spec.helm
      ? {
          releaseName: spec.helm.releaseName ?? null,
          namespace: spec.helm.namespace ?? null,
          valueFiles: spec.helm.valueFiles ?? [],
          values: spec.helm.values ?? null,
          valuesObject: spec.helm.valuesObject ?? null,
          kubeVersion: spec.helm.kubeVersion ?? null,
        }
      : null,
  };
  return createHash('sha256').update(canonicalJson(params)).digest('hex');
}

/** JSON with object keys sorted at every depth; `undefined` members are dropped as JSON.stringify does. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return v;
    const entries: [string, unknown][] = Object.entries(v);
    return Object.fromEntries(entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  });
}

/** RenderCache options. */
export interface RenderCacheOptions {
  /** Entries kept; the least recently used is evicted beyond it. Default 64. */
  maxEntries?: number;
}

/**
 * A small in-memory LRU of render results. Entries are deep-copied in and out, so a later stage that
 * stamps labels onto a manifest cannot corrupt the cached copy (or another app's result). `get` of
 * a missing key returns undefined; an empty render ([]) is cached like any other.
 */
export class RenderCache {
  readonly #max: number;
  readonly #entries = new Map<string, Manifest[]>();

  constructor(opts: RenderCacheOptions = {}) {
    const max = opts.maxEntries ?? 64;
    if (!Number.isInteger(max) || max < 1)
      throw new RangeError(`maxEntries must be a positive integer, got ${max}`);
    this.#max = max;
  }

  /** The cached manifests for `key` (a fresh copy), marking the entry most recently used. */
  get(key: string): Manifest[] | undefined {
    const hit = this.#entries.get(key);
    if (hit === undefined) return undefined;
    this.#entries.delete(key);
    this.#entries.set(key, hit);
    return structuredClone(hit);
  }

  /** Stores a copy of `manifests` under `key`, evicting the least recently used entry when full. */
  set(key: string, manifests: readonly Manifest[]): void {
    this.#entries.delete(key);
    this.#entries.set(key, structuredClone([...manifests]));
    while (this.#entries.size > this.#max) {
      const oldest = this.#entries.keys().next();
      if (oldest.done) break;
      this.#entries.delete(oldest.value);
    }
  }

  /** Number of entries held. */
  get size(): number {
    return this.#entries.size;
  }
}
