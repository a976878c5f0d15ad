// `:digest` markers and `value: digest` setters write the policy's reflected manifest digest, and
// leave the value alone while the policy has none (it does not reflect digests, or not yet).
import { describe, expect, it } from 'vitest';
import { applyMarkers, applySetter } from './setters.js';

const D1 = `sha256:${'1'.repeat(64)}`;
const D2 = `sha256:${'2'.repeat(64)}`;

describe(':digest markers', () => {
  const text = [
    'image:',
    '  repository: reg.example/team/app # {"$imagepolicy": "team:app:name"}',
    `  digest: "${D1}" # {"$imagepolicy": "team:app:digest"}`,
    '  tag: 1.0.0 # {"$imagepolicy": "app:tag"}',
    `  short: ${D1} # {"$imagepolicy": "app:digest"}`,
    '',
  ].join('\n');

  it('writes the digest, byte-identical elsewhere, quotes kept', () => {
    const policies = new Map([['app', { name: 'reg.example/team/app', tag: '1.2.0', digest: D2 }]]);
    const r = applyMarkers(text, 'values.yaml', 'team', policies);
    expect(r.text).toBe(
      text
        .replace(`"${D1}"`, `"${D2}"`)
        .replace('tag: 1.0.0', 'tag: 1.2.0')
        .replace(`short: ${D1}`, `short: ${D2}`),
    );
    expect(r.changes).toEqual([
      { file: 'values.yaml', line: 3, policy: 'app', old: D1, new: D2 },
      { file: 'values.yaml', line: 4, policy: 'app', old: '1.0.0', new: '1.2.0' },
      { file: 'values.yaml', line: 5, policy: 'app', old: D1, new: D2 },
    ]);
    // Applied again: nothing to do (no loop).
    expect(applyMarkers(r.text, 'values.yaml', 'team', policies).changes).toEqual([]);
  });

  it('leaves digest markers alone when the policy has no digest, still updating the tag', () => {
    const policies = new Map([['app', { name: 'reg.example/team/app', tag: '1.2.0' }]]);
    const r = applyMarkers(text, 'values.yaml', 'team', policies);
    expect(r.text).toBe(text.replace('tag: 1.0.0', 'tag: 1.2.0'));
    expect(r.changes.map((c) => c.line)).toEqual([4]);
  });

  it('a policy named "digest" is still addressable as ns:digest', () => {
    const policies = new Map([['digest', { name: 'reg.example/x', tag: '2', digest: D2 }]]);
    const r = applyMarkers(
      'v: reg.example/x:1 # {"$imagepolicy": "team:digest"}\n',
      'f.yaml',
      'team',
      policies,
    );
    expect(r.text).toBe('v: reg.example/x:2 # {"$imagepolicy": "team:digest"}\n');
  });
});

describe('value: digest setters', () => {
  const setter = { file: 'values.yaml', field: 'image.digest', policy: 'app', value: 'digest' as const };
  it('writes the digest into the named field', () => {
    const text = `image:\n  digest: ""\n  tag: 1.0.0\n`;
    const r = applySetter(text, setter, { name: 'reg.example/team/app', tag: '1.2.0', digest: D2 });
    expect(r.text).toBe(`image:\n  digest: "${D2}"\n  tag: 1.0.0\n`);
    expect(r.change).toMatchObject({ line: 2, old: '', new: D2 });
  });
  it('changes nothing without a digest', () => {
    const text = `image:\n  digest: ""\n`;
    expect(applySetter(text, setter, { name: 'reg.example/team/app', tag: '1.2.0' })).toEqual({ text });
  });
});
