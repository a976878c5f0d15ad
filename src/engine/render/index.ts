/**
 * # Render stage
 *
 * Turns an app path of a checked-out Git tree into Kubernetes objects, each with its origin.
 *
 * 1. **Confine.** The app path must be relative and stay inside the root; every symlink on the way,
 *    and every symlink the renderer can reach, must resolve inside the root (PathEscapeError).
 *    For kustomize and helm the whole repository is checked, since bases and subcharts can live
 *    anywhere in it; kustomize directory references (`resources: [../../x]`) are followed too.
 * 2. **Detect.** kustomization.yaml|yml|Kustomization → kustomize, else Chart.yaml → helm, else
 *    directory, unless `spec.type` says otherwise.
 * 3. **Render.**
 *    - directory: sorted walk (optionally recursive) of .yaml/.yml/.json files, include/exclude
 *      globs, hidden entries and kustomization files skipped; origin = file and document line.
 *    - kustomize: `kustomize build` with plugins/exec off, root-only load restrictor, empty HOME;
 *      origin = the kustomization file and the object's line in kustomize's output.
 *    - helm: `helm template --include-crds` with empty helm homes and no dependency fetching;
 *      origin = the template named by `# Source:` (line 1), else Chart.yaml.
 *    Tools run from an argument array with a timeout, an stdout cap and the caller's signal.
 * 4. **Parse.** Multi-document YAML, `*List` flattened, empty documents skipped; every object
 *    must have apiVersion, kind and metadata.name. Objects are plain JSON in written key order.
 *
 * An empty result is returned as [] — whether that is acceptable (allowEmpty) is the caller's call.
 * Failures are RenderError (file, line; codes `render.YamlSyntax`, `render.InvalidManifest`,
 * `render.ToolFailed`, `render.ToolMissing`, `render.Timeout`, `render.OutputTooLarge`,
 * `render.Aborted`, `render.HelmDependencyMissing`, `render.Failed`) or PathEscapeError.
 * Caching is the caller's: key = renderCacheKey(spec, tree hash of the inputs), store = RenderCache.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';

import type { Manifest } from '../manifest.js';
import { RenderError } from '../errors.js';
import { realRoot, resolveAppDir } from './confine.js';
import { renderDirectory } from './directory.js';
import { throwIfAborted } from './exec.js';
import { renderHelm } from './helm.js';
import { findKustomization, renderKustomize } from './kustomize.js';
import type { RenderOptions, RenderSpec } from './spec.js';
import { defaultRenderOptions } from './spec.js';

export { RenderCache, renderCacheKey } from './cache.js';
export type { RenderCacheOptions } from './cache.js';
export type { DirectoryOptions } from './directory.js';
export type { HelmOptions } from './helm.js';
export { defaultRenderOptions } from './spec.js';
export type { RenderOptions, RenderSpec, ResolvedRenderOptions } from './spec.js';

/**
 * Renders `spec` into manifests in a deterministic order (directory: sorted files, then document
 * order; kustomize/helm: the tool's order). Throws PathEscapeError when a path or symlink leaves
 * the root, RenderError for everything else that fails (see the codes above). Neither `spec` nor
 * `opts` is modified.
 */
export async function render(spec: RenderSpec, opts: RenderOptions = {}): Promise<Manifest[]> {
  const o = defaultRenderOptions(opts);
  throwIfAborted(o.signal);
  const rootReal = await realRoot(spec.root);
  const app = await resolveAppDir(rootReal, spec.path);
  const type = spec.type ?? (await detectType(app.abs));
  const limits = { timeoutMs: o.timeoutMs, maxOutputBytes: o.maxOutputBytes, signal: o.signal };
  switch (type) {
    case 'directory':
      return renderDirectory(rootReal, app, spec.directory ?? {}, {
        maxBytes: o.maxOutputBytes,
        signal: o.signal,
      });
    case 'kustomize':
      return renderKustomize(rootReal, app, { ...limits, binary: o.kustomizeBinary });
    case 'helm':
      return renderHelm(rootReal, app, spec.helm ?? {}, { ...limits, binary: o.helmBinary });
    default:
      throw new RenderError(`unknown render type '${String(type)}'`, { file: app.rel || '.' });
  }
}

/** Argo CD's precedence: a kustomization wins over a Chart.yaml; neither means a plain directory. */
async function detectType(dirAbs: string): Promise<NonNullable<RenderSpec['type']>> {
  if (await findKustomization(dirAbs)) return 'kustomize';
  const chart = await stat(join(dirAbs, 'Chart.yaml')).catch(() => undefined);
  return chart?.isFile() ? 'helm' : 'directory';
}
