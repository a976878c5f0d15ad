/**
 * Argo CD's `source.kustomize` overrides, with Argo's meaning. Argo runs `kustomize edit set …`
 * on the app's kustomization before building; gitfleet never writes into a checkout (it is shared
 * and content-addressed), so the same transformations go into a wrapper kustomization in a temp
 * directory whose only resource is the app directory. Kustomize then applies them as it would
 * in the app's own file, name references included (a prefixed ConfigMap stays referenced).
 * The wrapper is built here from checked data and serialised by the YAML library: it holds no
 * path but the app's, and no field that loads files, plugins or remote bases.
 */
import { stringify } from 'yaml';

import { RenderError } from '../errors.js';
import { checkNamespace, quoteValue } from './argv.js';

export interface KustomizeOverrides {
  namePrefix?: string;
  nameSuffix?: string;
  /** `kustomize edit set image` syntax: `[name=]newName[:tag][@digest]`. */
  images?: string[];
  commonLabels?: Record<string, string>;
  commonAnnotations?: Record<string, string>;
  /** Without force Argo fails on a label the kustomization already sets; over a wrapper there is none. */
  forceCommonLabels?: boolean;
  forceCommonAnnotations?: boolean;
  namespace?: string;
  replicas?: { name: string; count: number | string }[];
  /**
   * Argo CD's `kustomize.patches`: inline patches (strategic merge or JSON 6902) with an optional
   * target. A `path` (a patch file) is read and inlined first by kustomize-patch-files.ts.
   */
  patches?: { patch?: unknown; path?: unknown; target?: unknown; options?: unknown }[];
  /**
   * Argo CD's `kustomize.components`: component directories relative to the app's path, confined
   * to the repository (kustomize.ts overrideComponents) and added to the wrapper's `components`.
   */
  components?: string[];
  /** Argo CD's: a listed component that does not exist is skipped instead of failing the render. */
  ignoreMissingComponents?: boolean;
}

/** Whether `o` changes anything (an empty `kustomize: {}` renders the app as it is). */
export function hasOverrides(o: KustomizeOverrides | undefined): o is KustomizeOverrides {
  if (!o) return false;
  return Object.entries(o).some(
    ([k, v]) =>
      !k.startsWith('force') &&
      k !== 'ignoreMissingComponents' &&
      v !== undefined &&
      v !== '' &&
      !(Array.isArray(v) && v.length === 0) &&
      !(typeof v === 'object' && !Array.isArray(v) && Object.keys(v as object).length === 0),
  );
}

/**
 * The wrapper kustomization (YAML text) applying `o` over the kustomization directory `appDir`
 * (relative to the wrapper: kustomize refuses absolute resource paths).
 * RenderError `render.InvalidParameter` naming the field (`kustomize.images[1]`) for bad values.
 */
export function wrapperKustomization(
  appDir: string,
  o: KustomizeOverrides,
  file?: string,
  /** The present components' directories, relative to the wrapper (kustomize.ts resolves them). */
  components: readonly string[] = [],
): string {
  const doc: Record<string, unknown> = {
    apiVersion: 'kustomize.config.k8s.io/v1beta1',
    kind: 'Kustomization',
    resources: [appDir],
  };
  if (o.namePrefix) doc.namePrefix = o.namePrefix;
  if (o.nameSuffix) doc.nameSuffix = o.nameSuffix;
  if (o.namespace) doc.namespace = checkNamespace(o.namespace, 'kustomize.namespace', file);
  if (o.commonLabels && Object.keys(o.commonLabels).length)
    // commonLabels' meaning (selectors and templates too), in the form kustomize v5 does not deprecate.
    doc.labels = [
      { pairs: stringMap(o.commonLabels, 'kustomize.commonLabels', file), includeSelectors: true },
    ];
  if (o.commonAnnotations && Object.keys(o.commonAnnotations).length)
    doc.commonAnnotations = stringMap(o.commonAnnotations, 'kustomize.commonAnnotations', file);
  if (o.images?.length)
    doc.images = o.images.map((img, i) => parseImage(img, `kustomize.images[${i}]`, file));
  if (o.replicas?.length)
    doc.replicas = o.replicas.map((r, i) => ({
      name: r.name,
      count: replicaCount(r.count, `kustomize.replicas[${i}].count`, file),
    }));
  if (o.patches?.length)
    doc.patches = o.patches.map((p, i) => checkPatch(p, `kustomize.patches[${i}]`, file));
  if (components.length) doc.components = [...components];
  return stringify(doc);
}

const TARGET_KEYS = ['group', 'version', 'kind', 'name', 'namespace', 'labelSelector', 'annotationSelector'];
const OPTION_KEYS = ['allowNameChange', 'allowKindChange'];

