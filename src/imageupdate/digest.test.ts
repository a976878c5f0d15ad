// `:digest` markers and `value: digest` setters write the policy's reflected manifest digest; while
// the policy has none (it does not reflect digests, or not yet) the whole update is refused with an
// error naming file, line, marker and policy, and no file is written.
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GitfleetError } from '../core/errors.js';
import { applyMarkers, applySetter, updateTree } from './setters.js';

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

  it('reports each digest marker the policy cannot fill, leaving those lines as they are', () => {
    const policies = new Map([
      ['app', { name: 'reg.example/team/app', tag: '1.2.0', digestReflection: 'Never' as const }],
    ]);
    const r = applyMarkers(text, 'values.yaml', 'team', policies);
    expect(r.text).toBe(text.replace('tag: 1.0.0', 'tag: 1.2.0'));
    expect(r.unavailable).toEqual([
      { file: 'values.yaml', line: 3, marker: 'team:app:digest', policy: 'app', reflection: 'Never' },
      { file: 'values.yaml', line: 5, marker: 'app:digest', policy: 'app', reflection: 'Never' },
    ]);
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
  it('changes nothing without a digest and says where the digest was asked for', () => {
    const text = `image:\n  tag: 1.0.0\n  digest: ""\n`;
    expect(applySetter(text, setter, { name: 'reg.example/team/app', tag: '1.2.0' })).toEqual({
      text,
      unavailable: {
        file: 'values.yaml',
        line: 3,
        marker: 'field image.digest (value: digest)',
        policy: 'app',
        reflection: 'Never',
      },
    });
  });
});

describe('a digest the policy cannot give', () => {
  async function tree(files: Record<string, string>): Promise<string> {
    const root = await mkdtemp(join(tmpdir(), 'gitfleet-digest-'));
    for (const [f, t] of Object.entries(files)) {
      await mkdir(join(root, f, '..'), { recursive: true });
      await writeFile(join(root, f), t);
    }
    return root;
  }

  it('refuses the whole update, naming file, line, marker, policy and the fix; no file is written', async () => {
    const deploy = 'image: reg.example/team/web:1.0.0 # {"$imagepolicy": "team:web"}\n';
    const values = `image:\n  tag: 1.0.0 # {"$imagepolicy": "team:app:tag"}\n  digest: "" # {"$imagepolicy": "team:app:digest"}\n`;
    const root = await tree({ 'deploy/a.yaml': deploy, 'deploy/values.yaml': values });
    try {
      const err = await updateTree(root, {
        path: 'deploy',
        namespace: 'team',
        policies: new Map([
          ['web', { name: 'reg.example/team/web', tag: '2.0.0' }],
          ['app', { name: 'reg.example/team/app', tag: '1.2.0', digestReflection: 'Never' as const }],
        ]),
      }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(GitfleetError);
      expect((err as GitfleetError).code).toBe('image.DigestUnavailable');
      const msg = (err as Error).message;
      expect(msg).toContain('deploy/values.yaml:3');
      expect(msg).toContain('team:app:digest');
      expect(msg).toContain('ImagePolicy team/app');
      expect(msg).toContain('spec.digestReflectionPolicy is Never');
      expect(msg).toContain('IfNotPresent or Always');
      expect(msg).toContain('nothing was written');
      // Neither the file with the marker nor the unrelated one was touched.
      expect(await readFile(join(root, 'deploy/values.yaml'), 'utf8')).toBe(values);
      expect(await readFile(join(root, 'deploy/a.yaml'), 'utf8')).toBe(deploy);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('a policy that reflects digests but has none yet is named as not looked up yet', async () => {
    const root = await tree({ 'v.yaml': 'd: x # {"$imagepolicy": "team:app:digest"}\n' });
    try {
      const err = await updateTree(root, {
        namespace: 'team',
        policies: new Map([
          ['app', { name: 'reg.example/team/app', tag: '1.2.0', digestReflection: 'IfNotPresent' as const }],
        ]),
      }).catch((e: unknown) => e);
      expect((err as Error).message).toMatch(/v\.yaml:1: .*no digest in status\.latestRef yet/u);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('a setter asking for a digest refuses the update too', async () => {
    const root = await tree({ 'values.yaml': 'image:\n  digest: ""\n' });
    try {
      const err = await updateTree(root, {
        namespace: 'team',
        setters: [{ file: 'values.yaml', field: 'image.digest', policy: 'app', value: 'digest' }],
        policies: new Map([['app', { name: 'reg.example/team/app', tag: '1.2.0' }]]),
      }).catch((e: unknown) => e);
      expect((err as Error).message).toContain('values.yaml:2: field image.digest (value: digest)');
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
