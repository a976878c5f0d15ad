/**
 * The Kustomize renderer: runs the real `kustomize build`, because re-implementing Kustomize is
 * how renderers drift from what users test locally. The binary is run with plugins and exec
 * functions off (its default; we never pass --enable-exec, --enable-alpha-plugins or
 * --enable-helm), the root-only load restrictor, and an environment holding only PATH and an empty
 * HOME, so no user configuration or plugin directory leaks in.
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { parse as parseYaml } from 'yaml';

import type { Manifest } from '../manifest.js';
import { PathEscapeError, RenderError } from '../errors.js';
import type { AppDir } from './confine.js';
import { assertNoEscapingSymlinks, confinedRealpath, isInside, joinRel, toRel } from './confine.js';
import type { ToolLimits } from './exec.js';
import { inheritedPath, runTool, stderrForMessage } from './exec.js';
import { parseManifests, isRecord } from './yaml-docs.js';

/** The names kustomize accepts for its configuration file, in its order of preference. */
export const KUSTOMIZATION_FILE_NAMES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'] as const;

/** Fields whose entries may name another directory (a base, component or generator config). */
const DIRECTORY_REFERENCE_FIELDS = [
  'resources',
  'bases',
  'components',
  'generators',
  'transformers',
  'validators',
];

/** The kustomization file of `dirAbs`, or undefined when it has none. */
export async function findKustomization(dirAbs: string): Promise<string | undefined> {
  for (const name of KUSTOMIZATION_FILE_NAMES) {
    const info = await stat(join(dirAbs, name)).catch(() => undefined);
    if (info?.isFile()) return name;
  }
  return undefined;
}

/**
 * Renders a kustomization. Kustomize's output has no file or line of its own: every object's
 * origin is the app's kustomization file, and the line is the object's line within kustomize's
 * output (stable for a given input, useful to find the object in `kustomize build` output).
 * Errors name the kustomization file and carry kustomize's stderr (trimmed to ~2 KB).
 */
export async function renderKustomize(
  rootReal: string,
  app: AppDir,
  limits: ToolLimits,
): Promise<Manifest[]> {
  const name = await findKustomization(app.abs);
  const kustFile = joinRel(app.rel, name ?? 'kustomization.yaml');
  if (!name)
    throw new RenderError('no kustomization.yaml, kustomization.yml or Kustomization in the app path', {
      file: kustFile,
    });

  await assertNoEscapingSymlinks(rootReal, limits.signal);
  await assertReferencesConfined(rootReal, app.abs);

  const home = await mkdtemp(join(tmpdir(), 'gitfleet-kustomize-'));
  try {
    const result = await runTool({
      tool: 'kustomize',
      binary: limits.binary,
      args: ['build', app.rel === '' ? '.' : app.rel, '--load-restrictor', 'LoadRestrictionsRootOnly'],
      cwd: rootReal,
      env: { PATH: inheritedPath(), HOME: home },
      timeoutMs: limits.timeoutMs,
      maxOutputBytes: limits.maxOutputBytes,
      signal: limits.signal,
      file: kustFile,
    });
    if (result.exitCode !== 0) {
      const why = stderrForMessage(stripRoot(result.stderr, rootReal));
      throw new RenderError(`kustomize build failed: ${why}`, { file: kustFile, code: 'render.ToolFailed' });
    }
    return parseManifests(result.stdout, {
      file: kustFile,
      locate: (line) => ({ file: kustFile, line, note: 'the line is in the kustomize build output' }),
    });
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}

/**
 * Follows every kustomization reachable from `startAbs` (resources, bases, components, …) and
 * refuses entries that resolve outside the root. The load restrictor confines *files* to their
 * kustomization's directory, but a *directory* entry such as `../../../../etc/x` is allowed by
 * kustomize wherever it is. Remote entries (URLs) resolve inside the root lexically, do not exist
 * locally and are left to kustomize. Unreadable kustomizations are left to kustomize to report.
 */
export async function assertReferencesConfined(rootReal: string, startAbs: string): Promise<void> {
  const seen = new Set<string>();
  const pending = [startAbs];
  for (let dir = pending.pop(); dir !== undefined; dir = pending.pop()) {
    if (seen.has(dir)) continue;
    seen.add(dir);
    const name = await findKustomization(dir);
    if (!name) continue;
    const kustRel = joinRel(toRel(rootReal, dir), name);
    let doc: unknown;
    try {
      doc = parseYaml(await readFile(join(dir, name), 'utf8'));
    } catch {
      continue;
    }
    if (!isRecord(doc)) continue;
    for (const field of DIRECTORY_REFERENCE_FIELDS) {
      const entries = doc[field];
      if (!Array.isArray(entries)) continue;
      for (const entry of entries) {
        if (typeof entry !== 'string') continue;
        const target = resolve(dir, entry);
        if (!isInside(rootReal, target)) {
          throw new PathEscapeError(kustRel, `${field} entry '${entry}' leaves the repository`);
        }
        const info = await stat(target).catch(() => undefined);
        if (info?.isDirectory())
          pending.push(await confinedRealpath(rootReal, target, toRel(rootReal, target)));
      }
    }
  }
}

/** Makes tool messages repository-relative: shorter, and no host paths in a CR's status. */
export function stripRoot(text: string, rootReal: string): string {
  return text.split(`${rootReal}/`).join('').split(rootReal).join('.');
}