/** One inline patch as kustomize's `patches` entry takes it, checked key by key. */
function checkPatch(p: unknown, field: string, file: string | undefined): Record<string, unknown> {
  if (!p || typeof p !== 'object' || Array.isArray(p))
    throw invalid(field, String(p), 'is not a patch object', file);
  const entry = p as Record<string, unknown>;
  for (const key of Object.keys(entry))
    if (!['patch', 'path', 'target', 'options'].includes(key))
      throw invalid(`${field}.${key}`, key, 'is not a field of a kustomize patch', file);
  if (entry.path !== undefined)
    throw new RenderError(
      `${field}.path: patch files are not supported in Argo CD overrides here; inline the patch in \`patch\` or list it in the kustomization`,
      { file, code: 'render.Unsupported' },
    );
  if (typeof entry.patch !== 'string' || entry.patch.trim() === '')
    throw invalid(`${field}.patch`, String(entry.patch), 'must be the patch text', file);
  const out: Record<string, unknown> = { patch: entry.patch };
  if (entry.target !== undefined)
    out.target = checkFlat(entry.target, TARGET_KEYS, 'string', `${field}.target`, file);
  if (entry.options !== undefined)
    out.options = checkFlat(entry.options, OPTION_KEYS, 'boolean', `${field}.options`, file);
  return out;
}

function checkFlat(
  v: unknown,
  keys: readonly string[],
  type: 'string' | 'boolean',
  field: string,
  file: string | undefined,
): Record<string, unknown> {
  if (!v || typeof v !== 'object' || Array.isArray(v))
    throw invalid(field, String(v), 'must be an object', file);
  for (const [k, x] of Object.entries(v)) {
    if (!keys.includes(k)) throw invalid(`${field}.${k}`, k, `is not one of ${keys.join(', ')}`, file);
    if (typeof x !== type) throw invalid(`${field}.${k}`, String(x), `must be a ${type}`, file);
  }
  return { ...v };
}

function invalid(field: string, value: string, why: string, file: string | undefined): RenderError {
  return new RenderError(`${field} ${quoteValue(value)} ${why}`, { file, code: 'render.InvalidParameter' });
}

function stringMap(
  m: Record<string, unknown>,
  field: string,
  file: string | undefined,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(m)) {
    if (typeof v !== 'string') throw invalid(`${field}.${k}`, String(v), 'must be a string', file);
    out[k] = v;
  }
  return out;
}

function replicaCount(c: number | string, field: string, file: string | undefined): number {
  const n = typeof c === 'number' ? c : /^\d+$/u.test(c) ? Number(c) : NaN;
  if (!Number.isSafeInteger(n) || n < 0) throw invalid(field, String(c), 'is not a replica count', file);
  return n;
}

/**
 * Where the wrapper would not mean what Argo CD's in-place `kustomize edit` means, the render is
 * refused naming the field, never built differently: `edit set nameprefix` *replaces* the app's
 * namePrefix where a wrapper would prefix twice (same for nameSuffix), and an image the app's
 * kustomization already renames (`newName`) would no longer be found by the override's name.
 * `app` is the app's own parsed kustomization. Returns the overrides to wrap: a prefix or suffix
 * equal to the app's own is dropped (Argo's replace changes nothing then).
 */
export function checkOverridesAgainst(
  app: Record<string, unknown>,
  o: KustomizeOverrides,
  file: string | undefined,
): KustomizeOverrides {
  const effective = { ...o };
  for (const f of ['namePrefix', 'nameSuffix'] as const) {
    const own = app[f];
    if (o[f] && own === o[f]) delete effective[f];
    else if (o[f] && typeof own === 'string' && own !== '')
      throw new RenderError(
        `kustomize.${f} ${quoteValue(o[f])}: the app's kustomization sets ${f} ${quoteValue(own)}, ` +
          `which Argo CD would replace and gitfleet cannot (it does not edit the checkout); set ${f} in one place`,
        { file, code: 'render.Unsupported' },
      );
  }
  const renamed = new Set(
    (Array.isArray(app.images) ? app.images : []).flatMap((i: unknown) =>
      i &&
      typeof i === 'object' &&
      typeof (i as { name?: unknown }).name === 'string' &&
      (i as { newName?: unknown }).newName
        ? [(i as { name: string }).name]
        : [],
    ),
  );
  (o.images ?? []).forEach((img, i) => {
    const { name } = parseImage(img, `kustomize.images[${i}]`, file);
    if (renamed.has(name))
      throw new RenderError(
        `kustomize.images[${i}] ${quoteValue(img)}: the app's kustomization already gives image ` +
          `${quoteValue(name)} a newName; set the image in one place`,
        { file, code: 'render.Unsupported' },
      );
  });
  return effective;
}

/**
 * `kustomize edit set image` syntax to a kustomize `images` entry: `nginx:1.27` (tag of nginx),
 * `nginx=registry.io/nginx:1.27` (new name and tag), `nginx@sha256:…` (digest).
 */
export function parseImage(
  spec: string,
  field = 'kustomize.images',
  file?: string,
): { name: string; newName?: string; newTag?: string; digest?: string } {
  if (spec === '' || /\s/u.test(spec)) throw invalid(field, spec, 'is not an image reference', file);
  const eq = spec.indexOf('=');
  const from = eq < 0 ? undefined : spec.slice(0, eq);
  const to = eq < 0 ? spec : spec.slice(eq + 1);
  let rest = to;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  if (rest === '' || from === '' || tag === '' || digest === '')
    throw invalid(field, spec, 'is not an image reference ([name=]newName[:tag][@digest])', file);
  const entry: { name: string; newName?: string; newTag?: string; digest?: string } = { name: from ?? rest };
  if (from !== undefined && rest !== from) entry.newName = rest;
  if (tag !== undefined) entry.newTag = tag;
  if (digest !== undefined) entry.digest = digest;
  return entry;
}
