import { describe, expect, it } from 'vitest';
import { earlyAndLate, fastProperties, sameHiddenClass } from '../../test/harness/hidden-class.js';
import type { KubeObject } from './types.js';
import { versionOnly, withoutManagedFields } from './slim.js';

describe('versionOnly', () => {
  const input = (i: number): unknown => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: `cm-${i}`,
      namespace: 'n',
      resourceVersion: String(i),
      uid: `u-${i}`,
      labels: { a: 'b' },
    },
    data: { k: 'v' },
  });

  it('keeps the identity and resourceVersion only', () => {
    expect(versionOnly(JSON.parse(JSON.stringify(input(7))))).toEqual({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'cm-7', namespace: 'n', resourceVersion: '7' },
    });
    expect(versionOnly({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'x' } }).metadata).toEqual({
      name: 'x',
    });
  });

  it('copies made by the thousand share one hidden class (a watch holds one per object)', () => {
    const [copiesEarly, copiesLate] = earlyAndLate(input, versionOnly);
    expect(sameHiddenClass(copiesEarly.metadata, copiesLate.metadata)).toBe(true);
    expect(sameHiddenClass(copiesEarly, copiesLate)).toBe(true);
  });
});

describe('withoutManagedFields', () => {
  // As the API server writes a custom resource: keys sorted, so managedFields sits mid-object.
  const input = (i: number): unknown => ({
    apiVersion: 'gitfleet.dev/v1alpha1',
    kind: 'Application',
    metadata: {
      annotations: { a: 'b' },
      creationTimestamp: '2026-12-04T00:00:00Z',
      generation: 1,
      managedFields: [{ manager: 'kubectl', operation: 'Apply' }],
      name: `app-${i}`,
      namespace: 'gitfleet-system',
      resourceVersion: String(i),
      uid: `u-${i}`,
    },
    spec: { project: 'default' },
  });

  it('drops managedFields and keeps the rest, members and order', () => {
    const o = withoutManagedFields(JSON.parse(JSON.stringify(input(3))) as KubeObject);
    expect(Object.keys(o.metadata)).toEqual([
      'annotations',
      'creationTimestamp',
      'generation',
      'name',
      'namespace',
      'resourceVersion',
      'uid',
    ]);
    expect(o.spec).toEqual({ project: 'default' });
  });

  it('leaves metadata in fast mode with a shared hidden class, where deleting the member would not', () => {
    const [keptEarly, keptLate] = earlyAndLate(input, withoutManagedFields<KubeObject>);
    expect(fastProperties(keptLate.metadata)).toBe(true);
    expect(sameHiddenClass(keptEarly.metadata, keptLate.metadata)).toBe(true);
    const [, deletedLate] = earlyAndLate(input, (o: KubeObject) => {
      delete o.metadata.managedFields;
      return o;
    });
    expect(fastProperties(deletedLate.metadata)).toBe(false);
  });
});
