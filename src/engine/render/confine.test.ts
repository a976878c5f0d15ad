import { dirname } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { tempTrees } from '../../../test/harness/temp-tree.js';
import { PathEscapeError } from '../errors.js';
import { normaliseRelPath } from './confine.js';
import { render } from './index.js';

const trees = tempTrees('gitfleet-render-confine-');
afterEach(trees.cleanup);

/** A temporary repository: string values are files, `{ link }` values are symlinks. */
const repo = trees.tree;

async function escapeError(p: Promise<unknown>): Promise<PathEscapeError> {
  const err: unknown = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (err instanceof PathEscapeError) return err;
  throw new Error(`expected a PathEscapeError, got ${String(err)}`);
}

const cm = (name: string): string => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n`;

describe('path confinement', () => {
  it('refuses an absolute app path', async () => {
    const root = repo({ 'a.yaml': cm('a') });
    const err = await escapeError(render({ root, path: '/etc' }));
    expect(err.code).toBe('source.PathEscape');
    expect(err.message).toContain('/etc');
  });

  it.each(['..', '../x', 'a/../../x', './a/b/../../..'])(
    'refuses the app path %j that leaves the root',
    async (path) => {
      const root = repo({ 'a/b/c.yaml': cm('c') });
      const err = await escapeError(render({ root, path }));
      expect(err.message).toContain('leaves the repository');
    },
  );

  it('allows `..` that stays inside the root', async () => {
    const root = repo({ 'a/c.yaml': cm('c'), 'b/x': '' });
    const out = await render({ root, path: 'b/../a' });
    expect(out.map((m) => [m.object.metadata.name, m.origin.file])).toEqual([['c', 'a/c.yaml']]);
  });

  it('refuses a symlinked file pointing outside the root (to /etc)', async () => {
    const root = repo({ 'app/a.yaml': cm('a'), 'app/passwd.yaml': { link: '/etc/passwd' } });
    const err = await escapeError(render({ root, path: 'app' }));
    expect(err.message).toBe('app/passwd.yaml: symlink resolves outside the repository');
  });

  it('refuses a symlinked directory to /etc even when not recursing or when excluded', async () => {
    const root = repo({ 'app/a.yaml': cm('a'), 'app/etc': { link: '/etc' } });
    await escapeError(render({ root, path: 'app' }));
    await escapeError(render({ root, path: 'app', directory: { recursive: true, exclude: ['etc/**'] } }));
  });

  it('refuses an app path that is, or passes through, a symlink to outside the root', async () => {
    const outside = repo({ 'secret.yaml': cm('secret') });
    const root = repo({ 'apps/direct': { link: outside }, via: { link: dirname(outside) } });
    expect((await escapeError(render({ root, path: 'apps/direct' }))).message).toContain('apps/direct');
    const viaPath = `via/${outside.slice(dirname(outside).length + 1)}`;
    expect((await escapeError(render({ root, path: viaPath }))).message).toContain('via:');
  });

  it('refuses a dangling symlink whose target is outside the root', async () => {
    const root = repo({ 'app/a.yaml': cm('a'), 'app/gone.yaml': { link: '/nonexistent/gitfleet/x.yaml' } });
    await escapeError(render({ root, path: 'app' }));
  });

  it('follows symlinks that stay inside the root (files, directories and the app path itself)', async () => {
    const root = repo({
      'shared/common.yaml': cm('common'),
      'shared/more/m.yaml': cm('more'),
      'app/own.yaml': cm('own'),
      'app/linked.yaml': { link: '../shared/common.yaml' },
      'app/sub': { link: '../shared/more' },
      alias: { link: 'app' },
    });
    const out = await render({ root, path: 'alias', directory: { recursive: true } });
    expect(out.map((m) => [m.object.metadata.name, m.origin.file])).toEqual([
      ['common', 'alias/linked.yaml'],
      ['own', 'alias/own.yaml'],
      ['more', 'alias/sub/m.yaml'],
    ]);
  });

  it('does not loop on a symlink cycle inside the root', async () => {
    const root = repo({ 'app/a.yaml': cm('a'), 'app/loop': { link: '.' }, 'app/up': { link: '..' } });
    const out = await render({ root, path: 'app', directory: { recursive: true } });
    expect(out.map((m) => m.object.metadata.name)).toEqual(['a']);
  });

  it('normaliseRelPath maps "", "." and "./" to the root and refuses NUL bytes', () => {
    expect(normaliseRelPath('', 'p')).toBe('');
    expect(normaliseRelPath('.', 'p')).toBe('');
    expect(normaliseRelPath('./', 'p')).toBe('');
    expect(normaliseRelPath('a//b/./c/', 'p')).toBe('a/b/c');
    expect(() => normaliseRelPath('a\0b', 'p')).toThrow(PathEscapeError);
    expect(() => normaliseRelPath('C:\\x', 'p')).toThrow(PathEscapeError);
  });
});
