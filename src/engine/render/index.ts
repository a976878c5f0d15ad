/**
 * # Render stage
 *
 * Turns an app path of a checked-out Git tree into Kubernetes objects, each with its origin.
 *
 * 1. **Confine.** The app path must be relative and stay inside the root; every symlink on the way,
 *    and every symlink in what the renderer reads, must resolve inside the root (PathEscapeError).
 *    What it reads (inputs.ts): the app directory; for kustomize every kustomization reachable
 *    through resources/bases/components (remote entries refused: `render.RemoteResource`); for
 *    helm the chart directory and each value file. Symlinks elsewhere in a monorepo are not ours.
 * 2. **Detect.** kustomization.yaml|yml|Kustomization → kustomize, else Chart.yaml → helm, else
 *    directory, unless `spec.type` says otherwise.
 * 3. **Render.**
 *    - directory: sorted walk (optionally recursive) of .yaml/.yml/.json files, include/exclude
 *      globs, hidden entries and kustomization files skipped; origin = file and document line.
 *    - kustomize: `kustomize build` with plugins/exec off, root-only load restrictor, empty HOME;
 *      origin = the kustomization file and the object's line in kustomize's output.
 *    - helm: `helm template --include-crds` with empty helm homes and no dependency fetching;
 *      origin = the template named by `# Source:` (line 1), else Chart.yaml.
 *    Tools run from an argument array in which no value can be an option (argv.ts), with a
 *    timeout, an stdout cap, the caller's signal, rlimits and no network (sandbox.ts).
 * 4. **Parse.** Multi-document YAML, `*List` flattened, empty documents skipped; every object
 *    must have apiVersion, kind and metadata.name. Objects are plain JSON in written key order.
 *
 * An empty result is returned as [] — whether that is acceptable (allowEmpty) is the caller's call.
 * Failures are RenderError (file, line; codes `render.YamlSyntax`, `render.InvalidManifest`,
 * `render.ToolFailed`, `render.ToolMissing`, `render.Timeout`, `render.OutputTooLarge`,
 * `render.Aborted`, `render.HelmDependencyMissing`, `render.ResourceLimit`, `render.RemoteResource`,
 * `render.InvalidParameter`, `render.SandboxUnavailable`, `render.Unsupported` (a Jsonnet file),
 * `render.Failed`) or PathEscapeError.
 * Caching: renderCached keys by the object ids of every input (renderInputs) and remembers
 * failures, so a failing input is not re-run until it changes.
 */
import { join } from 'node:path';

import type { Manifest } from '../manifest.js';
import { statOrUndefined } from '../../core/read-within.js';
import { PathEscapeError, RenderError } from '../errors.js';
import type { RenderCache, RenderedFrom } from './cache.js';
import { renderCacheKey } from './cache.js';
import type { AppDir } from './confine.js';
import { realRoot, resolveAppDir } from './confine.js';
import { renderDirectory } from './directory.js';
import { throwIfAborted } from './exec.js';
import type { HelmInputs } from './helm.js';
import { InputSet } from './inputs.js';
import { findKustomization, kustomizeInputs, renderKustomize } from './kustomize.js';
import type { RenderOptions, RenderSpec, ResolvedRenderOptions } from './spec.js';
import { defaultRenderOptions } from './spec.js';

export { RenderCache, renderCacheKey } from './cache.js';
export type { RenderCacheOptions, RenderedFrom, RenderOutcome } from './cache.js';
export type { DirectoryOptions } from './directory.js';
export type { HelmOptions } from './helm.js';
export type { KustomizeOverrides } from './kustomize-overrides.js';
export { DEFAULT_RESOURCE_LIMITS } from './sandbox.js';
export type { ResourceLimits } from './sandbox.js';
export { defaultRenderOptions } from './spec.js';
export type { RenderOptions, RenderSpec, ResolvedRenderOptions } from './spec.js';

/** A render whose paths are resolved and confined and whose inputs are known; nothing has run yet. */
interface Prepared {
  rootReal: string;
  app: AppDir;
  type: NonNullable<RenderSpec['type']>;
  inputs: InputSet;
  helm?: HelmInputs;
}

