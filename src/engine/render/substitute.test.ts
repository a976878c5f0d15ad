import { describe, expect, it } from 'vitest';
import type { Manifest } from '../manifest.js';
import { clusterVariables, substituteManifests, substituteText } from './substitute.js';

const cm = (data: Record<string, unknown>, annotations?: Record<string, string>): Manifest => ({
  object: {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'cfg', ...(annotations ? { annotations } : {}) },
    data,
  } as Manifest['object'],
  origin: { file: 'base/cm.yaml', line: 1 },
});

describe('substitute', () => {
  const vars = new Map([
    ['region', 'eu-west-1'],
    ['count', '3'],
    ['empty', ''],
  ]);

  it('replaces ${var}, uses defaults for unset or empty variables, keeps escapes and bare $var', () => {
    expect(substituteText('${region} ${zone:=a} ${empty:-x} $${region} $HOME', vars, 'f')).toBe(
      'eu-west-1 a x ${region} $HOME',
    );
  });

  it('retypes values as Flux does (YAML written, substituted and read back)', () => {
    const [out] = substituteManifests(
      [
        {
          object: {
            apiVersion: 'apps/v1',
            kind: 'Deployment',
            metadata: { name: 'web' },
            spec: { replicas: '${count}' },
          },
          origin: { file: 'd.yaml', line: 1 },
        },
      ],
      vars,
    );
    expect((out?.object as unknown as { spec: { replicas: unknown } }).spec.replicas).toBe(3);
  });

  it('names the file, the object and the variable when one is missing, and returns nothing', () => {
    expect(() => substituteManifests([cm({ a: '${region}' }), cm({ b: '${cluster_zone}' })], vars)).toThrow(
      /base\/cm\.yaml: ConfigMap cfg: variable cluster_zone is not set/,
    );
  });

  it('leaves objects with substitution disabled alone', () => {
    const m = cm({ a: '${nope}' }, { 'kustomize.toolkit.fluxcd.io/substitute': 'disabled' });
    expect(substituteManifests([m], vars)[0]).toBe(m);
  });

  it('refuses a malformed reference by name', () => {
    expect(() => substituteText('${a b}', vars, 'x.yaml')).toThrow(/x\.yaml: .*not a variable reference/);
  });

  it("turns the Cluster's labels and annotations into cluster_ variables; labels win", () => {
    const v = clusterVariables({
      name: 'edge-1',
      labels: { region: 'eu', 'topology.kubernetes.io/zone': 'b' },
      annotations: { region: 'ignored', owner: 'team-a' },
    });
    expect(Object.fromEntries(v)).toEqual({
      cluster_region: 'eu',
      cluster_topology_kubernetes_io_zone: 'b',
      cluster_owner: 'team-a',
      cluster_name: 'edge-1',
    });
  });
});
