import { describe, expect, it } from 'vitest';
import { excludeTags, latestTag, validatePolicy } from './policy.js';
import { applyMarkers } from './setters.js';

const TAGS = [
  '1.0.0',
  '1.1.0',
  'v1.2.0',
  '2.0.0',
  '1.3.0-rc.1',
  'latest',
  'main-20240101-abc',
  'main-20240305-def',
  '10',
  '9',
];

describe('latestTag', () => {
  it('semver: highest in range, prereleases only when asked', () => {
    expect(latestTag(TAGS, { policy: { semver: { range: '^1.0.0' } } })).toBe('v1.2.0');
    expect(latestTag(TAGS, { policy: { semver: { range: '>=3' } } })).toBeUndefined();
    expect(latestTag(TAGS, { policy: { semver: { range: '>=1.3.0-0 <1.4.0' } } })).toBe('1.3.0-rc.1');
  });
  it('numerical and alphabetical, asc selects the highest, desc the lowest', () => {
    expect(latestTag(TAGS, { policy: { numerical: {} } })).toBe('10');
    expect(latestTag(TAGS, { policy: { numerical: { order: 'desc' } } })).toBe('9');
    expect(latestTag(['a', 'c', 'b'], { policy: { alphabetical: {} } })).toBe('c');
    expect(latestTag(['a', 'c', 'b'], { policy: { alphabetical: { order: 'desc' } } })).toBe('a');
  });
  it('filterTags with extract ($1 and named groups) compares the extracted value', () => {
    const spec = {
      filterTags: { pattern: '^main-(?<ts>\\d+)-[a-f]+$', extract: '$ts' },
      policy: { numerical: {} },
    };
    expect(latestTag(TAGS, spec)).toBe('main-20240305-def');
    expect(
      latestTag(TAGS, {
        filterTags: { pattern: '^main-(\\d+)', extract: '$1' },
        policy: { alphabetical: { order: 'desc' as const } },
      }),
    ).toBe('main-20240101-abc');
  });
  it('excludes signature tags by default', () => {
    expect(excludeTags(['1.0.0', 'sha256-abc.sig'], undefined)).toEqual(['1.0.0']);
  });
  it('validates one rule and the range, naming the object', () => {
    expect(() => validatePolicy({ policy: {} }, 'ImagePolicy ns/p')).toThrow(
      /ImagePolicy ns\/p: spec.policy must have exactly one/,
    );
    expect(() => validatePolicy({ policy: { semver: { range: 'not a range' } } }, 'p')).toThrow(
      /not a semver range/,
    );
  });
});

describe('applyMarkers', () => {
  const policies = new Map([['app', { name: 'reg.example/team/app', tag: '1.2.0' }]]);
  it('changes only the marked values, keeping quotes, comments and line endings', () => {
    const text = [
      'spec:',
      '  image: reg.example/team/app:1.0.0 # {"$imagepolicy": "team:app"}',
      '  tag: "1.0.0" # {"$imagepolicy": "team:app:tag"}',
      '  name: other # {"$imagepolicy": "team:app:name"}',
      '  untouched: reg.example/team/app:1.0.0',
      '  foreign: x:1 # {"$imagepolicy": "elsewhere:app"}',
      '  - reg.example/team/app:0.9 # {"$imagepolicy": "app"}\r',
      '',
    ].join('\n');
    const r = applyMarkers(text, 'f.yaml', 'team', policies);
    expect(r.text).toBe(
      text
        .replace('app:1.0.0 # {"$imagepolicy": "team:app"}', 'app:1.2.0 # {"$imagepolicy": "team:app"}')
        .replace('"1.0.0" #', '"1.2.0" #')
        .replace('name: other', 'name: reg.example/team/app')
        .replace('app:0.9 #', 'app:1.2.0 #'),
    );
    expect(r.changes.map((c) => c.line)).toEqual([2, 3, 4, 7]);
    expect(applyMarkers(r.text, 'f.yaml', 'team', policies).changes).toEqual([]);
  });
});