/**
 * Renders `spec` into manifests in a deterministic order (directory: sorted files, then document
 * order; kustomize/helm: the tool's order). Throws PathEscapeError when a path or symlink the
 * renderer reads leaves the root, RenderError for everything else that fails (see the codes
 * above). Neither `spec` nor `opts` is modified.
 */
export async function render(spec: RenderSpec, opts: RenderOptions = {}): Promise<Manifest[]> {
  const o = defaultRenderOptions(opts);
  return run(spec, o, await prepare(spec, o));
}

/**
 * The repository paths (real, `/`-separated, '' = the whole repository) whose Git object ids
 * determine the output of `spec`: the app directory, every kustomization it reaches, the helm
 * value files, and the targets of symlinks in them. Performs the confinement checks of `render`.
 */
export async function renderInputs(spec: RenderSpec, opts: RenderOptions = {}): Promise<string[]> {
  return (await prepare(spec, defaultRenderOptions(opts))).inputs.paths();
}

/** How renderCached finds the render it already did. */
export interface RenderCacheAccess {
  cache: RenderCache;
  /**
   * The Git object id (tree or blob) of a repository path of the commit checked out at
   * `spec.root` — e.g. `(p) => sources.treeHash(url, sha, p)`.
   */
  objectId: (path: string) => Promise<string>;
  /**
   * What identifies the content at `spec.root` (e.g. the repository and commit), as named parts
   * (never joined into one string, where a tenant's URL could end like another's). Given, the input
   * paths found for these parameters are remembered under it, and a render of the same content
   * skips finding them again (reading kustomizations, charts and value files): what a poll of an
   * unchanged commit costs is then one cache lookup.
   */
  contentKey?: Readonly<Record<string, string>>;
  /**
   * What identifies the content's history without its revision (e.g. the repository alone), as
   * named parts. Given, the paths and object ids this render read are remembered under it, and
   * renderFromLineage answers a later revision whose objects at those paths are the same.
   */
  lineage?: Readonly<Record<string, string>>;
}

/** What the last successful render under `lineage` read, or undefined. */
export function renderedBefore(
  spec: Omit<RenderSpec, 'root'>,
  access: Pick<RenderCacheAccess, 'cache'> & { lineage: Readonly<Record<string, string>> },
): RenderedFrom | undefined {
  return access.cache.lineageOf(renderCacheKey(spec, access.lineage));
}

/**
 * The render of `spec` at a revision whose objects at every path `last` (renderedBefore) read are
 * the same as then, with no file read and no checkout: the same paths hold the same bytes, so the
 * renderer would find the same inputs and print the same output. `ids` are those paths' object ids.
 * Undefined when an object differs, a path is gone, or the cache no longer holds that render; a
 * remembered failure is thrown as renderCached would.
 */
export async function renderFromLineage(
  spec: Omit<RenderSpec, 'root'>,
  last: RenderedFrom,
  access: Pick<RenderCacheAccess, 'cache' | 'objectId'>,
): Promise<{ manifests: Manifest[]; ids: Record<string, string> } | undefined> {
  try {
    for (const p of last.paths) if ((await access.objectId(p)) !== last.ids[p]) return undefined;
  } catch {
    return undefined; // a path gone: the full render says what is wrong
  }
  const hit = access.cache.lookup(renderCacheKey(spec, last.ids));
  if (!hit) return undefined;
  if ('error' in hit) throw hit.error;
  return { manifests: hit.manifests, ids: { ...last.ids } };
}

/**
 * `render` through `access.cache`, keyed by the object ids of every input (renderInputs) and the
 * parameters. A failed render is remembered under the same key and thrown again without running
 * the tool until an input changes — a billion-laughs base is not re-run every poll. Failures that
 * say nothing about the input (cancelled, binary missing, no sandbox) are not remembered; path
 * checks run every time (they are cheap and spawn nothing).
 */
