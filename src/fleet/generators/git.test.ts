import { describe, expect, it } from 'vitest';
import { fakePorts, generatorError as rejection } from './fake-ports.js';
import { generate } from './generate.js';

const REPO = 'https://git.example/fleet.git';
const files: Record<string, string> = {
  'apps/web/kustomization.yaml': '',
  'apps/api_v2/kustomization.yaml': '',
  'apps/legacy/kustomization.yaml': '',
  'apps/web/overlays/prod/kustomization.yaml': '',
  'apps/.hidden/x.yaml': '',
  'clusters/eu/prod/config.json': '{"cluster":{"name":"eu-prod","address":"https://1.2.3.4"},"replicas":3}',
  'clusters/us/config.yaml': '- name: us-1\n  tier: gold\n- name: us-2\n  tier: silver\n',
  'clusters/empty/config.yaml': '',
  'root.yaml': 'name: root\n',
  'broken/config.yaml': 'a: [1, 2\n',
  'scalar/config.yaml': '42\n',
};
const ports = () => fakePorts({ repos: { [REPO]: files } });
const fast = { goTemplate: false };
const go = { goTemplate: true };

describe('git directory generator', () => {
  it('matches one level with *, skips hidden directories, and sorts', async () => {
    const out = await generate({ git: { repoURL: REPO, directories: [{ path: 'apps/*' }] } }, ports(), fast);
    expect(out.map((p) => p.path)).toEqual(['apps/api_v2', 'apps/legacy', 'apps/web']);
    expect(out[0]).toEqual({
      path: 'apps/api_v2',
      'path.basename': 'api_v2',
      'path.basenameNormalized': 'api-v2',
      'path[0]': 'apps',
      'path[1]': 'api_v2',
    });
  });

  it('crosses directories with **', async () => {
    const out = await generate(
      { git: { repoURL: REPO, directories: [{ path: 'apps/web/**' }] } },
      ports(),
      fast,
    );
    expect(out.map((p) => p.path)).toEqual(['apps/web/overlays', 'apps/web/overlays/prod']);
  });

  it('lets exclude entries win over includes whatever their order', async () => {
    const directories = [
      { path: 'apps/legacy', exclude: true },
      { path: 'apps/*' },
      { path: 'apps/[w]*', exclude: true },
    ];
    const out = await generate({ git: { repoURL: REPO, directories } }, ports(), fast);
    expect(out.map((p) => p.path)).toEqual(['apps/api_v2']);
  });

  it('gives goTemplate a nested path map with segments', async () => {
    const [first] = await generate(
      { git: { repoURL: REPO, directories: [{ path: 'apps/web' }] } },
      ports(),
      go,
    );
    expect(first).toEqual({
      path: { path: 'apps/web', basename: 'web', basenameNormalized: 'web', segments: ['apps', 'web'] },
    });
  });

  it('puts path params under pathParamPrefix in both modes', async () => {
    const git = { repoURL: REPO, directories: [{ path: 'apps/web' }], pathParamPrefix: 'app' };
    const [flat] = await generate({ git }, ports(), fast);
    expect(Object.keys(flat ?? {})).toEqual([
      'app.path',
      'app.path.basename',
      'app.path.basenameNormalized',
      'app.path[0]',
      'app.path[1]',
    ]);
    const [nested] = await generate({ git }, ports(), go);
    expect(nested).toMatchObject({ app: { path: { basename: 'web' } } });
  });

  it('reads HEAD unless a revision is given', async () => {
    const p = ports();
    await generate({ git: { repoURL: REPO, directories: [{ path: 'apps/*' }] } }, p, fast);
    await generate(
      { git: { repoURL: REPO, revision: 'v1.2.0', directories: [{ path: 'apps/*' }] } },
      p,
      fast,
    );
    expect(p.calls).toEqual([`gitDirectories ${REPO}@HEAD`, `gitDirectories ${REPO}@v1.2.0`]);
  });

  it('adds values rendered against each directory', async () => {
    const git = {
      repoURL: REPO,
      directories: [{ path: 'apps/web' }],
      values: { ns: 'team-{{path.basename}}' },
    };
    expect(await generate({ git }, ports(), fast)).toEqual([
      expect.objectContaining({ 'values.ns': 'team-web' }),
    ]);
  });

  it('rejects a bad glob naming the entry', async () => {
    const err = await rejection(
      generate({ git: { repoURL: REPO, directories: [{ path: 'apps/[' }] } }, ports(), fast),
    );
    expect(err.message).toMatch(/^generators\[0\]\.git: git\.directories\[0\]\.path: unclosed "\["/);
  });

  it('fails when the repository cannot be read', async () => {
    const err = await rejection(
      generate({ git: { repoURL: 'https://nope', directories: [{ path: '*' }] } }, ports(), fast),
    );
    expect(err.message).toMatch(
      /listing directories of https:\/\/nope@HEAD: repository https:\/\/nope not found/,
    );
    expect(err.transient).toBe(true);
  });

  it('requires exactly one of directories and files', async () => {
    const both = { repoURL: REPO, directories: [{ path: '*' }], files: [{ path: '*.yaml' }] };
    expect((await rejection(generate({ git: both }, ports(), fast))).message).toMatch(
      /exactly one of "directories" and "files"/,
    );
    expect((await rejection(generate({ git: { repoURL: REPO } }, ports(), fast))).message).toMatch(
      /exactly one/,
    );
  });
});

