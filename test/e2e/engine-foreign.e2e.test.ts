import { beforeAll, describe, expect, it } from 'vitest';
import { createNamespace, uniqueName } from '../harness/context.js';
import type { KubeClient } from '../../src/kube/index.js';
import { configMap, manifests, request, step, adminClient } from './engine-fixture.js';

describe('engine: an object of another Application', () => {
  let client: KubeClient;
  let ns: string;
  beforeAll(async () => {
    client = await adminClient();
    ns = await createNamespace(client, 'eng-foreign');
  });

  it('is refused by name and left as it was', async () => {
    const a = `${ns}/${uniqueName('a')}`;
    const b = `${ns}/${uniqueName('b')}`;
    expect((await step(client, request(a, ns, manifests(configMap('shared', { by: 'a' }))))).phase).toBe(
      'Succeeded',
    );
    const r = await step(client, request(b, ns, manifests(configMap('shared', { by: 'b' }))));
    expect(r.phase).toBe('Failed');
    expect(r.message).toContain(`owned by ${a}`);
    const live = await client.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'shared' });
    expect(live.data).toEqual({ by: 'a' });
  }, 30_000);
});
