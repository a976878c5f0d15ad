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
  it('answers while the resourceVersion and the inputs are the same, without managedFields', () => {
    const memo = new CompareMemo();
    memo.remember('a/x', 'k', inputs, live());
    const hit = memo.lookup('a/x', 'k', inputs, '7');
    expect(hit?.metadata.managedFields).toBeUndefined();
    expect(hit).toEqual({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'cm', namespace: 'n', uid: 'u', resourceVersion: '7' },
      data: { k: 'v' },
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

  it('does not change the object it was given (the caller still reads its managedFields)', () => {
    const memo = new CompareMemo();
    const given = live();
    memo.remember('a/x', 'k', inputs, given);
    expect(given.metadata.managedFields).toHaveLength(1);
  });
});