describe('git file generator', () => {
  it('flattens a JSON object and adds the file directory params', async () => {
    const out = await generate(
      { git: { repoURL: REPO, files: [{ path: 'clusters/**/config.json' }] } },
      ports(),
      fast,
    );
    expect(out).toEqual([
      {
        'cluster.name': 'eu-prod',
        'cluster.address': 'https://1.2.3.4',
        replicas: '3',
        path: 'clusters/eu/prod',
        'path.basename': 'prod',
        'path.basenameNormalized': 'prod',
        'path.filename': 'config.json',
        'path.filenameNormalized': 'config.json',
        'path[0]': 'clusters',
        'path[1]': 'eu',
        'path[2]': 'prod',
      },
    ]);
  });

  it('produces one set per list item and one for an empty file, sorted by path', async () => {
    const out = await generate(
      { git: { repoURL: REPO, files: [{ path: 'clusters/*/config.yaml' }] } },
      ports(),
      fast,
    );
    expect(out.map((p) => [p.path, p.name ?? null, p.tier ?? null])).toEqual([
      ['clusters/empty', null, null],
      ['clusters/us', 'us-1', 'gold'],
      ['clusters/us', 'us-2', 'silver'],
    ]);
  });

  it('keeps file values nested for goTemplate and describes the file in path', async () => {
    const out = await generate(
      { git: { repoURL: REPO, files: [{ path: 'clusters/eu/prod/config.json' }] } },
      ports(),
      go,
    );
    expect(out).toEqual([
      {
        cluster: { name: 'eu-prod', address: 'https://1.2.3.4' },
        replicas: 3,
        path: {
          path: 'clusters/eu/prod',
          basename: 'prod',
          basenameNormalized: 'prod',
          filename: 'config.json',
          filenameNormalized: 'config.json',
          segments: ['clusters', 'eu', 'prod'],
        },
      },
    ]);
  });

  it('describes a file at the repository root with path "."', async () => {
    const [root] = await generate({ git: { repoURL: REPO, files: [{ path: 'root.yaml' }] } }, ports(), fast);
    expect(root).toMatchObject({
      name: 'root',
      path: '.',
      'path.basename': '.',
      'path[0]': '.',
      'path.filename': 'root.yaml',
    });
  });

  it('de-duplicates files matched by several entries and applies excludes', async () => {
    const p = ports();
    const entries = [
      { path: 'clusters/**/config.*' },
      { path: 'clusters/us/*' },
      { path: 'clusters/empty/*', exclude: true },
    ];
    const out = await generate({ git: { repoURL: REPO, files: entries } }, p, fast);
    expect(out.map((s) => s.name ?? s['cluster.name'])).toEqual(['eu-prod', 'us-1', 'us-2']);
    expect(p.calls).toHaveLength(2);
  });

  it('names the file it cannot parse', async () => {
    const err = await rejection(
      generate({ git: { repoURL: REPO, files: [{ path: 'broken/*' }] } }, ports(), fast),
    );
    expect(err.message).toMatch(/^generators\[0\]\.git: broken\/config\.yaml: not valid JSON or YAML/);
    expect(err.transient).toBe(false);
    const scalar = await rejection(
      generate({ git: { repoURL: REPO, files: [{ path: 'scalar/*' }] } }, ports(), fast),
    );
    expect(scalar.message).toMatch(/scalar\/config\.yaml: must hold a map or a list of maps/);
  });

  it('re-checks the port result against the glob', async () => {
    const p = ports();
    const loose = { ...p, gitFiles: async () => [{ path: 'elsewhere/config.json', content: '{}' }] };
    expect(
      await generate({ git: { repoURL: REPO, files: [{ path: 'clusters/*.json' }] } }, loose, fast),
    ).toEqual([]);
  });
});
