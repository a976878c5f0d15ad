import { deflateRawSync, inflateRawSync } from 'node:zlib';
/**
 * Render output cached by (Git object ids of every input, render parameters): a controller
 * re-renders an app only when something the renderer reads changed — not on every new commit of a
 * busy monorepo, and never missing a change to a kustomize base or a value file outside the app
 * path. Failures are cached under the same key, so a failing input is not re-run every poll.
 */
import { createHash } from 'node:crypto';

import type { Manifest } from '../manifest.js';
import { normaliseRelPath } from './confine.js';
import type { RenderSpec } from './spec.js';

/** Bumped when the renderer's output for the same inputs changes, so old entries stop matching. */
const RENDER_CACHE_VERSION = 3;

/**
 * A stable key for `spec` rendered from `inputs`: the Git object id of each input path
 * (renderInputs → path → tree/blob id), or one tree hash standing for all of them. `root` is not
 * part of the key: object ids identify the content wherever it is checked out. Parameters are normalised first, so `path: ''`/`'.'`/`'./'`, a default written out
 * (`recursive: false`, `include: []`) and object key order do not change the key; anything that
 * can change the output does. Throws PathEscapeError for an escaping path, as render would.
 */
export function renderCacheKey(
  spec: Omit<RenderSpec, 'root'> & Partial<Pick<RenderSpec, 'root'>>,
  inputs: string | Readonly<Record<string, string>>,
): string {
  const params = {
    v: RENDER_CACHE_VERSION,
    tree: inputs,
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
          parameters: spec.helm.parameters ?? [],
          fileParameters: spec.helm.fileParameters ?? [],
          ignoreMissingValueFiles: spec.helm.ignoreMissingValueFiles ?? false,
          skipCrds: spec.helm.skipCrds ?? false,
          skipTests: spec.helm.skipTests ?? false,
          skipSchemaValidation: spec.helm.skipSchemaValidation ?? false,
          apiVersions: spec.helm.apiVersions ?? [],
        }
      : null,
    // Every override changes the output; an empty object renders as none.
    kustomize: spec.kustomize && Object.keys(spec.kustomize).length ? spec.kustomize : null,
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
  /** Entries kept; the least recently used is evicted beyond it. Default 10,000. */
  maxEntries?: number;
  /**
   * Bytes of manifests (as deflated JSON) kept; the least recently used entries are evicted beyond
   * it. Default 64 MiB. A fleet's renders must fit: a cache smaller than the number of apps is
   * emptied by every round of polls, and each poll then runs the renderer again.
   */
  maxBytes?: number;
}

/** The input paths a render read and their object ids, as the cache key was made of them. */
export interface RenderedFrom {
  paths: readonly string[];
  ids: Readonly<Record<string, string>>;
}

/** What the cache holds for a key: the manifests, or the error the render failed with. */
export type RenderOutcome = { manifests: Manifest[] } | { error: Error };

/** Manifests as deflated JSON (an exact-size copy, not a slice of zlib's larger output buffer). */
type Stored = { packed: Uint8Array } | { error: Error };

/**
 * A small in-memory LRU of render results and failures. Manifests are kept as deflated JSON, which
 * is compact (a fleet's renders are held for as long as its apps live: as plain JSON they were
 * 1.9 MiB of the hub's heap at 500 small apps, deflated about a fifth of that, outside the heap)
 * and hands out a fresh copy on every read, so a later stage that stamps labels onto a manifest
 * cannot corrupt the cached copy (or another app's result). `get` of a missing key
 * returns undefined; an empty render ([]) is cached like any other.
 *
 * It also remembers which repository paths a render of given parameters read from given content
 * (`inputsOf`): a poll of an unchanged commit then skips re-reading the kustomizations and value
 * files that determine them.
 */
export class RenderCache {
  readonly #max: number;
  readonly #maxBytes: number;
  #bytes = 0;
  readonly #entries = new Map<string, Stored>();
  readonly #inputs = new Map<string, readonly string[]>();
  readonly #lineage = new Map<string, RenderedFrom>();

