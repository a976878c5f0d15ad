import { describe, expect, it } from 'vitest';
import { PathEscapeError } from '../errors.js';
import type { MirrorRef } from './mirror.js';
import { findNamedRef, findTagByRange, isFullSha, isShaLike, treePath } from './revision.js';

const ref = (name: string, oid: string, type = 'commit'): MirrorRef => ({ name, oid, type });
const refs = [
  ref('refs/heads/main', 'a'.repeat(40)),
  ref('refs/heads/v1.0.0', 'b'.repeat(40)),
  ref('refs/tags/v1.0.0', 'c'.repeat(40), 'tag'),
  ref('refs/tags/v1.2.0', 'd'.repeat(40)),
  ref('refs/tags/1.3.0', 'e'.repeat(40)),
  ref('refs/tags/v1.4.0-rc.1', 'f'.repeat(40)),
  ref('refs/tags/release', '1'.repeat(40)),
];

describe('findNamedRef', () => {
  it('prefers a branch over a tag of the same name, and takes full ref names as given', () => {
    expect(findNamedRef(refs, 'v1.0.0')?.name).toBe('refs/heads/v1.0.0');
    expect(findNamedRef(refs, 'refs/tags/v1.0.0')?.name).toBe('refs/tags/v1.0.0');
    expect(findNamedRef(refs, 'release')?.name).toBe('refs/tags/release');
    expect(findNamedRef(refs, 'main')?.oid).toBe('a'.repeat(40));
  });

  it('finds nothing for unknown names', () => {
    expect(findNamedRef(refs, 'nope')).toBeUndefined();
    expect(findNamedRef(refs, 'refs/heads/nope')).toBeUndefined();
    expect(findNamedRef(refs, 'heads/main')).toBeUndefined();
  });
});

describe('findTagByRange', () => {
  it('picks the highest matching tag, v-prefixed or not, without prereleases', () => {
    expect(findTagByRange(refs, '^1.0')?.name).toBe('refs/tags/1.3.0');
    expect(findTagByRange(refs, '~1.2.0')?.name).toBe('refs/tags/v1.2.0');
    expect(findTagByRange(refs, '>=1.4.0-rc.0')?.name).toBe('refs/tags/v1.4.0-rc.1');
  });

  it('ignores branches and returns undefined for non-ranges or no match', () => {
    expect(findTagByRange([ref('refs/heads/1.5.0', 'a'.repeat(40))], '*')).toBeUndefined();
    expect(findTagByRange(refs, 'main')).toBeUndefined();
    expect(findTagByRange(refs, '^2')).toBeUndefined();
  });
});

describe('commit ids', () => {
  it('treats 7 to 64 hex digits as a possible abbreviation, only 40 or 64 as full', () => {
    expect(isShaLike('abc1234')).toBe(true);
    expect(isShaLike('abc123')).toBe(false);
    expect(isShaLike('main')).toBe(false);
    expect(isFullSha('A'.repeat(40))).toBe(true);
    expect(isFullSha('a'.repeat(64))).toBe(true);
    expect(isFullSha('a'.repeat(41))).toBe(false);
  });
});

describe('treePath', () => {
  it('normalises to the form rev-parse <sha>:<path> expects', () => {
    expect(treePath('')).toBe('');
    expect(treePath('.')).toBe('');
    expect(treePath('./deploy/app/')).toBe('deploy/app');
    expect(treePath('deploy//x/../app')).toBe('deploy/app');
  });

  it('refuses absolute paths and paths that leave the repository', () => {
    expect(() => treePath('/etc')).toThrow(PathEscapeError);
    expect(() => treePath('../other')).toThrow(PathEscapeError);
    expect(() => treePath('a/../../b')).toThrow(PathEscapeError);
  });
});
