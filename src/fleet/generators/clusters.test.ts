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
    // No selector: Argo CD's implicit local cluster is listed too (see below).
    expect(out.map((p) => p.name)).toEqual(['canary', 'dev', 'in-cluster', 'prod_EU']);
    expect(out[3]).toEqual({
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
    // Selecting on `env` leaves out the label-less implicit in-cluster, whose `env` is unknown.
    const selector = { matchExpressions: [{ key: 'env', operator: 'Exists' as const }] };
    const spec = {
      clusters: { selector, values: { ns: '{{nameNormalized}}-apps', env: '{{metadata.labels.env}}' } },
    };
    const out = await generate(spec, ports(), fast);
    expect(out[2]).toMatchObject({ 'values.ns': 'prod-eu-apps', 'values.env': 'prod' });
    const nested = await generate({ clusters: { values: { ns: '{{ .name | lower }}' } } }, ports(), go);
    expect(nested[3]).toMatchObject({ values: { ns: 'prod_eu' } });
  });

  it("lists Argo CD's implicit in-cluster only when no Cluster registers it and nothing is selected", async () => {
    const local = {
      name: 'in-cluster',
      nameNormalized: 'in-cluster',
      server: 'https://kubernetes.default.svc',
      metadata: { labels: {}, annotations: {} },
    };
    const all = await generate({ clusters: {} }, ports(), go);
    expect(all.find((p) => p.name === 'in-cluster')).toEqual(local);
    // An empty selector selects nothing, so it is still listed.
    const empty = await generate({ clusters: { selector: {} } }, ports(), go);
    expect(empty.map((p) => p.name)).toContain('in-cluster');
    // Any label selector leaves it out: it has no labels to match.
    const none = await generate(
      { clusters: { selector: { matchExpressions: [{ key: 'env', operator: 'DoesNotExist' }] } } },
      ports(),
      go,
    );
    expect(none.map((p) => p.name)).toEqual([]);
    // A registered Cluster for the local API server (any spelling of the URL) replaces it.
    const registered: ClusterInfo[] = [
      ...clusters,
      { name: 'hub', server: 'HTTPS://kubernetes.default.svc:443/', labels: { env: 'hub' } },
    ];
    const withHub = await generate({ clusters: {} }, fakePorts({ clusters: registered }), go);
    expect(withHub.map((p) => p.name)).toEqual(['canary', 'dev', 'hub', 'prod_EU']);
    const named: ClusterInfo[] = [{ name: 'in-cluster', server: 'https://10.0.0.1:6443', labels: {} }];
    const withNamed = await generate({ clusters: {} }, fakePorts({ clusters: named }), go);
    expect(withNamed.map((p) => p.server)).toEqual(['https://10.0.0.1:6443']);
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
