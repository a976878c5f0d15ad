import { lstatSync, readlinkSync, realpathSync } from 'node:fs';
import { dirname, isAbsolute, join, posix, relative as relativePath, resolve, sep } from 'node:path';
import { PathEscapeError } from '../errors.js';

/** Linux gives up after 40 links (ELOOP); so do we, rather than loop on a cycle. */
const MAX_SYMLINKS = 40;

/**
 * Resolves a repository-relative path (`deploy/app`, `./base/`, `''` for the root) to an absolute
 * path inside `root`, for renderers that read what an Application points at.
 *
 * Throws PathEscapeError for absolute paths, for `..` that climbs above the root, and for a symlink
 * at any component (also in the middle of the path, also a dangling one, also a chain of them) whose
 * target resolves outside the root. Symlinks that stay inside are allowed and are left in the
 * returned path, which is `root` joined with the normalised relative path (not a realpath).
 * Components that do not exist are fine: the caller gets ENOENT when it reads them. Backslashes are
 * ordinary characters, as they are in Git trees on Linux.
 */
export function confinePath(root: string, relative: string): string {
  if (isAbsolute(relative) || posix.isAbsolute(relative))
    throw new PathEscapeError(
      relative,
      'absolute paths are not allowed; give a path relative to the repository',
    );
  const normalized = posix.normalize(relative === '' ? '.' : relative);
  if (normalized === '..' || normalized.startsWith('../'))
    throw new PathEscapeError(relative, 'the path leaves the repository');
  const absRoot = resolve(root);
  const parts = normalized.split('/').filter((p) => p !== '' && p !== '.');
  let realRoot: string;
  try {
    realRoot = realpathSync(absRoot);
  } catch (e) {
    throw new PathEscapeError(relative, `the repository root ${absRoot} cannot be resolved: ${String(e)}`);
  }
  const real = walk(realRoot, realRoot, parts, relative, { links: 0 });
  if (!inside(realRoot, real)) throw new PathEscapeError(relative, 'the path leaves the repository');
  return parts.length === 0 ? absRoot : join(absRoot, ...parts);
}

/**
 * Follows `parts` from the real directory `start` the way the kernel does: `..` climbs from where
 * a symlink really led (not lexically), and every symlink target must resolve inside the root
 * before the walk goes on. Returns the real location; a missing component ends the walk there
 * (nothing below a missing entry can be a symlink).
 */
function walk(
  realRoot: string,
  start: string,
  parts: string[],
  original: string,
  budget: { links: number },
): string {
  let current = start;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] ?? '';
    if (part === '..') {
      current = dirname(current);
      continue;
    }
    const candidate = join(current, part);
    let isLink: boolean;
    try {
      isLink = lstatSync(candidate).isSymbolicLink();
    } catch {
      return join(current, ...parts.slice(i));
    }
    if (!isLink) {
      current = candidate;
      continue;
    }
    budget.links += 1;
    if (budget.links > MAX_SYMLINKS) throw new PathEscapeError(original, 'too many levels of symbolic links');
    const target = readlinkSync(candidate);
    const targetParts = target.split('/').filter((p) => p !== '' && p !== '.');
    current = walk(realRoot, isAbsolute(target) ? '/' : current, targetParts, original, budget);
    if (!inside(realRoot, current))
      throw new PathEscapeError(original, `a symlink in the path points outside the repository (${target})`);
  }
  return current;
}

function inside(realRoot: string, abs: string): boolean {
  const rel = relativePath(realRoot, abs);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}
