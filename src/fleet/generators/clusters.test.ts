import { describe, expect, it } from 'vitest';
import type { ClusterInfo } from '../types.js';
import { fakePorts, generatorError as rejection } from './fake-ports.js';
import { generate } from './generate.js';

const fast = { goTemplate: false };
const go = { goTemplate: true };

describe('clusters generator', () => {
  const clusters: ClusterInfo[] = [
    { name: 'prod_EU', server: 'https://eu:6443', labels: { env: 'prod' }, annotations: { owner: 'sre' } },
    { name: 'dev', server: 'https://dev:6443', labels: { env: 'dev' } },
    { name: 'canary', server: 'https://canary:6443', labels: { env: 'prod', canary: 'true' } },
  ];
  const ports = () => fakePorts({ clusters });

  it('produces flat params per cluster, sorted by name', async () => {
    const out = await generate({ clusters: {} }, ports(), fast);
    expect(out.map((p) => p.name)).toEqual(['canary', 'dev', 'prod_EU']);
    expect(out[2]).toEqual({
      name: 'prod_EU',
      nameNormalized: 'prod-eu',
      server: 'https://eu:6443',
      'metadata.labels.env': 'prod',
      'metadata.annotations.owner': 'sre',
    });
  });

  it('nests metadata for goTemplate', async () => {
    const [first] = await generate({ clusters: { selector: { matchLabels: { env: 'dev' } } } }, ports(), go);
    expect(first).toEqual({
      name: 'dev',
      nameNormalized: 'dev',
      server: 'https://dev:6443',
      metadata: { labels: { env: 'dev' }, annotations: {} },
    });
  });

  it('filters by label selector', async () => {
    const sel = {
      matchLabels: { env: 'prod' },
      matchExpressions: [{ key: 'canary', operator: 'DoesNotExist' as const }],
    };
    const out = await generate({ clusters: { selector: sel } }, ports(), fast);
    expect(out.map((p) => p.name)).toEqual(['prod_EU']);
  });

  it('adds values rendered against each cluster', async () => {
    const spec = { clusters: { values: { ns: '{{nameNormalized}}-apps', env: '{{metadata.labels.env}}' } } };
    const out = await generate(spec, ports(), fast);
    expect(out[2]).toMatchObject({ 'values.ns': 'prod-eu-apps', 'values.env': 'prod' });
    const nested = await generate({ clusters: { values: { ns: '{{ .name | lower }}' } } }, ports(), go);
    expect(nested[2]).toMatchObject({ values: { ns: 'prod_eu' } });
  });

  it('names the value whose template fails', async () => {
    const err = await rejection(generate({ clusters: { values: { ns: '{{ nope }}' } } }, ports(), fast));
    expect(err.message).toMatch(/^generators\[0\]\.clusters: values\.ns: unknown key "nope"/);
  });

  it('rejects an invalid selector', async () => {
    const sel = { matchExpressions: [{ key: 'env', operator: 'In' as const }] };
    const err = await rejection(generate({ clusters: { selector: sel } }, ports(), fast));
    expect(err.message).toMatch(/clusters\.selector\.matchExpressions\[0\].*needs at least one value/);
  });

  it('wraps a failing port as a transient error keeping the cause', async () => {
    const boom = new Error('apiserver down');
    const broken = { ...ports(), clusters: () => Promise.reject(boom) };
    const err = await rejection(generate({ clusters: {} }, broken, fast));
    expect(err).toMatchObject({ transient: true, cause: boom, generatorPath: 'generators[0].clusters' });
    expect(err.message).toMatch(/listing clusters: apiserver down/);
  });
});
