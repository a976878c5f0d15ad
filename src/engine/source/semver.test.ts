import { describe, expect, it } from 'vitest';
import { compareVersions, maxSatisfying, parseRange, parseVersion, satisfiesRange } from './semver.js';

const sorted = [
  '0.0.1',
  '0.1.0',
  '1.0.0-alpha',
  '1.0.0-alpha.1',
  '1.0.0-alpha.beta',
  '1.0.0-beta',
  '1.0.0-beta.2',
  '1.0.0-beta.11',
  '1.0.0-rc.1',
  '1.0.0',
  '1.0.1',
  '1.1.0',
  '1.10.0',
  '2.0.0',
  '10.0.0',
];

describe('parseVersion', () => {
  it('parses full versions with an optional v, prerelease and build', () => {
    expect(parseVersion('v1.2.3')).toEqual({ major: 1, minor: 2, patch: 3, prerelease: [] });
    expect(parseVersion('1.2.3-rc.1+build.7')).toEqual({
      major: 1,
      minor: 2,
      patch: 3,
      prerelease: ['rc', 1],
    });
  });

  it('rejects partial versions, leading zeros and other tag names', () => {
    for (const t of ['1.2', 'v1', '01.2.3', '1.2.3-01', 'latest', 'release-1.2.3', '1.2.3.4', ''])
      expect(parseVersion(t), t).toBeUndefined();
  });
});

describe('compareVersions', () => {
  it('orders by the semver 2.0.0 precedence rules, prereleases included', () => {
    for (let i = 0; i + 1 < sorted.length; i++) {
      const a = parseVersion(sorted[i] ?? '');
      const b = parseVersion(sorted[i + 1] ?? '');
      if (!a || !b) throw new Error('fixture');
      expect(compareVersions(a, b), `${sorted[i]} < ${sorted[i + 1]}`).toBeLessThan(0);
      expect(compareVersions(b, a)).toBeGreaterThan(0);
    }
  });

  it('ignores build metadata', () => {
    const a = parseVersion('1.0.0+a');
    const b = parseVersion('1.0.0+b');
    if (!a || !b) throw new Error('fixture');
    expect(compareVersions(a, b)).toBe(0);
  });
});

