import { describe, expect, it } from 'vitest';
import { GlobSyntaxError, matchGlob } from './glob.js';

describe('matchGlob', () => {
  it.each<[string, string, boolean]>([
    ['apps/*', 'apps/web', true],
    ['apps/*', 'apps/web/overlays', false],
    ['apps/*', 'apps', false],
    ['apps/**', 'apps/web/overlays/prod', true],
    ['**/config.json', 'config.json', true],
    ['**/config.json', 'clusters/eu/prod/config.json', true],
    ['clusters/**/config.json', 'clusters/config.json', true],
    ['clusters/*/config.json', 'clusters/eu/prod/config.json', false],
    ['apps/?b', 'apps/ab', true],
    ['apps/?b', 'apps//b', false],
    ['d/[f|g]', 'd/g', true],
    ['d/[f|g]', 'd/e', false],
    ['d/[!f]', 'd/e', true],
    ['d/[!f]', 'd/f', false],
    ['d/[a-c]x', 'd/bx', true],
    ['/apps/*', 'apps/web', true],
    ['apps/web.v1', 'apps/webXv1', false],
    ['apps/\\*', 'apps/*', true],
    ['apps/\\*', 'apps/x', false],
  ])('%s against %s → %s', (pattern, path, want) => {
    expect(matchGlob(pattern, path)).toBe(want);
  });

  it('rejects an unclosed character class', () => {
    expect(() => matchGlob('apps/[ab', 'apps/a')).toThrow(GlobSyntaxError);
  });
});
