/**
 * The one kustomization whose build is known without running kustomize: a kustomization file that
 * lists only local files under `resources` (no other field, no Argo CD override) builds to the
 * objects of those files, unchanged. Most apps of a fleet are written that way, and each
 * `kustomize build` costs a process (tens of ms of CPU, most of it kustomize loading its own
 * schema) that a parse of the same files does not.
 *
 * Everything else runs the real kustomize (kustomize.ts), and so does anything here whose meaning
 * kustomize's YAML library could read differently from gitfleet's: kustomize decodes every object
 * into Go values and writes them back, so `0777` becomes 511, `1_000` 1000 and a date a timestamp
 * (READ_OTHERWISE), and such a scalar sends the app to kustomize, as do anchors, aliases, merge
 * keys, explicit tags, directives and keys that are not strings. So do a missing, linked or out-of-directory file, a document that is not one
 * object (a List, a null, a scalar), two objects with one identity, an annotation kustomize keeps
 * for itself, and a file kustomize would refuse or report: the shortcut never has to word an error.
 * kustomize-plain.test.ts builds the same trees with the real kustomize and compares the objects.
 */
import { realpathSync } from 'node:fs';
import { basename, join, relative, resolve, sep } from 'node:path';

import { isAlias, isCollection, isMap, isPair, isScalar, visit } from 'yaml';

import { readFileWithinSync } from '../../core/read-within.js';
import type { Manifest } from '../manifest.js';
import type { AppDir } from './confine.js';
import { joinRel } from './confine.js';
import { isRecord, manifestsOf, parseYamlDocuments, type ParsedYaml } from './yaml-docs.js';

/** Fields of a kustomization that leave its resources as written. */
const IDENTITY_FIELDS = new Set(['apiVersion', 'kind', 'resources']);

/** Annotation prefixes kustomize reads or strips on output. */
const KUSTOMIZE_OWNED = [
  'config.kubernetes.io/',
  'internal.config.kubernetes.io/',
  'kustomize.config.k8s.io/',
  'config.k8s.io/',
];

/**
 * A plain scalar kustomize's YAML library reads as another value than gitfleet's: a number with a
 * leading zero (`0777` is octal 511 there), a base prefix (`0b1`, `0o7`, `0x1f`) or an underscore
 * (`1_000`); a date or time (it writes `2026-12-03` back as `2026-12-03T00:00:00Z`).
 */
const READ_OTHERWISE = /^(?:[-+]?(?:0[0-9box_]|[0-9.][0-9.]*_)|\d{4}-\d\d?-\d\d?)/iu;

/**
 * The objects of the app's kustomization when it is the identity (see above), each with its own
 * file and line; undefined when kustomize must build it. `kustFile` is the kustomization's
 * repository-relative path; `maxBytes` bounds the files read (kustomize's own output limit).
 * Its file system calls are synchronous, for the reason readFileWithin gives: an app of ten files
 * made some seventy trips through the thread pool and the event loop.
 */
export async function plainKustomization(
  app: AppDir,
  kustFile: string,
  maxBytes: number,
): Promise<Manifest[] | undefined> {
  return plainKustomizationSync(app, kustFile, maxBytes);
}

function plainKustomizationSync(app: AppDir, kustFile: string, maxBytes: number): Manifest[] | undefined {
  let kustomization: unknown;
  try {
    const text = readBounded(join(app.abs, basename(kustFile)), maxBytes);
    if (text === undefined) return undefined;
    const parsed = parseYamlDocuments(text);
    // One document, or kustomize reads something else (or nothing).
    if (parsed.docs.length !== 1 || !sameInBothYamls(parsed)) return undefined;
    kustomization = parsed.docs[0]?.toJS();
  } catch {
    return undefined;
  }
  if (!isRecord(kustomization)) return undefined;
  if (Object.keys(kustomization).some((k) => !IDENTITY_FIELDS.has(k))) return undefined;
  const { apiVersion, kind, resources } = kustomization;
  if (apiVersion !== undefined && apiVersion !== 'kustomize.config.k8s.io/v1beta1') return undefined;
  if (kind !== undefined && kind !== 'Kustomization') return undefined;
  if (!Array.isArray(resources) || resources.length === 0) return undefined;

  const out: Manifest[] = [];
  const identities = new Set<string>();
  let bytes = 0;
  for (const entry of resources) {
    const file = localFile(app.abs, entry);
    if (!file) return undefined;
    const text = readBounded(file, maxBytes - bytes);
    if (text === undefined) return undefined;
    bytes += Buffer.byteLength(text);
    let manifests: Manifest[];
    try {
      // One parse serves both the check and the objects.
      const parsed = parseYamlDocuments(text);
      if (!sameInBothYamls(parsed)) return undefined;
      manifests = manifestsOf(parsed, {
        file: joinRel(app.rel, relative(app.abs, file).split(sep).join('/')),
      });
    } catch {
      return undefined;
    }
    if (manifests.length === 0) return undefined;
    for (const m of manifests) {
      if (!keptAsWritten(m.object)) return undefined;
      const id = identity(m.object);
      if (identities.has(id)) return undefined;
      identities.add(id);
      out.push(m);
    }
  }
  return out;
}

