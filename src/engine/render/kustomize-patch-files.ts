/**
 * Argo CD's `kustomize.patches[].path`: a patch file of the app's repository, relative to the
 * app's path (Argo runs `kustomize edit add patch --path` in the app directory). The override
 * wrapper lives outside the checkout, where kustomize's root-only load restrictor would not load
 * the file, so gitfleet reads it here — confined to the repository, symlinks included, bounded in
 * size — and hands kustomize its text as the inline `patch`, which is what the file would give.
 */
import { lstat, readFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';

import { PathEscapeError, RenderError } from '../errors.js';
import type { AppDir } from './confine.js';
import { confinedRealpath, isInside, toRel } from './confine.js';
import type { KustomizeOverrides } from './kustomize-overrides.js';

/** A patch is a few kilobytes of YAML; anything this large is not one. */
export const MAX_PATCH_FILE_BYTES = 1024 * 1024;
const URL_OR_SCP = /^([a-z][a-z0-9+.-]*:\/\/|git@)/iu;

/** The real path of each `patches[i].path` (index → path); refused by field when it may not be read. */
export async function patchFiles(
  rootReal: string,
  app: AppDir,
  o: KustomizeOverrides | undefined,
): Promise<Map<number, string>> {
  const out = new Map<number, string>();
  for (const [i, p] of (o?.patches ?? []).entries()) {
    const entry = p?.path;
    if (entry === undefined) continue;
    const field = `kustomize.patches[${i}].path`;
    if (p.patch !== undefined)
      throw new RenderError(`kustomize.patches[${i}]: set \`patch\` or \`path\`, not both`, {
        code: 'render.InvalidParameter',
      });
    if (typeof entry !== 'string' || entry === '' || entry.includes('\0') || entry.includes('\n'))
      throw new RenderError(`${field}: must be a file path`, { code: 'render.InvalidParameter' });
    if (URL_OR_SCP.test(entry) || isAbsolute(entry))
      throw new RenderError(`${field} '${entry}': only files of the app's repository can be patches`, {
        code: 'render.InvalidParameter',
      });
    const target = resolve(app.abs, entry);
    if (!isInside(rootReal, target)) throw new PathEscapeError(field, `'${entry}' leaves the repository`);
    const info = await lstat(target).catch(() => undefined);
    if (!info)
      throw new RenderError(`${field} '${entry}': no such file in the repository`, {
        code: 'render.InvalidParameter',
      });
    const real = info.isSymbolicLink()
      ? await confinedRealpath(rootReal, target, toRel(rootReal, target))
      : target;
    out.set(i, real);
  }
  return out;
}

/** `o` with every patch file read into its `patch` text (the file's path is gone). */
export async function inlinePatchFiles(
  rootReal: string,
  app: AppDir,
  o: KustomizeOverrides | undefined,
): Promise<KustomizeOverrides | undefined> {
  const files = await patchFiles(rootReal, app, o);
  if (!o?.patches || files.size === 0) return o;
  const patches = await Promise.all(
    o.patches.map(async (p, i) => {
      const file = files.get(i);
      if (file === undefined) return p;
      const field = `kustomize.patches[${i}].path`;
      const info = await lstat(file);
      if (!info.isFile())
        throw new RenderError(`${field} '${String(p.path)}': not a regular file`, {
          code: 'render.InvalidParameter',
        });
      if (info.size > MAX_PATCH_FILE_BYTES)
        throw new RenderError(`${field} '${String(p.path)}': larger than ${MAX_PATCH_FILE_BYTES} bytes`, {
          code: 'render.InvalidParameter',
        });
      const { path: _path, ...rest } = p;
      return { ...rest, patch: await readFile(file, 'utf8') };
    }),
  );
  return { ...o, patches };
}
