/**
 * The plain-directory renderer: YAML and JSON files of the app directory (optionally recursive),
 * filtered by include/exclude globs, visited in sorted order so the output is the same on every
 * machine.
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

import type { Manifest } from '../manifest.js';
import { RenderError } from '../errors.js';
import type { AppDir } from './confine.js';
import { confinedRealpath, joinRel } from './confine.js';
import { throwIfAborted } from './exec.js';
import { matchAny } from './glob.js';
import { parseManifests } from './yaml-docs.js';

/** Directory options; see RenderSpec.directory. */
export interface DirectoryOptions {
  /** Walk subdirectories too. Default false. */
  recursive?: boolean;
  /** Only files matching one of these globs (relative to the app path). Default: all. */
  include?: string[];
  /** Skip files matching one of these globs; wins over include. Default: none. */
  exclude?: string[];
}

/** Files that configure other renderers, never manifests. */
const KUSTOMIZATION_FILES = new Set(['kustomization.yaml', 'kustomization.yml', 'Kustomization']);
const MANIFEST_EXTENSIONS = ['.yaml', '.yml', '.json'];
/**
 * Argo CD renders these as Jsonnet in a directory source; gitfleet does not run Jsonnet, and skipping
 * them would deploy nothing and report success, so a selected one fails the render by name.
 */
const JSONNET_EXTENSION = '.jsonnet';

/**
 * Renders a directory. Hidden files and directories (leading '.') and kustomization files are
 * skipped. Every symlink met on the walk must resolve inside the root (PathEscapeError otherwise),
 * whether or not the globs select it; symlinked directories are followed once (cycles are cut).
 * `maxBytes` bounds the total size of the files read.
 */
export async function renderDirectory(
  rootReal: string,
  app: AppDir,
  opts: DirectoryOptions,
  limits: { maxBytes: number; signal?: AbortSignal | undefined },
): Promise<Manifest[]> {
  const include = opts.include ?? [];
  const exclude = opts.exclude ?? [];
  const files = await listFiles(rootReal, app, opts.recursive ?? false, limits.signal);
  const out: Manifest[] = [];
  let total = 0;
  for (const f of files) {
    if (include.length > 0 && !matchAny(include, f.rel)) continue;
    if (matchAny(exclude, f.rel)) continue;
    if (f.rel.endsWith(JSONNET_EXTENSION)) {
      throw new RenderError(
        'Jsonnet is not supported (Argo CD would render this file); commit the rendered YAML, or ' +
          'exclude the file with directory.exclude',
        { file: f.repoRel, code: 'render.Unsupported' },
      );
    }
    throwIfAborted(limits.signal, f.repoRel);
    let text: string;
    try {
      total += (await stat(f.abs)).size;
      text = total > limits.maxBytes ? '' : await readFile(f.abs, 'utf8');
    } catch (cause) {
      throw new RenderError('file cannot be read', { file: f.repoRel, cause });
    }
    if (total > limits.maxBytes) {
      throw new RenderError(`manifests exceed the limit of ${limits.maxBytes} bytes`, {
        file: f.repoRel,
        code: 'render.OutputTooLarge',
      });
    }
    out.push(...parseManifests(text, { file: f.repoRel }));
  }
  return out;
}

interface FoundFile {
  /** Real path to read. */
  abs: string;
  /** Relative to the app path, `/`-separated: what the globs see. */
  rel: string;
  /** Relative to the repository root: what origins and errors name. */
  repoRel: string;
}

/** Candidate manifest files in sorted order (by code unit, per directory, depth-first). */
async function listFiles(
  rootReal: string,
  app: AppDir,
  recursive: boolean,
  signal: AbortSignal | undefined,
): Promise<FoundFile[]> {
  const out: FoundFile[] = [];
  const seenDirs = new Set<string>([app.abs]);
  const walk = async (dirAbs: string, rel: string): Promise<void> => {
    throwIfAborted(signal, joinRel(app.rel, rel));
    const entries = (await readdir(dirAbs, { withFileTypes: true })).sort((a, b) =>
      a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
    );
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const childRel = rel === '' ? e.name : `${rel}/${e.name}`;
      const repoRel = joinRel(app.rel, childRel);
      let abs = join(dirAbs, e.name);
      let isDir = e.isDirectory();
      let isFile = e.isFile();
      if (e.isSymbolicLink()) {
        abs = await confinedRealpath(rootReal, abs, repoRel);
        const target = await stat(abs).catch(() => undefined);
        isDir = target?.isDirectory() ?? false;
        // A dangling link inside the repository is reported only if it looks like a manifest.
        isFile = target ? target.isFile() : isManifestName(e.name);
      }
      if (isDir) {
        if (!recursive || seenDirs.has(abs)) continue;
        seenDirs.add(abs);
        await walk(abs, childRel);
      } else if (isFile && (isManifestName(e.name) || e.name.endsWith(JSONNET_EXTENSION))) {
        out.push({ abs, rel: childRel, repoRel });
      }
    }
  };
  await walk(app.abs, '');
  return out;
}

function isManifestName(name: string): boolean {
  return !KUSTOMIZATION_FILES.has(name) && MANIFEST_EXTENSIONS.some((ext) => name.endsWith(ext));
}
