import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../kube/types.js';
import { RenderError } from '../errors.js';
import type { Manifest } from '../manifest.js';
import { OWNER_ANNOTATION, OWNER_LABEL, ownerId } from './ownership.js';
import { planSync } from './plan.js';

const obj = (
  apiVersion: string,
  kind: string,
  name: string,
  annotations?: Record<string, string>,
  namespace?: string,
): KubeObject => ({
  apiVersion,
  kind,
  metadata: { name, ...(namespace ? { namespace } : {}), ...(annotations ? { annotations } : {}) },
});
const m = (o: KubeObject, line = 1): Manifest => ({ object: o, origin: { file: `${o.kind}.yaml`, line } });
const clusterScoped = new Set(['Namespace', 'ClusterRole', 'CustomResourceDefinition']);
const plan = (manifests: Manifest[], previous = [] as Parameters<typeof planSync>[0]['previousInventory']) =>
  planSync({
    manifests,
    owner: 'apps/web',
    defaultNamespace: 'dest',
    isNamespaced: (_a, k) => (k === 'Widget' ? undefined : !clusterScoped.has(k)),
    previousInventory: previous,
  });
const order = (p: ReturnType<typeof plan>): string[] =>
  p.steps.flatMap((s) =>
    s.tasks.map((t) => `${s.phase}:${s.wave}:${t.object.kind}/${t.object.metadata.name}`),
  );

describe('planSync', () => {
  it('orders by phase, then wave, then kind, with Namespaces and CRDs before everything', () => {
    const p = plan([
      m(obj('apps/v1', 'Deployment', 'web', { 'gitfleet.dev/sync-wave': '-1' })),
      m(obj('v1', 'ConfigMap', 'cfg', { 'gitfleet.dev/sync-wave': '-1' })),
      m(obj('batch/v1', 'Job', 'migrate', { 'gitfleet.dev/hook': 'PreSync' })),
      m(obj('batch/v1', 'Job', 'smoke', { 'argocd.argoproj.io/hook': 'PostSync' })),
      m(obj('v1', 'Service', 'web')),
      m(obj('v1', 'Namespace', 'dest', { 'gitfleet.dev/sync-wave': '5' })),
      m(obj('apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'widgets.example.com')),
    ]);
    const min = Number.MIN_SAFE_INTEGER;
    expect(order(p)).toEqual([
      `PreSync:${min}:Namespace/dest`,
      `PreSync:${min}:CustomResourceDefinition/widgets.example.com`,
      'PreSync:0:Job/migrate',
      'Sync:-1:ConfigMap/cfg',
      'Sync:-1:Deployment/web',
      'Sync:0:Service/web',
      'PostSync:0:Job/smoke',
    ]);
  });

  it('orders within a kind by code units, the same on every machine whatever its locale', () => {
    // A collator (localeCompare) puts `a1` before `B`, letters first and case second; kubectl and
    // Go order by bytes: upper case before lower case, `-` and `.` before digits and letters.
    const p = plan([
      m(obj('v1', 'ConfigMap', 'b')),
      m(obj('v1', 'ConfigMap', 'a.b')),
      m(obj('v1', 'ConfigMap', 'B')),
      m(obj('v1', 'ConfigMap', 'a-b')),
      m(obj('v1', 'ConfigMap', 'a1')),
      m(obj('example.com/v1', 'gadget', 'g')),
      m(obj('example.com/v1', 'Gadget', 'g')),
    ]);
    expect(order(p)).toEqual([
      'Sync:0:ConfigMap/B',
      'Sync:0:ConfigMap/a-b',
      'Sync:0:ConfigMap/a.b',
      'Sync:0:ConfigMap/a1',
      'Sync:0:ConfigMap/b',
      'Sync:0:Gadget/g',
      'Sync:0:gadget/g',
    ]);
  });

  it('stamps ownership, defaults namespaces, and strips them from cluster-scoped objects', () => {
    const p = plan([
      m(obj('v1', 'ConfigMap', 'cfg')),
      m(obj('rbac.authorization.k8s.io/v1', 'ClusterRole', 'r', undefined, 'oops')),
    ]);
    const tasks = p.steps.flatMap((s) => s.tasks);
    const cm = tasks.find((t) => t.object.kind === 'ConfigMap')?.object;
    const role = tasks.find((t) => t.object.kind === 'ClusterRole')?.object;
    expect(cm?.metadata.namespace).toBe('dest');
    expect(cm?.metadata.annotations?.[OWNER_ANNOTATION]).toBe('apps/web');
    expect(cm?.metadata.labels?.[OWNER_LABEL]).toBe(ownerId('apps/web'));
    expect(role?.metadata.namespace).toBeUndefined();
  });

  it('reads the scope of a custom resource from a CRD in the same render', () => {
    const crd: KubeObject = {
      ...obj('apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'widgets.example.com'),
      spec: { group: 'example.com', names: { kind: 'Widget' }, scope: 'Namespaced' },
    };
    const p = plan([m(crd), m(obj('example.com/v1', 'Widget', 'w'))]);
    const w = p.steps.flatMap((s) => s.tasks).find((t) => t.object.kind === 'Widget');
    expect(w?.object.metadata.namespace).toBe('dest');
  });

  it('prunes only what the previous inventory holds and Git no longer declares; hooks are never inventoried', () => {
    const p = plan(
      [
        m(obj('v1', 'ConfigMap', 'keep')),
        m(obj('batch/v1', 'Job', 'hook', { 'gitfleet.dev/hook': 'PreSync' })),
      ],
      [
        { group: '', version: 'v1', kind: 'ConfigMap', namespace: 'dest', name: 'keep' },
        { group: '', version: 'v1', kind: 'ConfigMap', namespace: 'dest', name: 'gone' },
      ],
    );
    expect(p.prune.map((e) => e.name)).toEqual(['gone']);
    expect(p.inventory.map((e) => `${e.kind}/${e.name}`)).toEqual(['ConfigMap/keep']);
  });

  it('rejects an object declared twice, naming both places', () => {
    expect(() => plan([m(obj('v1', 'ConfigMap', 'a'), 3), m(obj('v1', 'ConfigMap', 'a'), 9)])).toThrowError(
      /ConfigMap\.yaml:9: .*declared twice \(also at ConfigMap\.yaml:3\)/,
    );
  });

  it('rejects a bad wave or hook annotation with the file and line', () => {
    expect(() =>
      plan([m(obj('v1', 'ConfigMap', 'a', { 'gitfleet.dev/sync-wave': 'soon' }), 4)]),
    ).toThrowError(RenderError);
    expect(() =>
      plan([m(obj('v1', 'ConfigMap', 'a', { 'gitfleet.dev/sync-wave': 'soon' }), 4)]),
    ).toThrowError(/ConfigMap\.yaml:4: .*not an integer/);
    expect(() =>
      plan([m(obj('batch/v1', 'Job', 'j', { 'gitfleet.dev/hook': 'Sometimes' }), 2)]),
    ).toThrowError(/unknown phase "Sometimes"/);
  });

  it('skips objects whose hook annotation says Skip and puts SyncFail hooks aside', () => {
    const p = plan([
      m(obj('v1', 'ConfigMap', 'skipped', { 'gitfleet.dev/hook': 'Skip' })),
      m(obj('batch/v1', 'Job', 'cleanup', { 'gitfleet.dev/hook': 'SyncFail' })),
    ]);
    expect(order(p)).toEqual([]);
    expect(p.syncFail.flatMap((s) => s.tasks.map((t) => t.object.metadata.name))).toEqual(['cleanup']);
  });
});