export async function renderCached(
  spec: RenderSpec,
  opts: RenderOptions,
  access: RenderCacheAccess,
): Promise<Manifest[]> {
  const o = defaultRenderOptions(opts);
  throwIfAborted(o.signal);
  // The same parameters over the same content read the same paths: found once, then remembered.
  // Only a prepare that succeeded is remembered, so its confinement checks passed on this content.
  const memo =
    access.contentKey !== undefined ? `inputs:${renderCacheKey(spec, access.contentKey)}` : undefined;
  let prepared: Prepared | undefined;
  let paths = memo ? access.cache.inputsOf(memo) : undefined;
  if (!paths) {
    prepared = await prepare(spec, o);
    paths = prepared.inputs.paths();
    if (memo) access.cache.setInputs(memo, paths);
  }
  const ids: Record<string, string> = {};
  for (const p of paths) ids[p] = await access.objectId(p);
  const key = renderCacheKey(spec, ids);
  // Only a render that succeeded is remembered for later revisions: its inputs were all there.
  const remember = (): void => {
    if (access.lineage) access.cache.setLineage(renderCacheKey(spec, access.lineage), { paths, ids });
  };
  const hit = access.cache.lookup(key);
  if (hit && 'error' in hit) throw hit.error;
  if (hit) {
    remember();
    return hit.manifests;
  }
  prepared ??= await prepare(spec, o);
  try {
    const manifests = await run(spec, o, prepared);
    access.cache.set(key, manifests);
    remember();
    return manifests;
  } catch (err) {
    if (isInputFailure(err)) access.cache.setFailure(key, err);
    throw err;
  }
}

/**
 * Failure codes caused by the environment, not the input: retried on the next poll. A wall-clock
 * timeout counts here because a loaded machine causes it as readily as the input does; an input
 * that really burns CPU is stopped by the CPU-time limit instead (`render.ResourceLimit`, cached).
 */
const ENVIRONMENT_FAILURES = new Set([
  'render.Aborted',
  'render.ToolMissing',
  'render.SandboxUnavailable',
  'render.Timeout',
]);

function isInputFailure(err: unknown): err is Error {
  if (err instanceof PathEscapeError) return true;
  return err instanceof RenderError && !ENVIRONMENT_FAILURES.has(err.code);
}

async function prepare(spec: RenderSpec, o: ResolvedRenderOptions): Promise<Prepared> {
  throwIfAborted(o.signal);
  const rootReal = await realRoot(spec.root);
  const app = await resolveAppDir(rootReal, spec.path);
  const type = spec.type ?? (await detectType(app.abs));
  switch (type) {
    case 'directory': {
      const inputs = new InputSet();
      await inputs.addDirectory(rootReal, app.abs, {
        recursive: spec.directory?.recursive ?? false,
        signal: o.signal,
      });
      return { rootReal, app, type, inputs };
    }
    case 'kustomize':
      return { rootReal, app, type, inputs: await kustomizeInputs(rootReal, app, o.signal, spec.kustomize) };
    case 'helm': {
      // Helm's renderer is loaded by the first chart: many hubs render none.
      const { helmInputs } = await import('./helm.js');
      const helm = await helmInputs(rootReal, app, spec.helm ?? {}, o.signal);
      return { rootReal, app, type, inputs: helm.inputs, helm };
    }
    default:
      throw new RenderError(`unknown render type '${String(type)}'`, { file: app.rel || '.' });
  }
}

async function run(spec: RenderSpec, o: ResolvedRenderOptions, p: Prepared): Promise<Manifest[]> {
  const limits = {
    timeoutMs: o.timeoutMs,
    maxOutputBytes: o.maxOutputBytes,
    signal: o.signal,
    resources: o.resources,
  };
  switch (p.type) {
    case 'directory':
      return renderDirectory(p.rootReal, p.app, spec.directory ?? {}, {
        maxBytes: o.maxOutputBytes,
        signal: o.signal,
      });
    case 'kustomize':
      return renderKustomize(
        p.rootReal,
        p.app,
        { ...limits, binary: o.kustomizeBinary, plain: o.kustomizePlain },
        p.inputs,
        spec.kustomize,
        o.helmBinary,
      );
    case 'helm': {
      const { renderHelm } = await import('./helm.js');
      return renderHelm(p.rootReal, p.app, spec.helm ?? {}, { ...limits, binary: o.helmBinary }, p.helm);
    }
  }
}

/** Argo CD's precedence: a kustomization wins over a Chart.yaml; neither means a plain directory. */
async function detectType(dirAbs: string): Promise<NonNullable<RenderSpec['type']>> {
  if (await findKustomization(dirAbs)) return 'kustomize';
  const chart = statOrUndefined(join(dirAbs, 'Chart.yaml'));
  return chart?.isFile() ? 'helm' : 'directory';
}
