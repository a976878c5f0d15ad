import { describe, expect, it } from 'vitest';
import type { ClusterInfo, GeneratorSpec } from '../types.js';
import { fakePorts, generatorError as rejection } from './fake-ports.js';
import { generate } from './generate.js';

const clusters: ClusterInfo[] = [
  { name: 'staging', server: 'https://1.2.3.4', labels: { 'use-kafka': 'false' } },
  { name: 'production', server: 'https://2.4.6.8', labels: { 'use-kafka': 'true' } },
];
const ports = () => fakePorts({ clusters });
const fast = { goTemplate: false };
const go = { goTemplate: true };

describe('merge generator', () => {
  // Argo CD's documented example: base clusters, an override for some, and a list for one.
  const spec: GeneratorSpec = {
    merge: {
      mergeKeys: ['server'],
      generators: [
        { clusters: { values: { kafka: 'true', redis: 'false' } } },
        { clusters: { selector: { matchLabels: { 'use-kafka': 'false' } }, values: { kafka: 'false' } } },
        {
          list: {
            elements: [{ server: 'https://2.4.6.8', 'values.redis': 'true' }, { server: 'https://9.9.9.9' }],
          },
        },
      ],
    },
  };

  it('overrides matching base sets, later children winning, and drops unmatched sets', async () => {
    const out = await generate(spec, ports(), fast);
    expect(out.map((p) => [p.name, p['values.kafka'], p['values.redis']])).toEqual([
      // The base child has no selector, so it lists Argo CD's implicit local cluster too.
      ['in-cluster', 'true', 'false'],
      ['production', 'true', 'true'],
      ['staging', 'false', 'false'],
    ]);
  });

  it('deep-merges nested params for goTemplate', async () => {
    const goSpec: GeneratorSpec = {
      merge: {
        mergeKeys: ['server'],
        generators: [
          { clusters: { values: { kafka: 'true', redis: 'false' } } },
          { list: { elements: [{ server: 'https://1.2.3.4', values: { redis: 'true' } }] } },
        ],
      },
    };
    const out = await generate(goSpec, ports(), go);
    expect(out.find((p) => p.name === 'staging')).toMatchObject({ values: { kafka: 'true', redis: 'true' } });
    expect(out.find((p) => p.name === 'production')).toMatchObject({
      values: { kafka: 'true', redis: 'false' },
    });
  });

  it('matches on every merge key, including dotted keys into nested params', async () => {
    const multi: GeneratorSpec = {
      merge: {
        mergeKeys: ['app', 'meta.env'],
        generators: [
          {
            list: {
              elements: [
                { app: 'web', meta: { env: 'prod' } },
                { app: 'web', meta: { env: 'dev' } },
              ],
            },
          },
          { list: { elements: [{ app: 'web', meta: { env: 'dev' }, replicas: 1 }] } },
        ],
      },
    };
    const out = await generate(multi, ports(), go);
    expect(out).toEqual([
      { app: 'web', meta: { env: 'prod' } },
      { app: 'web', meta: { env: 'dev' }, replicas: 1 },
    ]);
  });

  it('nests a matrix inside a merge', async () => {
    const nested: GeneratorSpec = {
      merge: {
        mergeKeys: ['name', 'app'],
        generators: [
          {
            matrix: {
              generators: [{ clusters: {} }, { list: { elements: [{ app: 'web' }, { app: 'api' }] } }],
            },
          },
          { list: { elements: [{ name: 'production', app: 'api', replicas: '5' }] } },
        ],
      },
    };
    const out = await generate(nested, ports(), fast);
    expect(out.map((p) => `${String(p.name)}/${String(p.app)}/${String(p.replicas ?? '-')}`)).toEqual([
      'in-cluster/web/-',
      'in-cluster/api/-',
      'production/web/-',
      'production/api/5',
      'staging/web/-',
      'staging/api/-',
    ]);
  });

  it('rejects two sets of one child with the same merge key values', async () => {
    const dup: GeneratorSpec = {
      merge: {
        mergeKeys: ['server'],
        generators: [
          { clusters: {} },
          { list: { elements: [{ server: 'https://1.2.3.4' }, { server: 'https://1.2.3.4' }] } },
        ],
      },
    };
    const err = await rejection(generate(dup, ports(), fast));
    expect(err.message).toMatch(
      /generators\[1\] produced two parameter sets with merge keys \["https:\/\/1\.2\.3\.4"\]/,
    );
  });

  it('requires merge keys and at least two children', async () => {
    const noKeys = { merge: { mergeKeys: [], generators: [{ clusters: {} }, { clusters: {} }] } };
    expect((await rejection(generate(noKeys, ports(), fast))).message).toMatch(/at least one merge key/);
    const oneChild = { merge: { mergeKeys: ['server'], generators: [{ clusters: {} }] } };
    expect((await rejection(generate(oneChild, ports(), fast))).message).toMatch(
      /at least 2 child generators, got 1/,
    );
  });

  it('names the failing child by its path', async () => {
    const bad: GeneratorSpec = {
      merge: {
        mergeKeys: ['server'],
        generators: [{ clusters: {} }, { matrix: { generators: [{ clusters: {} }] } }],
      },
    };
    const err = await rejection(generate(bad, ports(), fast));
    expect(err.generatorPath).toBe('generators[0].merge.generators[1].matrix');
  });
});
