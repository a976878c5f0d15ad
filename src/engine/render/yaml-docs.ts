/**
 * Multi-document YAML (and JSON, which is YAML) → validated Kubernetes objects with 1-based lines.
 * This is the one place untrusted YAML becomes `KubeObject`, so it checks the fields the rest of the
 * engine relies on (apiVersion, kind, metadata.name) and names the file, line and field otherwise.
 */
import { LineCounter, isMap, isNode, isSeq, parseAllDocuments } from 'yaml';
import type { Document, Node as YamlNode } from 'yaml';

import type { Manifest, Origin } from '../manifest.js';
import type { KubeObject } from '../../kube/types.js';
import { RenderError } from '../errors.js';
import { HELM_HOOK } from '../plan/helm-hooks.js';
import { HOOK } from '../plan/annotations.js';

/** Where an error is reported: a file, and a line or a note when the line is not the file's own. */
export interface ErrorLocation {
  file: string;
  line?: number | undefined;
  /** Appended to the message in parentheses, e.g. "line 12 of the helm output". */
  note?: string | undefined;
}

/** How parsed documents are attributed. Both callbacks get a 1-based line of the parsed text. */
export interface ParseOptions {
  /** File named by default in origins and errors. */
  file: string;
  /** Origin of the object starting at `line`; default `{file, line}`. */
  originFor?: (line: number) => Origin;
  /** Where an error at `line` is reported; default `{file, line}`. */
  locate?: (line: number) => ErrorLocation;
}

/**
 * Parses every document of `text` into manifests, in document order.
 *
 * - Empty, `null` and comment-only documents are skipped.
 * - A document whose kind ends in `List` and that has an `items` sequence is flattened into its
 *   items, each with its own line.
 * - Syntax errors, non-mapping documents and objects without apiVersion, kind or metadata.name
 *   raise RenderError with the file and the line of the offending document (or list item).
 * - Keys keep the order they were written in; merge keys (`<<`) are honoured as kubectl does; the
 *   YAML 1.2 core schema keeps `yes`/`on` and timestamps as strings rather than booleans/Dates.
 */
export function parseManifests(text: string, opts: ParseOptions): Manifest[] {
  return manifestsOf(parseYamlDocuments(text), opts);
}

/** The parsed documents of `text` with their line counter, as parseManifests reads them. */
export interface ParsedYaml {
  docs: Document.Parsed[];
  lc: LineCounter;
}

/** Parses `text` once, for a caller that looks at the documents before taking their manifests. */
export function parseYamlDocuments(text: string): ParsedYaml {
  const lc = new LineCounter();
  return { docs: parseAllDocuments(text, { lineCounter: lc, merge: true, prettyErrors: true }), lc };
}

/** parseManifests of documents already parsed by parseYamlDocuments. */
export function manifestsOf({ docs, lc }: ParsedYaml, opts: ParseOptions): Manifest[] {
  const out: Manifest[] = [];
  const originFor = opts.originFor ?? ((line: number): Origin => ({ file: opts.file, line }));
  const locate = opts.locate ?? ((line: number): ErrorLocation => ({ file: opts.file, line }));
  for (const doc of docs) {
    const err = doc.errors[0];
    if (err) {
      const line = err.linePos?.[0].line ?? lc.linePos(err.pos[0]).line;
      const firstLine = err.message.split('\n')[0] ?? err.message;
      const why = firstLine.replace(/ at line \d+, column \d+:?$/u, '');
      throw located(`YAML syntax error: ${why}`, locate(line), 'render.YamlSyntax', err);
    }
    const node = doc.contents;
    const line = lc.linePos(node?.range ? node.range[0] : doc.range[0]).line;
    const value = toJS(doc, locate(line));
    if (value === null || value === undefined) continue;
    const listItems = listItemNodes(doc, value);
    if (listItems) {
      for (const item of listItems) {
        const itemLine = item.node?.range ? lc.linePos(item.node.range[0]).line : line;
        out.push({ object: asKubeObject(item.value, locate(itemLine)), origin: originFor(itemLine) });
      }
      continue;
    }
    out.push({ object: asKubeObject(value, locate(line)), origin: originFor(line) });
  }
  return out;
}

