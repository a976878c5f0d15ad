import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../kube/types.js';
import { diffObjects } from './diff.js';
import { managedPaths } from './managed-fields.js';

const deploy = (replicas: number, extra: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'ns', resourceVersion: String(replicas), uid: 'u', managedFields: [] },
  spec: { replicas, template: { spec: { containers: [{ name: 'app', image: 'nginx:1' }] } } },
  status: { readyReplicas: 1 },
  ...extra,
});

describe('diffObjects', () => {
  it('ignores server-owned metadata and status', () => {
    const live = deploy(2);
    const predicted = {
      ...deploy(2),
      metadata: { ...deploy(2).metadata, resourceVersion: '999', uid: 'other' },
      status: { readyReplicas: 7 },
    };
    expect(diffObjects(live, predicted).modified).toBe(false);
  });

  it('reports changed values as JSON pointers', () => {
    const d = diffObjects(deploy(2), deploy(3));
    expect(d.changes).toEqual([{ path: '/spec/replicas', op: 'replace', live: 2, desired: 3 }]);
    expect(d.text).toBe('~ /spec/replicas: 2 -> 3');
  });

  it('drops ignoreDifferences pointers on both sides, for matching objects only', () => {
    const rule = { group: 'apps', kind: 'Deployment', jsonPointers: ['/spec/replicas'] };
    expect(diffObjects(deploy(2), deploy(3), [rule]).modified).toBe(false);
    expect(diffObjects(deploy(2), deploy(3), [{ ...rule, name: 'other' }]).modified).toBe(true);
  });

  it('ignores fields owned by the listed managers', () => {
    const live = deploy(5);
    live.metadata.managedFields = [
      {
        manager: 'hpa-controller',
        operation: 'Update',
        fieldsType: 'FieldsV1',
        fieldsV1: { 'f:spec': { 'f:replicas': {} } },
      },
      {
        manager: 'kubectl',
        operation: 'Update',
        fieldsType: 'FieldsV1',
        fieldsV1: {
          'f:spec': {
            'f:template': { 'f:spec': { 'f:containers': { 'k:{"name":"app"}': { 'f:image': {} } } } },
          },
        },
      },
    ];
    expect(managedPaths(live, ['kubectl'])).toEqual(['/spec/template/spec/containers/0/image']);
    expect(
      diffObjects(live, deploy(2), [{ kind: 'Deployment', managedFieldsManagers: ['hpa-controller'] }])
        .modified,
    ).toBe(false);
    expect(
      diffObjects(live, deploy(2), [{ kind: 'Deployment', managedFieldsManagers: ['kubectl'] }]).modified,
    ).toBe(true);
  });

  it('shows that a Secret value changed, never the value', () => {
    const secret = (v: string): KubeObject => ({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's' },
      data: { password: Buffer.from(v).toString('base64'), same: 'AA==' },
    });
    const d = diffObjects(secret('old-plaintext'), secret('new-plaintext'));
    expect(d.modified).toBe(true);
    expect(d.changes.map((c) => c.path)).toEqual(['/data/password']);
    for (const v of ['old-plaintext', 'new-plaintext']) {
      expect(d.text).not.toContain(v);
      expect(d.text).not.toContain(Buffer.from(v).toString('base64'));
    }
    expect(d.text).not.toContain('AA==');
    expect(diffObjects(secret('same'), secret('same')).modified).toBe(false);
  });
});
