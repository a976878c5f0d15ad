import { beforeAll, describe, expect, it } from 'vitest';
import { createNamespace, uniqueName } from '../harness/context.js';
import type { KubeClient } from '../../src/kube/index.js';
import { tryAcquireLease, type Lease } from '../../src/controllers/lease/lease.js';
import { adminClient } from './engine-fixture.js';

/** Counts a client's requests by method. */
function counting(client: KubeClient): Map<string, number> {
  const byMethod = new Map<string, number>();
  const inner = client.request.bind(client);
  client.request = ((spec: Parameters<KubeClient['request']>[0]) => {
    const m = spec.method ?? 'GET';
    byMethod.set(m, (byMethod.get(m) ?? 0) + 1);
    return inner(spec);
  }) as KubeClient['request'];
  return byMethod;
}

describe('lease renewal from the last write', () => {
  let client: KubeClient;
  let ns: string;
  beforeAll(async () => {
    client = await adminClient();
    ns = await createNamespace(client, 'lease-renew');
  });

  it('renews a held Lease with one write and no read', async () => {
    const ref = { namespace: ns, name: uniqueName('lease') };
    const first = await tryAcquireLease(client, ref, 'a', 15);
    expect(first.acquired).toBe(true);
    const counts = counting(client);
    const again = await tryAcquireLease(client, ref, 'a', 15, first.lease);
    expect(again.acquired).toBe(true);
    expect(Object.fromEntries(counts)).toEqual({ PUT: 1 });
    expect(Date.parse(again.lease.spec?.renewTime ?? '')).toBeGreaterThanOrEqual(
      Date.parse(first.lease.spec?.renewTime ?? ''),
    );
  });

  it('loses to a holder that took an expired Lease over since its last write', async () => {
    const ref = { namespace: ns, name: uniqueName('lease') };
    const a = await tryAcquireLease(client, ref, 'a', 1);
    expect(a.acquired).toBe(true);
    await new Promise((r) => setTimeout(r, 1200));
    const b = await tryAcquireLease(client, ref, 'b', 15);
    expect(b.acquired).toBe(true);
    // a's stale copy: the write fails on its resourceVersion and the read names the holder.
    const stale = await tryAcquireLease(client, ref, 'a', 1, a.lease as Lease);
    expect(stale).toMatchObject({ acquired: false, holder: 'b' });
  });

  it('starts over when the Lease it last wrote was deleted', async () => {
    const ref = { namespace: ns, name: uniqueName('lease') };
    const a = await tryAcquireLease(client, ref, 'a', 15);
    await client.request({
      method: 'DELETE',
      path: `/apis/coordination.k8s.io/v1/namespaces/${ns}/leases/${ref.name}`,
    });
    const again = await tryAcquireLease(client, ref, 'a', 15, a.lease);
    expect(again.acquired).toBe(true);
    expect(again.lease.metadata.uid).not.toBe(a.lease.metadata.uid);
  });
});
