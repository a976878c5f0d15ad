import { beforeAll, describe, expect, it } from 'vitest';
import { createNamespace, uniqueName } from '../harness/context.js';
import type { KubeClient } from '../../src/kube/index.js';
import { configMap, manifests, request, step, adminClient } from './engine-fixture.js';

describe('engine: Replace=true', () => {
  let client: KubeClient;
  let ns: string;
  beforeAll(async () => {
    client = await adminClient();
    ns = await createNamespace(client, 'eng-replace');
  });

  it('replaces the object: fields Git no longer declares are gone, whoever set them', async () => {
    const owner = `${ns}/${uniqueName('app')}`;
    expect((await step(client, request(owner, ns, manifests(configMap('cfg', { a: '1' }))))).phase).toBe(
      'Succeeded',
    );
    // Another manager adds a key: server-side apply would keep it, a replace does not.
    await client.request({
      method: 'PATCH',
      path: `/api/v1/namespaces/${ns}/configmaps/cfg`,
      body: { data: { extra: 'x' } },
      contentType: 'application/merge-patch+json',
      query: { fieldManager: 'someone' },
    });
    const r = await step(
      client,
      request(owner, ns, manifests(configMap('cfg', { a: '2' })), { replace: true }),
    );
    expect(r.phase).toBe('Succeeded');
    const live = await client.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'cfg' });
    expect(live.data).toEqual({ a: '2' });
  }, 30_000);
});