  constructor(opts: RenderCacheOptions = {}) {
    const max = opts.maxEntries ?? 10_000;
    if (!Number.isInteger(max) || max < 1)
      throw new RangeError(`maxEntries must be a positive integer, got ${max}`);
    const maxBytes = opts.maxBytes ?? 64 * 1024 * 1024;
    if (!Number.isInteger(maxBytes) || maxBytes < 1)
      throw new RangeError(`maxBytes must be a positive integer, got ${maxBytes}`);
    this.#max = max;
    this.#maxBytes = maxBytes;
  }

  /** The cached manifests for `key` (a fresh copy), or undefined (also for a cached failure). */
  get(key: string): Manifest[] | undefined {
    const hit = this.lookup(key);
    return hit && 'manifests' in hit ? hit.manifests : undefined;
  }

  /** The cached outcome for `key` (manifests as a fresh copy), marking the entry most recently used. */
  lookup(key: string): RenderOutcome | undefined {
    const hit = this.#entries.get(key);
    if (hit === undefined) return undefined;
    this.#entries.delete(key);
    this.#entries.set(key, hit);
    return 'packed' in hit ? { manifests: unpack(hit.packed) } : hit;
  }

  /** Stores a copy of `manifests` under `key`, evicting the least recently used entries when full. */
  set(key: string, manifests: readonly Manifest[]): void {
    this.#put(key, { packed: pack(manifests) });
  }

  /** Remembers that rendering the inputs of `key` failed with `error`. */
  setFailure(key: string, error: Error): void {
    this.#put(key, { error });
  }

  /** The input paths remembered for `memo` (see `setInputs`), or undefined. */
  inputsOf(memo: string): readonly string[] | undefined {
    return this.#inputs.get(memo);
  }

  /**
   * Remembers the input paths a render read, under `memo`: the render's parameters and the
   * identity of the content it read them from. Bounded like the entries; it starts over when full
   * (a forgotten memo costs one re-read, never a wrong answer).
   */
  setInputs(memo: string, paths: readonly string[]): void {
    if (this.#inputs.size >= this.#max) this.#inputs.clear();
    this.#inputs.set(memo, [...paths]);
  }

  /** What the last render under `lineage` read (see `setLineage`), or undefined. */
  lineageOf(lineage: string): RenderedFrom | undefined {
    return this.#lineage.get(lineage);
  }

  /**
   * Remembers the input paths and their object ids of the last render of given parameters from a
   * content's history (a repository, whatever its commit): a later commit whose objects at those
   * paths are the same renders the same, with no file read (renderFromLineage). Bounded like the
   * entries; it starts over when full.
   */
  setLineage(lineage: string, from: RenderedFrom): void {
    if (this.#lineage.size >= this.#max) this.#lineage.clear();
    this.#lineage.set(lineage, { paths: [...from.paths], ids: { ...from.ids } });
  }

  #put(key: string, outcome: Stored): void {
    this.#drop(key);
    this.#entries.set(key, outcome);
    this.#bytes += sizeOf(outcome);
    while (this.#entries.size > this.#max || (this.#bytes > this.#maxBytes && this.#entries.size > 1)) {
      const oldest = this.#entries.keys().next();
      if (oldest.done) break;
      this.#drop(oldest.value);
    }
  }

  #drop(key: string): void {
    const old = this.#entries.get(key);
    if (old === undefined) return;
    this.#bytes -= sizeOf(old);
    this.#entries.delete(key);
  }

  /** Number of entries held. */
  get size(): number {
    return this.#entries.size;
  }

  /** Bytes of manifests held (deflated JSON). */
  get bytes(): number {
    return this.#bytes;
  }
}

function sizeOf(s: Stored): number {
  return 'packed' in s ? s.packed.byteLength : 256;
}

function pack(manifests: readonly Manifest[]): Uint8Array {
  // Level 1: renders are stored on every change and read on every poll; speed over the last bytes.
  return Uint8Array.prototype.slice.call(deflateRawSync(JSON.stringify(manifests), { level: 1 }));
}

function unpack(packed: Uint8Array): Manifest[] {
  return JSON.parse(inflateRawSync(packed).toString('utf8')) as Manifest[];
}
