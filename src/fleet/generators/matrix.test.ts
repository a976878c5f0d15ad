import { describe, expect, it } from 'vitest';
import type { ClusterInfo, GeneratorSpec } from '../types.js';
import { fakePorts, generatorError as rejection } from './fake-ports.js';
import { generate } from './generate.js';

const REPO = 'https://git.example/fleet.git';
const clusters: ClusterInfo[] = [
  { name: 'eu', server: 'https://eu', labels: { env: 'prod' } },
  { name: 'dev', server: 'https://dev', labels: { env: 'dev' } },
];
const repo = {
  'apps/web/base/k.yaml': '',
  'apps/web/prod/k.yaml': '',
  'apps/api/prod/k.yaml': '',
  'config/eu/config.json': '{"region":"eu-west"}',
  'config/dev/config.json': '{"region":"local"}',
};
const ports = () => fakePorts({ clusters, repos: { [REPO]: repo } });
const fast = { goTemplate: false };
const go = { goTemplate: true };

describe('matrix generator', () => {
  it('produces every combination, first child outermost', async () => {
    const spec: GeneratorSpec = {
      matrix: {
        generators: [{ clusters: {} }, { list: { elements: [{ app: 'web' }, { app: 'api' }] } }],
      },
    };
    const out = await generate(spec, ports(), fast);
    expect(out.map((p) => `${String(p.name)}/${String(p.app)}`)).toEqual([
      'dev/web',
      'dev/api',
      'eu/web',
      'eu/api',
      // No selector: Argo CD's implicit local cluster too.
      'in-cluster/web',
      'in-cluster/api',
    ]);
    expect(out[0]).toEqual({
      name: 'dev',
      nameNormalized: 'dev',
      server: 'https://dev',
      'metadata.labels.env': 'dev',
      app: 'web',
    });
  });

  it("renders the second child's spec with each set of the first (fasttemplate)", async () => {
    const spec: GeneratorSpec = {
      matrix: {
        generators: [
          { git: { repoURL: REPO, directories: [{ path: 'apps/*' }] } },
          {
            git: {
              repoURL: REPO,
              directories: [{ path: '{{path}}/*' }, { path: '{{path}}/base', exclude: true }],
              pathParamPrefix: 'env',
              values: { app: '{{path.basename}}-{{env.path.basename}}' },
            },
          },
        ],
      },
    };
    const p = ports();
    const out = await generate(spec, p, fast);
    expect(out.map((s) => s['env.path'])).toEqual(['apps/api/prod', 'apps/web/prod']);
    expect(out[1]).toMatchObject({ path: 'apps/web', 'env.path.basename': 'prod', 'values.app': 'web-prod' });
    expect(p.calls.filter((c) => c.startsWith('gitDirectories'))).toHaveLength(3);
  });

  it("renders the second child's spec with each set of the first (goTemplate)", async () => {
    const spec: GeneratorSpec = {
      matrix: {
        generators: [
          { clusters: { selector: { matchLabels: { env: 'prod' } } } },
          { git: { repoURL: REPO, files: [{ path: 'config/{{ .name }}/config.json' }] } },
        ],
      },
    };
    const out = await generate(spec, ports(), go);
    expect(out).toEqual([
      expect.objectContaining({
        name: 'eu',
        region: 'eu-west',
        path: expect.objectContaining({ path: 'config/eu' }),
      }),
    ]);
  });

  it('lets the first child win a conflict in goTemplate, merging nested maps', async () => {
    const spec: GeneratorSpec = {
      matrix: {
        generators: [
          { list: { elements: [{ env: 'prod', meta: { a: 1 } }] } },
          { list: { elements: [{ env: 'dev', meta: { a: 2, b: 3 }, other: true }] } },
        ],
      },
    };
    expect(await generate(spec, ports(), go)).toEqual([{ env: 'prod', meta: { a: 1, b: 3 }, other: true }]);
  });

  it('rejects a conflicting flat key in fasttemplate but accepts an equal one', async () => {
    const gen = (env: string): GeneratorSpec => ({ list: { elements: [{ env, x: '1' }] } });
    const same = await generate({ matrix: { generators: [gen('prod'), gen('prod')] } }, ports(), fast);
    expect(same).toEqual([{ env: 'prod', x: '1' }]);
    const err = await rejection(
      generate({ matrix: { generators: [gen('prod'), gen('dev')] } }, ports(), fast),
    );
    expect(err.message).toMatch(
      /^generators\[0\]\.matrix: matrix: parameter "env" is "prod" in generators\[0\] but "dev"/,
    );
  });

  it('requires exactly two children', async () => {
    const one = await rejection(generate({ matrix: { generators: [{ clusters: {} }] } }, ports(), fast));
    expect(one.message).toBe('generators[0].matrix: matrix needs exactly 2 child generators, got 1');
    const three = { matrix: { generators: [{ clusters: {} }, { clusters: {} }, { clusters: {} }] } };
    expect((await rejection(generate(three, ports(), fast))).message).toMatch(/got 3/);
  });

  it('names the nested generator whose spec references an unknown param', async () => {
    const spec: GeneratorSpec = {
      matrix: {
        generators: [
          { clusters: {} },
          { git: { repoURL: REPO, directories: [{ path: 'apps/{{ clustr }}' }] } },
        ],
      },
    };
    const err = await rejection(generate(spec, ports(), { goTemplate: false, path: 'generators[1]' }));
    expect(err.generatorPath).toBe('generators[1].matrix.generators[1].git');
    expect(err.message).toMatch(/git\.directories\[0\]\.path: unknown key "clustr"/);
  });

  it('applies selectors of the children and of the matrix itself', async () => {
    const spec: GeneratorSpec = {
      matrix: {
        generators: [
          { clusters: {}, selector: { matchLabels: { name: 'eu' } } },
          { list: { elements: [{ app: 'web' }, { app: 'api' }] } },
        ],
      },
      selector: { matchExpressions: [{ key: 'app', operator: 'NotIn', values: ['api'] }] },
    };
    const out = await generate(spec, ports(), fast);
    expect(out.map((p) => `${String(p.name)}/${String(p.app)}`)).toEqual(['eu/web']);
  });

  it('nests: a matrix as second child sees the outer params and its own first child', async () => {
    const spec: GeneratorSpec = {
      matrix: {
        generators: [
          { list: { elements: [{ team: 'a' }] } },
          {
            matrix: {
              generators: [
                { list: { elements: [{ app: '{{ .team }}-web' }] } },
                { list: { elements: [{ ns: '{{ .team }}-{{ .app }}' }] } },
              ],
            },
          },
        ],
      },
    };
    expect(await generate(spec, ports(), go)).toEqual([{ team: 'a', app: 'a-web', ns: 'a-a-web' }]);
  });
});
