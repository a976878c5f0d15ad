import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PathEscapeError } from '../errors.js';
import { confinePath } from './confine.js';

let base: string;
let root: string;

beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), 'gitfleet-confine-'));
  root = join(base, 'repo');
  mkdirSync(join(root, 'deploy', 'base'), { recursive: true });
  mkdirSync(join(base, 'outside'), { recursive: true });
  writeFileSync(join(root, 'deploy', 'base', 'cm.yaml'), 'kind: ConfigMap\n');
  writeFileSync(join(base, 'outside', 'secret'), 'no');
  symlinkSync('/etc', join(root, 'etc-link'));
  symlinkSync('../../outside', join(root, 'deploy', 'up-link'));
  symlinkSync('deploy/base', join(root, 'base-link'));
  symlinkSync(join(root, 'deploy'), join(root, 'abs-inside'));
  symlinkSync('/nonexistent/target', join(root, 'dangling-out'));
  symlinkSync('missing-inside', join(root, 'dangling-in'));
  symlinkSync('base-link/../../..', join(root, 'climb-through-link'));
  symlinkSync('loop-b', join(root, 'loop-a'));
  symlinkSync('loop-a', join(root, 'loop-b'));
  // A chain: inside → inside → outside.
  symlinkSync('chain-2', join(root, 'chain-1'));
  symlinkSync('etc-link', join(root, 'chain-2'));
});
afterAll(() => rmSync(base, { recursive: true, force: true }));

function escapeOf(relative: string): PathEscapeError | undefined {
  try {
    confinePath(root, relative);
  } catch (e) {
    if (e instanceof PathEscapeError) return e;
    throw e;
  }
  return undefined;
}

describe('confinePath', () => {
  it('resolves paths inside the repository', () => {
    expect(confinePath(root, 'deploy/base')).toBe(join(root, 'deploy/base'));
    expect(confinePath(root, './deploy/base/')).toBe(join(root, 'deploy/base'));
    expect(confinePath(root, 'deploy/../deploy/base/cm.yaml')).toBe(join(root, 'deploy/base/cm.yaml'));
    expect(confinePath(root, '')).toBe(root);
    expect(confinePath(root, '.')).toBe(root);
  });

  it('allows symlinks whose target stays inside, relative or absolute', () => {
    expect(confinePath(root, 'base-link/cm.yaml')).toBe(join(root, 'base-link/cm.yaml'));
    expect(confinePath(root, 'abs-inside/base')).toBe(join(root, 'abs-inside/base'));
    expect(confinePath(root, 'dangling-in')).toBe(join(root, 'dangling-in'));
  });

  it('allows paths that do not exist yet', () => {
    expect(confinePath(root, 'deploy/new/file.yaml')).toBe(join(root, 'deploy/new/file.yaml'));
  });

  it('refuses absolute paths', () => {
    expect(escapeOf('/etc/passwd')?.code).toBe('source.PathEscape');
    expect(escapeOf(join(root, 'deploy'))?.message).toMatch(/absolute/);
  });

  it("refuses '..' that climbs out of the repository", () => {
    expect(escapeOf('../x')).toBeInstanceOf(PathEscapeError);
    expect(escapeOf('deploy/../../outside/secret')).toBeInstanceOf(PathEscapeError);
    expect(escapeOf('..')).toBeInstanceOf(PathEscapeError);
  });

  it('refuses a symlink to /etc, as the last component or in the middle', () => {
    expect(escapeOf('etc-link')?.message).toMatch(/symlink.*outside/);
    expect(escapeOf('etc-link/passwd')).toBeInstanceOf(PathEscapeError);
  });

  it('refuses relative, dangling and chained symlinks that lead outside', () => {
    expect(escapeOf('deploy/up-link/secret')).toBeInstanceOf(PathEscapeError);
    expect(escapeOf('dangling-out')).toBeInstanceOf(PathEscapeError);
    expect(escapeOf('chain-1/hosts')).toBeInstanceOf(PathEscapeError);
  });

  it("follows '..' in a symlink target from where the link really points, not lexically", () => {
    // base-link → deploy/base, so base-link/../../.. is the parent of the root.
    expect(escapeOf('climb-through-link')).toBeInstanceOf(PathEscapeError);
  });

  it('refuses symlink loops instead of spinning', () => {
    expect(escapeOf('loop-a/x')?.message).toMatch(/too many levels/);
  });
});
