import { describe, expect, it } from 'vitest';

import { matchAny, matchGlob } from './glob.js';

describe('matchGlob', () => {
  it('lets * match within one segment only when the pattern has a slash', () => {
    expect(matchGlob('base/*.yaml', 'base/a.yaml')).toBe(true);
    expect(matchGlob('base/*.yaml', 'base/x/a.yaml')).toBe(false);
    expect(matchGlob('base/*.yaml', 'base/a.yml')).toBe(false);
  });

  it('matches a slash-less pattern against the base name too, so *.yaml covers subdirectories', () => {
    expect(matchGlob('*.yaml', 'a.yaml')).toBe(true);
    expect(matchGlob('*.yaml', 'sub/deeper/a.yaml')).toBe(true);
    expect(matchGlob('*.yaml', 'sub/a.json')).toBe(false);
    expect(matchGlob('secret.yaml', 'sub/secret.yaml')).toBe(true);
  });

  it('lets ** match zero or more whole segments', () => {
    expect(matchGlob('base/**', 'base/a.yaml')).toBe(true);
    expect(matchGlob('base/**', 'base/x/y/a.yaml')).toBe(true);
    expect(matchGlob('base/**', 'other/a.yaml')).toBe(false);
    expect(matchGlob('**/a.yaml', 'a.yaml')).toBe(true);
    expect(matchGlob('**/a.yaml', 'x/y/a.yaml')).toBe(true);
    expect(matchGlob('a/**/b.yaml', 'a/b.yaml')).toBe(true);
    expect(matchGlob('a/**/b.yaml', 'a/x/y/b.yaml')).toBe(true);
    expect(matchGlob('a/**/b.yaml', 'c/a/b.yaml')).toBe(false);
  });

  it('treats ** inside a segment like *', () => {
    expect(matchGlob('a**.yaml', 'abc.yaml')).toBe(true);
    expect(matchGlob('x/a**.yaml', 'x/a/b.yaml')).toBe(false);
  });

  it('lets ? match exactly one character other than /', () => {
    expect(matchGlob('v?.yaml', 'v1.yaml')).toBe(true);
    expect(matchGlob('v?.yaml', 'v10.yaml')).toBe(false);
    expect(matchGlob('a?b', 'a/b')).toBe(false);
  });

  it('supports {a,b} alternatives, nested, and literal stray braces', () => {
    expect(matchGlob('{config.json,env/*}', 'config.json')).toBe(true);
    expect(matchGlob('{config.json,env/*}', 'env/x.yaml')).toBe(true);
    expect(matchGlob('{config.json,env/*}', 'other.json')).toBe(false);
    expect(matchGlob('{a,b{c,d}}.yaml', 'bd.yaml')).toBe(true);
    expect(matchGlob('{a.yaml', '{a.yaml')).toBe(true);
  });

  it('takes regular-expression characters and escaped wildcards literally', () => {
    expect(matchGlob('a.yaml', 'axyaml')).toBe(false);
    expect(matchGlob('(x)+[y].yaml', '(x)+[y].yaml')).toBe(true);
    expect(matchGlob('\\*.yaml', '*.yaml')).toBe(true);
    expect(matchGlob('\\*.yaml', 'a.yaml')).toBe(false);
  });

  it('matches nothing with an empty pattern', () => {
    expect(matchGlob('', '')).toBe(false);
    expect(matchGlob('', 'a.yaml')).toBe(false);
  });

  it('matchAny is true when one pattern matches', () => {
    expect(matchAny(['*.json', 'base/**'], 'base/x.yaml')).toBe(true);
    expect(matchAny(['*.json', 'base/**'], 'x.yaml')).toBe(false);
    expect(matchAny([], 'x.yaml')).toBe(false);
  });
});