/** Checks the fields every engine stage relies on; throws RenderError naming the missing field. */
export function asKubeObject(value: unknown, where: ErrorLocation): KubeObject {
  const fail = (what: string): never => {
    throw located(what, where, 'render.InvalidManifest');
  };
  if (!isRecord(value)) return fail(`document is not a mapping (got ${describe(value)})`);
  if (!nonEmptyString(value.apiVersion)) return fail('object has no apiVersion');
  if (!nonEmptyString(value.kind)) return fail('object has no kind');
  const metadata = value.metadata;
  if (!isRecord(metadata)) return fail(`${value.kind} has no metadata`);
  if (!nonEmptyString(metadata.name)) {
    // A hook may be created with generateName (engine/sync/generated-hooks.ts): the prefix stands
    // in as its name until the API server picks one. Anything else needs a name to be applied.
    if (nonEmptyString(metadata.generateName)) {
      if (!isHookAnnotated(metadata.annotations))
        return fail(
          `${value.kind} ${metadata.generateName}: metadata.generateName is only supported on hooks (argocd.argoproj.io/hook or helm.sh/hook); give it a metadata.name`,
        );
      return {
        ...value,
        apiVersion: value.apiVersion,
        kind: value.kind,
        metadata: { ...metadata, name: metadata.generateName },
      };
    }
    return fail(`${value.kind} has no metadata.name`);
  }
  // Overwriting existing keys keeps their position, so the written key order survives.
  return {
    ...value,
    apiVersion: value.apiVersion,
    kind: value.kind,
    metadata: { ...metadata, name: metadata.name },
  };
}

// The annotations the sync plan reads as hooks (gitfleet's, Argo CD's, Helm's).
const HOOK_ANNOTATIONS = [...HOOK, HELM_HOOK];

function isHookAnnotated(annotations: unknown): boolean {
  return isRecord(annotations) && HOOK_ANNOTATIONS.some((k) => nonEmptyString(annotations[k]));
}

function located(message: string, where: ErrorLocation, code: string, cause?: unknown): RenderError {
  const text = where.note ? `${message} (${where.note})` : message;
  return new RenderError(text, { file: where.file, line: where.line, code, cause });
}

/** Converts a document, turning alias bombs (too many alias expansions) into a RenderError. */
function toJS(doc: Document, where: ErrorLocation): unknown {
  try {
    return doc.toJS({ maxAliasCount: 100 });
  } catch (cause) {
    const why = cause instanceof Error ? cause.message : String(cause);
    throw located(`YAML cannot be converted: ${why}`, where, 'render.YamlSyntax', cause);
  }
}

interface ListItem {
  value: unknown;
  node: YamlNode | undefined;
}

/** The items of a `*List` document with their nodes (for lines), or undefined when not a list. */
function listItemNodes(doc: Document, value: unknown): ListItem[] | undefined {
  if (!isRecord(value) || typeof value.kind !== 'string' || !value.kind.endsWith('List')) return undefined;
  const items = value.items;
  if (!Array.isArray(items)) return undefined;
  const contents = doc.contents;
  const seq = isMap(contents) ? contents.get('items', true) : undefined;
  const nodes = isSeq(seq) ? seq.items : [];
  return items.map((item: unknown, i) => {
    const n = nodes[i];
    return { value: item, node: isNode(n) ? n : undefined };
  });
}

/** A plain object (not null, not an array). */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function nonEmptyString(v: unknown): v is string {
  return typeof v === 'string' && v !== '';
}

function describe(v: unknown): string {
  if (Array.isArray(v)) return 'a sequence';
  if (v === null) return 'null';
  return `a ${typeof v}`;
}
