// The git generator, directories and files flavours, with Argo CD's path params.

import { parse as parseYaml } from 'yaml';
import { GeneratorError } from '../errors.js';
import { cloneJson, flattenParams, isRecord, sanitizeName } from '../params.js';
import type { GitGeneratorSpec, Params } from '../types.js';
import { applyValues, callPort, interpolate } from './context.js';
import type { GeneratorCall, GeneratorContext } from './context.js';
import { GlobSyntaxError, matchGlob } from './glob.js';

interface PathInfo {
  path: string;
  basename: string;
  basenameNormalized: string;
  segments: string[];
  filename?: string;
  filenameNormalized?: string;
}

/** Go's path.Dir for repo-relative paths: '.' for a file at the root. */
function dirname(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? '.' : path.slice(0, i);
}

function basename(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

function pathInfo(dir: string, file?: string): PathInfo {
  const info: PathInfo = {
    path: dir,
    basename: basename(dir),
    basenameNormalized: sanitizeName(basename(dir)),
    segments: dir.split('/'),
  };
  if (file !== undefined) {
    info.filename = basename(file);
    info.filenameNormalized = sanitizeName(basename(file));
  }
  return info;
}

/**
 * Path params in Argo CD's two shapes. fasttemplate: `path`, `path.basename`,
 * `path.basenameNormalized`, `path[n]` (and `path.filename`, `path.filenameNormalized` for files),
 * all under `<prefix>.` when `pathParamPrefix` is set. goTemplate: a `path` map with `path`,
 * `basename`, `basenameNormalized`, `segments` (and `filename`, `filenameNormalized`), under
 * `<prefix>.path` when a prefix is set.
 */
function pathParams(info: PathInfo, goTemplate: boolean, prefix: string | undefined): Params {
  if (goTemplate) {
    const path: Params = { ...info, segments: [...info.segments] };
    return prefix ? { [prefix]: { path } } : { path };
  }
  const name = prefix ? `${prefix}.path` : 'path';
  const out: Params = {
    [name]: info.path,
    [`${name}.basename`]: info.basename,
    [`${name}.basenameNormalized`]: info.basenameNormalized,
  };
  if (info.filename !== undefined) {
    out[`${name}.filename`] = info.filename;
    out[`${name}.filenameNormalized`] = info.filenameNormalized ?? '';
  }
  info.segments.forEach((segment, i) => {
    if (segment) out[`${name}[${i}]`] = segment;
  });
  return out;
}

function matches(call: GeneratorCall, field: string, pattern: string, path: string): boolean {
  try {
    return matchGlob(pattern, path);
  } catch (err) {
    if (err instanceof GlobSyntaxError) throw new GeneratorError(call.path, `${field}: ${err.message}`);
    throw err;
  }
}

/** Include/exclude filtering shared by both flavours: exclusion always wins over inclusion. */
function selectPaths(
  items: { path: string; exclude?: boolean }[],
  field: string,
  candidates: Iterable<string>,
  call: GeneratorCall,
): string[] {
  const selected = new Set<string>();
  for (const candidate of candidates) {
    const hit = (exclude: boolean): boolean =>
      items.some(
        (item, i) => !!item.exclude === exclude && matches(call, `${field}[${i}].path`, item.path, candidate),
      );
    if (hit(false) && !hit(true)) selected.add(candidate);
  }
  return [...selected].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Parses one file into parameter sets: an object gives one, a list of objects one each. */
function parseFile(path: string, content: string, call: GeneratorCall): Record<string, unknown>[] {
  let doc: unknown;
  try {
    doc = parseYaml(content);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new GeneratorError(call.path, `${path}: not valid JSON or YAML: ${reason}`, { cause: err });
  }
  // An empty file (or an empty list) still yields one set carrying the path params, as in Argo CD.
  if (doc === null || doc === undefined) return [{}];
  if (isRecord(doc)) return [doc];
  if (Array.isArray(doc)) {
    if (doc.length === 0) return [{}];
    return doc.map((item, i) => {
      if (!isRecord(item)) throw new GeneratorError(call.path, `${path}: item ${i} is not a map`);
      return item;
    });
  }
  throw new GeneratorError(call.path, `${path}: must hold a map or a list of maps`);
}

/**
 * The git generator. Directories: every directory of the commit matching a non-exclude
 * `directories` glob and no exclude glob, hidden directories (any segment starting with '.')
 * skipped, sorted. Files: every file matching a `files` glob and no exclude glob, sorted by path,
 * each parsed as JSON or YAML. File keys are flattened with '.' for fasttemplate and kept nested
 * for goTemplate; path params win over file keys of the same name. Setting both or neither of
 * `directories` and `files`, a bad glob, and an unparsable file are GeneratorErrors.
 */
export async function gitParams(
  spec: GitGeneratorSpec,
  ctx: GeneratorContext,
  call: GeneratorCall,
): Promise<Params[]> {
  const { values, ...rest } = spec;
  const git = interpolate(rest, 'git', ctx, call);
  const dirs = git.directories ?? [];
  const files = git.files ?? [];
  if (!git.repoURL) throw new GeneratorError(call.path, 'git.repoURL is required');
  if (dirs.length > 0 === files.length > 0) {
    throw new GeneratorError(call.path, 'git needs exactly one of "directories" and "files"');
  }
  const revision = git.revision || 'HEAD';
  const prefix = git.pathParamPrefix || undefined;
  const finish = (params: Params): Params => applyValues(params, values, ctx, call);

  if (dirs.length > 0) {
    const all = await callPort(call, `listing directories of ${git.repoURL}@${revision}`, () =>
      ctx.ports.gitDirectories(git.repoURL, revision),
    );
    const visible = all.filter((d) => d !== '' && !d.split('/').some((s) => s.startsWith('.')));
    return selectPaths(dirs, 'git.directories', visible, call).map((dir) =>
      finish(pathParams(pathInfo(dir), ctx.goTemplate, prefix)),
    );
  }

  const found = new Map<string, string>();
  for (const item of files) {
    if (item.exclude) continue;
    const listed = await callPort(call, `reading ${item.path} from ${git.repoURL}@${revision}`, () =>
      ctx.ports.gitFiles(git.repoURL, revision, item.path),
    );
    for (const file of listed) found.set(file.path, file.content);
  }
  const out: Params[] = [];
  for (const path of selectPaths(files, 'git.files', found.keys(), call)) {
    const paths = pathParams(pathInfo(dirname(path), path), ctx.goTemplate, prefix);
    for (const object of parseFile(path, found.get(path) ?? '', call)) {
      const own = ctx.goTemplate ? cloneJson(object) : flattenParams(object);
      out.push(finish({ ...own, ...paths }));
    }
  }
  return out;
}
