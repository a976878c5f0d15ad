/**
 * The charts a Kustomize tree's `helmCharts` name: found by following the kustomizations reachable
 * from the app path (local directory entries only; the renderer refuses the rest), so gitfleet can
 * fetch each from its repository before kustomize inflates it offline.
 */
import { realpathSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';

import { parse as parseYaml } from 'yaml';

import { readFileWithin, statOrUndefined, TENANT_FILE_MAX_BYTES } from '../../core/read-within.js';

const FILE_NAMES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];
const DIRECTORY_FIELDS = ['resources', 'bases', 'components'];

/** One `helmCharts` entry with a repository: where kustomize will look for it (tree-relative). */
export interface KustomizeChart {
  /** The kustomization file naming it (for messages). */
  file: string;
  index: number;
  name: string;
  version: string;
  repo: string;
  /** `charts/<name>-<version>` next to the kustomization, relative to the tree root. */
  dest: string;
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Every `helmCharts` entry with a `repo` and a `version` reachable from `path` inside `root`. */
export async function kustomizeCharts(root: string, path: string): Promise<KustomizeChart[]> {
  const out: KustomizeChart[] = [];
  const seen = new Set<string>();
  const rootReal = realpathSync(root);
  const pending = [resolve(rootReal, path)];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    // Followed as the filesystem resolves it: a directory (or a link to one) outside the tree is
    // neither read nor written into.
    const dir = realpathOrUndefined(next);
    if (dir === undefined) continue;
    const rel = relative(rootReal, dir);
    if (seen.has(dir) || rel.startsWith('..') || rel.startsWith(sep)) continue;
    seen.add(dir);
    let doc: unknown;
    let file = '';
    for (const n of FILE_NAMES) {
      file = rel ? `${rel}/${n}` : n;
      // Absent, out of the tree, unreadable or too large: the renderer refuses it (kustomize.ts).
      const text = await readFileWithin(join(dir, n), TENANT_FILE_MAX_BYTES, file, { root: rootReal }).catch(
        () => undefined,
      );
      if (text === undefined) continue;
      try {
        doc = parseYaml(text, { maxAliasCount: 100 });
      } catch {
        doc = undefined; // the renderer reports an unreadable kustomization
      }
      break;
    }
    if (!isRecord(doc)) continue;
    for (const [index, c] of (Array.isArray(doc.helmCharts) ? doc.helmCharts : []).entries()) {
      if (!isRecord(c)) continue;
      const { name, version, repo } = c;
      if (typeof name !== 'string' || typeof version !== 'string' || typeof repo !== 'string') continue;
      if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/u.test(name) || version.includes('/')) continue;
      out.push({ file, index, name, version, repo, dest: join(rel, 'charts', `${name}-${version}`) });
    }
    for (const f of DIRECTORY_FIELDS)
      for (const e of Array.isArray(doc[f]) ? doc[f] : []) {
        if (typeof e !== 'string' || e.includes('\n') || /^[a-z][a-z0-9+.-]*:/iu.test(e)) continue;
        const target = resolve(dir, e);
        if (statOrUndefined(target)?.isDirectory()) pending.push(target);
      }
  }
  return out;
}

/** The real path of `p`, undefined when it cannot be resolved (synchronous: core/read-within.ts). */
function realpathOrUndefined(p: string): string | undefined {
  try {
    return realpathSync(p);
  } catch {
    return undefined;
  }
}
