import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../kube/types.js';
import { CompareMemo } from './memo.js';

const desired: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm', namespace: 'n' } };
const inputs = { object: desired, ignore: [], takeover: false };
const live = (extra: Partial<KubeObject> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: {
    name: 'cm',
    namespace: 'n',
    uid: 'u',
    resourceVersion: '7',
    managedFields: [
      { manager: 'gitfleet', operation: 'Apply', fieldsType: 'FieldsV1', fieldsV1: { 'f:data': {} } },
    ],
  },
  data: { k: 'v' },
  ...extra,
});

describe('CompareMemo: what it keeps of a live object found equal', () => {
  it('answers while the resourceVersion and the inputs are the same, without managedFields or values', () => {
    const memo = new CompareMemo();
    memo.remember('a/x', 'k', inputs, live({ binaryData: { b: 'AA==' } } as Partial<KubeObject>));
    const hit = memo.lookup('a/x', 'k', inputs, '7');
    expect(hit?.metadata.managedFields).toBeUndefined();
    // A ConfigMap's values, like a Secret's, are not health: the memo does not hold them.
    expect(hit).toEqual({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'cm', namespace: 'n', uid: 'u', resourceVersion: '7' },
    });
    expect(memo.lookup('a/x', 'k', inputs, '8')).toBeUndefined();
    expect(memo.lookup('a/x', 'k', { ...inputs, takeover: true }, '7')).toBeUndefined();
  });

  it('keeps no Secret values', () => {
    const memo = new CompareMemo();
    const secret = {
      ...live(),
      kind: 'Secret',
      data: { password: 'c2VjcmV0' },
      stringData: { p: 'x' },
    } as KubeObject;
    memo.remember('a/x', 's', inputs, secret);
    const kept = memo.known('a/x', 's') as KubeObject & { data?: unknown; stringData?: unknown };
    expect(kept.data).toBeUndefined();
    expect(kept.stringData).toBeUndefined();
    expect(kept.metadata.managedFields).toBeUndefined();
  });

  it("keeps a ConfigMap's values when a custom health check reads its kind, never a Secret's", () => {
    const memo = new CompareMemo();
    const check = () => ({ status: 'Healthy' as const });
    const health = {
      overrides: new Map([
        ['ConfigMap', check],
        ['Secret', check],
      ]),
    };
    memo.remember('a/x', 'k', { ...inputs, health }, live());
    expect((memo.known('a/x', 'k') as KubeObject & { data?: unknown }).data).toEqual({ k: 'v' });
    // Other kinds' checks do not keep them.
    memo.remember(
      'a/x',
      'k',
      { ...inputs, health: { overrides: new Map([['apps/Deployment', check]]) } },
      live(),
    );
    expect((memo.known('a/x', 'k') as KubeObject & { data?: unknown }).data).toBeUndefined();
    memo.remember('a/x', 's', { ...inputs, health }, {
      ...live(),
      kind: 'Secret',
      data: { p: 'c2VjcmV0' },
    } as KubeObject);
    expect((memo.known('a/x', 's') as KubeObject & { data?: unknown }).data).toBeUndefined();
    // What is kept does not change what compares equal: the same inputs hit either way.
    expect(memo.lookup('a/x', 'k', inputs, '7')).toBeDefined();
  });

  it('keeps the state of other kinds whole (health is assessed on it)', () => {
    const memo = new CompareMemo();
    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'd', namespace: 'n', uid: 'u', resourceVersion: '3', generation: 2 },
      spec: { replicas: 2 },
      status: { observedGeneration: 2, replicas: 2, availableReplicas: 2 },
    } as KubeObject;
    memo.remember('a/x', 'd', inputs, deployment);
    expect(memo.known('a/x', 'd')).toEqual(deployment);
    // A custom kind that happens to have a data member keeps it: only core payload kinds drop it.
    const custom = {
      ...deployment,
      apiVersion: 'example.com/v1',
      kind: 'ConfigMap',
      data: { x: 1 },
    } as KubeObject;
    memo.remember('a/x', 'c', inputs, custom);
    expect((memo.known('a/x', 'c') as KubeObject & { data?: unknown }).data).toEqual({ x: 1 });
  });

  it('forgets an object, or an owner whole, and counts what it holds', () => {
    const memo = new CompareMemo();
    memo.remember('a/x', 'k1', inputs, live());
    memo.remember('a/x', 'k2', inputs, live());
    memo.remember('a/y', 'k1', inputs, live());
    memo.remember('a/y', 'k1', inputs, live()); // the same object again: still one entry
    expect(memo.size).toBe(3);
    memo.forget('a/x', 'k1');
    memo.forget('a/x', 'absent');
    expect(memo.size).toBe(2);
    expect(memo.known('a/x', 'k1')).toBeUndefined();
    expect(memo.known('a/x', 'k2')).toBeDefined();
    memo.forgetOwner('a/y');
    memo.forgetOwner('a/none');
    expect(memo.size).toBe(1);
    expect(memo.known('a/y', 'k1')).toBeUndefined();
    // Owners are separate: the same object key under another owner is another entry.
    memo.remember('a/z', 'k2', inputs, live());
    expect(memo.lookup('a/x', 'k2', inputs, '7')).toBeDefined();
    expect(memo.lookup('a/z', 'k2', inputs, '7')).toBeDefined();
    expect(memo.size).toBe(2);
  });

  it('when full, forgets the owner written longest ago', () => {
    const memo = new CompareMemo();
    const obj = live();
    // 100,000 entries (its bound): 1,000 owners of 100 objects; a-0 is then written again.
    for (let o = 0; o < 1_000; o++)
      for (let k = 0; k < 100; k++) memo.remember(`a/${o}`, `k${k}`, inputs, obj);
    memo.remember('a/0', 'k0', inputs, obj);
    expect(memo.size).toBe(100_000);
    memo.remember('a/new', 'k0', inputs, obj);
    expect(memo.size).toBe(100_000 - 100 + 1);
    expect(memo.known('a/1', 'k0')).toBeUndefined();
    expect(memo.known('a/0', 'k0')).toBeDefined();
    expect(memo.known('a/new', 'k0')).toBeDefined();
  });

  it('does not change the object it was given (the caller still reads its managedFields)', () => {
    const memo = new CompareMemo();
    const given = live();
    memo.remember('a/x', 'k', inputs, given);
    expect(given.metadata.managedFields).toHaveLength(1);
  });
});
