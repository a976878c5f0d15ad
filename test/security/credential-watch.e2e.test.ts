import { describe, expect, it } from 'vitest';
import { createNamespace } from '../harness/context.js';
import type { KubeClient } from '../../src/kube/index.js';
import { CredentialReads, secretCredentials } from '../../src/controllers/credentials.js';
import { adminClient } from '../e2e/engine-fixture.js';

describe('credential reads: a tenant cannot grow the hub by filling its namespace with Secrets', () => {
  it('a namespace past the bound is not watched; its credentials are still read, one GET each', async () => {
    const client = await adminClient();
    const ns = await createNamespace(client, 'cred-flood');
    const reads = new CredentialReads(await adminClient(), 3);
    try {
      for (let i = 0; i < 4; i++)
        await client.apply(
          {
            apiVersion: 'v1',
            kind: 'Secret',
            metadata: { name: `s-${i}`, namespace: ns },
            stringData: { username: 'u', password: `p-${i}` },
          },
          { fieldManager: 'tenant' },
        );
      let gets = 0;
      const inner = client.request.bind(client);
      client.request = ((spec: Parameters<KubeClient['request']>[0]) => {
        if ((spec.method ?? 'GET') === 'GET' && spec.path.includes(`/namespaces/${ns}/secrets/s-0`))
          gets += 1;
        return inner(spec);
      }) as KubeClient['request'];
      for (let k = 0; k < 5; k++) {
        expect(await secretCredentials(client, ns, 's-0', reads)).toEqual({ username: 'u', password: 'p-0' });
        await new Promise((r) => setTimeout(r, 200));
      }
      expect(gets).toBe(5);
      expect(reads.held(ns)).toBe(0);
    } finally {
      reads.stop();
    }
  });
});
