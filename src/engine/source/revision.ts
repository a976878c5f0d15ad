import { posix } from 'node:path';
import { PathEscapeError } from '../errors.js';
import type { MirrorRef } from './mirror.js';
import { maxSatisfying, parseRange } from './semver.js';

const SHA_LIKE = /^[0-9a-f]{7,64}$/i;
const FULL_SHA = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/i;

/** Whether a revision could be an (abbreviated) commit id: 7 to 64 hex digits. */
export function isShaLike(revision: string): boolean {
  return SHA_LIKE.test(revision);
}

/** Whether `sha` is a full SHA-1 or SHA-256 object id. */
export function isFullSha(sha: string): boolean {
  return FULL_SHA.test(sha);
}

/**
 * The branch or tag a revision names exactly: a full ref name (`refs/tags/v1`), else the branch,
 * else the tag. Branches win over a tag of the same name, as in Argo CD; write `refs/tags/<name>`
 * to choose the tag.
 */
export function findNamedRef(refs: readonly MirrorRef[], revision: string): MirrorRef | undefined {
  const byName = new Map(refs.map((r) => [r.name, r]));
  if (revision.startsWith('refs/')) return byName.get(revision);
  return byName.get(`refs/heads/${revision}`) ?? byName.get(`refs/tags/${revision}`);
}

/**
 * The tag with the highest version in `range` (`v` prefix or not), or undefined when `range` is not
 * range syntax or no tag matches. Tags that are not full semver versions are ignored;
 * prereleases count only when the range names one.
 */
export function findTagByRange(refs: readonly MirrorRef[], range: string): MirrorRef | undefined {
  if (!parseRange(range)) return undefined;
  const tags = new Map<string, MirrorRef>();
  for (const r of refs) if (r.name.startsWith('refs/tags/')) tags.set(r.name.slice('refs/tags/'.length), r);
  const best = maxSatisfying([...tags.keys()].sort(), range);
  return best === undefined ? undefined : tags.get(best);
}

/**
 * A repository-relative path in the form `git rev-parse <sha>:<path>` expects: no leading `./` or
 * `/`, no trailing `/`, `''` for the root. Throws PathEscapeError for absolute paths and `..` that
 * leaves the repository (Git would otherwise resolve `..` relative to nothing sensible).
 */
export function treePath(path: string): string {
  if (posix.isAbsolute(path)) throw new PathEscapeError(path, 'absolute paths are not allowed');
  const normalized = posix.normalize(path === '' ? '.' : path).replace(/\/+$/, '');
  if (normalized === '..' || normalized.startsWith('../'))
    throw new PathEscapeError(path, 'the path leaves the repository');
  return normalized === '.' ? '' : normalized;
}
