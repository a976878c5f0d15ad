// gitfleet writes fetched charts into copies of tenants' trees (`charts/` of a Git chart, next to a
// kustomization for `helmCharts`). A copy keeps the tree's symbolic links, so a directory on the
// way that is a link (`app/charts -> /somewhere`) would steer that write out of the tree.
import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import { SourceError } from '../errors.js';

/**
 * Refuses to write at `rel` inside `root` when a component of that path is a symbolic link or `..`:
 * components that exist must be real directories of the tree; the rest gitfleet creates itself.
 */
export async function assertWritableInTree(root: string, rel: string, repoUrl: string): Promise<void> {
  const parts = rel.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..'))
    throw new SourceError(repoUrl, `${rel} leaves the repository`, { code: 'source.PathEscape' });
  let at = root;
  for (const part of parts) {
    at = join(at, part);
    const st = await lstat(at).catch(() => undefined);
    if (!st) return;
    if (st.isSymbolicLink())
      throw new SourceError(
        repoUrl,
        `${rel}: ${part} is a symbolic link; fetched charts are written only into real directories of the repository`,
        { code: 'source.PathEscape' },
      );
  }
}