/**
 * The file's text when it holds at most `maxBytes`, judged by its size before it is opened: a
 * tenant's huge file is never read into the hub (kustomize then meets it under its own limits).
 */
function readBounded(file: string, maxBytes: number): string | undefined {
  try {
    return readFileWithinSync(file, maxBytes, file, { followLinks: false });
  } catch {
    return undefined;
  }
}

/**
 * The path of a `resources` entry inside the app directory, reached through no link. That it is a
 * regular file is judged on the open file by the read (readBounded), not here a second time.
 */
function localFile(dirAbs: string, entry: unknown): string | undefined {
  if (
    typeof entry !== 'string' ||
    entry === '' ||
    entry.includes('\n') ||
    /^[a-z][a-z0-9+.-]*:/iu.test(entry)
  )
    return undefined;
  const target = resolve(dirAbs, entry);
  if (!target.startsWith(`${dirAbs}${sep}`)) return undefined;
  // No link anywhere on the way: the real path is the path.
  try {
    return realpathSync(target) === target ? target : undefined;
  } catch {
    return undefined;
  }
}

/** True when no construct of the parsed text may be read differently by kustomize's YAML 1.1 library. */
function sameInBothYamls({ docs }: ParsedYaml): boolean {
  for (const doc of docs) {
    if (doc.errors.length || doc.directives.yaml.explicit) return false;
    if (Object.keys(doc.directives.tags).some((t) => t !== '!!')) return false;
    // An empty document is skipped by both; `~`, `null` or any other scalar document is not an object.
    const contents: unknown = doc.contents;
    if (isScalar(contents) && (contents.source ?? '') !== '') return false;
    // A List is flattened by both, but kustomize has its own rules for what a List is.
    const kind: unknown = isMap(contents) ? contents.get('kind') : undefined;
    if (typeof kind === 'string' && kind.endsWith('List')) return false;
    let same = true;
    visit(doc, (_key, node) => {
      if (isAlias(node)) same = false;
      else if (isScalar(node) || isCollection(node)) {
        if (node.anchor || node.tag) same = false;
        if (isScalar(node) && node.type === 'PLAIN') {
          const source = node.source ?? '';
          if (source === '<<' || READ_OTHERWISE.test(source)) same = false;
          // `.inf`, `.nan`, 1e400: kustomize refuses them or writes them back as strings.
          if (typeof node.value === 'number' && !Number.isFinite(node.value)) same = false;
        }
      } else if (isPair(node) && isScalar(node.key) && typeof node.key.value !== 'string') {
        // A key read as a number, a boolean or null: kustomize's JSON has no such key.
        same = false;
      }
      return same ? undefined : visit.BREAK;
    });
    if (!same) return false;
  }
  return true;
}

/** False for a document kustomize would expand (a List) or rewrite (its own annotations and labels). */
function keptAsWritten(o: Manifest['object']): boolean {
  if (o.kind.endsWith('List') || o.apiVersion.startsWith('kustomize.config.k8s.io/')) return false;
  // parseManifests names a hook by its generateName; kustomize has its own rules for those.
  if (o.metadata.generateName !== undefined) return false;
  const keys = [...Object.keys(o.metadata.annotations ?? {}), ...Object.keys(o.metadata.labels ?? {})];
  return !keys.some((k) => KUSTOMIZE_OWNED.some((p) => k.startsWith(p)));
}

/** kustomize's identity of an object, without the version: two of them are an error it reports. */
function identity(o: Manifest['object']): string {
  const slash = o.apiVersion.indexOf('/');
  const group = slash < 0 ? '' : o.apiVersion.slice(0, slash);
  return `${group}/${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
}