describe('satisfiesRange', () => {
  // [range, satisfied, not satisfied]
  const cases: [string, string[], string[]][] = [
    ['*', ['0.0.0', '1.2.3', 'v9.9.9'], ['1.2.3-rc.1']],
    ['', ['1.0.0'], ['1.0.0-beta']],
    ['1.x', ['1.0.0', '1.9.9'], ['2.0.0', '0.9.9', '2.0.0-0']],
    ['1', ['1.0.0', '1.5.5'], ['2.0.0']],
    ['1.2.*', ['1.2.0', '1.2.99'], ['1.3.0', '1.1.9']],
    ['>=1.2.0 <2.0.0', ['1.2.0', '1.99.0'], ['1.1.9', '2.0.0', '1.5.0-beta', '2.0.0-rc.1']],
    ['>= 1.2.3 < 2', ['1.2.3', '1.9.0'], ['2.0.0', '1.2.2']],
    ['^1.2', ['1.2.0', '1.9.9'], ['1.1.0', '2.0.0']],
    ['^1.2.3', ['1.2.3', '1.3.0'], ['1.2.2', '2.0.0']],
    ['^0.2.3', ['0.2.3', '0.2.9'], ['0.3.0', '0.2.2']],
    ['^0.0.3', ['0.0.3'], ['0.0.4', '0.0.2']],
    ['^0.0', ['0.0.0', '0.0.9'], ['0.1.0']],
    ['^0.x', ['0.0.1', '0.9.0'], ['1.0.0']],
    ['~1.4.0', ['1.4.0', '1.4.9'], ['1.5.0', '1.3.9']],
    ['~1.2', ['1.2.0', '1.2.5'], ['1.3.0']],
    ['~1', ['1.0.0', '1.9.0'], ['2.0.0']],
    ['~>1.2', ['1.2.7'], ['1.3.0']],
    ['>1.2', ['1.3.0'], ['1.2.9']],
    ['>1.2.3', ['1.2.4'], ['1.2.3']],
    ['<1.2', ['1.1.9'], ['1.2.0', '1.2.0-beta']],
    ['<=1.2', ['1.2.9'], ['1.3.0']],
    ['<=1.2.3', ['1.2.3'], ['1.2.4']],
    ['=1.2.3', ['1.2.3', 'v1.2.3'], ['1.2.4']],
    ['v1.2.3', ['1.2.3'], ['1.2.4']],
    ['1.2.3 - 2.3.4', ['1.2.3', '2.3.4'], ['2.3.5', '1.2.2']],
    ['1.2 - 2.3.4', ['1.2.0'], ['1.1.9']],
    ['1.2.3 - 2.3', ['2.3.9'], ['2.4.0']],
    ['1.2.3 - 2', ['2.9.9'], ['3.0.0']],
    ['1.x || >=2.3.4', ['1.5.0', '2.3.4', '10.0.0'], ['2.0.0']],
    ['<1.0.0 || >=2.0.0', ['0.5.0', '2.0.0'], ['1.0.0']],
    ['>*', [], ['1.0.0']],
    ['<*', [], ['0.0.0']],
  ];
  for (const [range, yes, no] of cases)
    it(`"${range}" admits ${yes.join(', ') || 'nothing'} and refuses ${no.join(', ')}`, () => {
      for (const v of yes) expect(satisfiesRange(v, range), `${v} in ${range}`).toBe(true);
      for (const v of no) expect(satisfiesRange(v, range), `${v} not in ${range}`).toBe(false);
    });

  it('admits a prerelease only when the range names a prerelease of the same major.minor.patch', () => {
    expect(satisfiesRange('1.2.3-beta.2', '>=1.2.3-beta.1')).toBe(true);
    expect(satisfiesRange('1.2.4-beta.1', '>=1.2.3-beta.1')).toBe(false);
    expect(satisfiesRange('1.2.3-beta.2', '^1.2.3-beta.1')).toBe(true);
    expect(satisfiesRange('1.3.0-alpha', '^1.2.3-beta.1')).toBe(false);
    expect(satisfiesRange('1.2.3', '^1.2.3-beta.1')).toBe(true);
    expect(satisfiesRange('1.2.3-beta.1', '~1.2.3-beta.1')).toBe(true);
    expect(satisfiesRange('1.2.3-alpha', '~1.2.3-beta.1')).toBe(false);
    expect(satisfiesRange('2.0.0-rc.1', '2.0.0-rc.1 || 1.x')).toBe(true);
    expect(satisfiesRange('1.0.0-rc.1', '1.0.0-rc.1 - 1.0.0')).toBe(true);
    expect(satisfiesRange('1.5.0-rc.1', '1.x')).toBe(false);
  });

  it('is false for invalid ranges or versions', () => {
    expect(satisfiesRange('1.2.3', 'main')).toBe(false);
    expect(satisfiesRange('1.2.3', '>=a')).toBe(false);
    expect(satisfiesRange('1.2.3', '1.2.3.4')).toBe(false);
    expect(satisfiesRange('main', '*')).toBe(false);
    expect(parseRange('latest')).toBeUndefined();
    expect(parseRange('^1.2 || ~2')).toHaveLength(2);
  });
});

describe('maxSatisfying', () => {
  const tags = [
    'v1.0.0',
    'v1.2.0',
    'v1.2.5',
    'v1.3.0-rc.1',
    '1.4.0',
    'v2.0.0',
    'v2.1.0-beta',
    'latest',
    'v1.9',
  ];

  it('picks the highest match, with or without a v prefix, returned as given', () => {
    expect(maxSatisfying(tags, '^1.2')).toBe('1.4.0');
    expect(maxSatisfying(tags, '~1.2.0')).toBe('v1.2.5');
    expect(maxSatisfying(tags, '*')).toBe('v2.0.0');
    expect(maxSatisfying(tags, '>=1.0.0 <1.2.0')).toBe('v1.0.0');
  });

  it('leaves prereleases out unless the range names one', () => {
    expect(maxSatisfying(tags, '>=1.3.0-rc.0 <1.4.0')).toBe('v1.3.0-rc.1');
    expect(maxSatisfying(tags, '>=2.1.0-alpha')).toBe('v2.1.0-beta');
    expect(maxSatisfying(tags, '>=2.0.1')).toBeUndefined();
  });

  it('gives undefined when nothing matches or the range is invalid', () => {
    expect(maxSatisfying(tags, '^3')).toBeUndefined();
    expect(maxSatisfying(tags, 'not a range')).toBeUndefined();
    expect(maxSatisfying([], '*')).toBeUndefined();
  });

  it('keeps the first of equal versions', () => {
    expect(maxSatisfying(['1.0.0', 'v1.0.0'], '1')).toBe('1.0.0');
    expect(maxSatisfying(['v1.0.0', '1.0.0'], '1')).toBe('v1.0.0');
  });
});
