import { describe, expect, it } from 'vitest';

import type { KubeObject } from '../../kube/types.js';
import { respectIgnored } from './respect-ignore.js';

const deploy = (
  replicas: number | undefined,
  image: string,
  extra: Record<string, unknown> = {},
): KubeObject =>
  ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'shop', ...extra },
    spec: {
      ...(replicas === undefined ? {} : { replicas }),
      template: { spec: { containers: [{ name: 'web', image }] } },
    },
  }) as KubeObject;

describe('respectIgnored (RespectIgnoreDifferences=true)', () => {
  it('keeps the live value of an ignored field and applies the rest from Git', () => {
    const out = respectIgnored(deploy(1, 'nginx:2'), deploy(5, 'nginx:1'), [
      { group: 'apps', kind: 'Deployment', jsonPointers: ['/spec/replicas'] },
    ]) as unknown as { spec: { replicas: number; template: { spec: { containers: { image: string }[] } } } };
    expect(out.spec.replicas).toBe(5);
    expect(out.spec.template.spec.containers[0]?.image).toBe('nginx:2');
  });

  it('drops an ignored field the live object lacks; other kinds and names are untouched', () => {
    const desired = deploy(1, 'nginx:2');
    expect(
      (
        respectIgnored(desired, deploy(undefined, 'x'), [
          { kind: 'Deployment', jsonPointers: ['/spec/replicas'] },
        ]) as unknown as { spec: Record<string, unknown> }
      ).spec.replicas,
    ).toBeUndefined();
    expect(
      respectIgnored(desired, deploy(5, 'x'), [{ kind: 'StatefulSet', jsonPointers: ['/spec/replicas'] }]),
    ).toBe(desired);
    expect(
      respectIgnored(desired, deploy(5, 'x'), [
        { kind: 'Deployment', name: 'other', jsonPointers: ['/spec/replicas'] },
      ]),
    ).toBe(desired);
  });

  it('list elements by index, and a pointer into __proto__ cannot pollute', () => {
    const out = respectIgnored(deploy(1, 'nginx:2'), deploy(1, 'nginx:1'), [
      { kind: 'Deployment', jsonPointers: ['/spec/template/spec/containers/0/image', '/__proto__/polluted'] },
    ]) as unknown as { spec: { template: { spec: { containers: { image: string }[] } } } };
    expect(out.spec.template.spec.containers[0]?.image).toBe('nginx:1');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
