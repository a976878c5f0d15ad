import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { CLUSTER_SECRET_LABEL } from '../api/cluster.js';
import type { KubeClient } from '../kube/client.js';
import { kubeconfigFor } from '../kube/kubeconfig-write.js';
import type { ObjectRef } from '../core/object-ref.js';
import { ClusterResolver } from './clusters.js';

/** A port nothing listens on: connections are refused at once. */
async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** A management "client" that knows one Cluster and its credentials, and counts the reads. */
function mgmtWith(name: string, server: string): { client: KubeClient; reads: () => number } {
  let reads = 0;
  const kubeconfig = kubeconfigFor(name, { server, headers: {}, rejectUnauthorized: false });
  const client = {
    server: 'https://mgmt.invalid:6443',
    async getOrUndefined(ref: ObjectRef) {
      reads++;
      if (ref.kind === 'Cluster')
        return { metadata: { name }, spec: { mode: 'push', server, secretRef: { name: `cluster-${name}` } } };
      return {
        metadata: { name: ref.name, labels: { [CLUSTER_SECRET_LABEL]: 'cluster' } },
        data: { kubeconfig: Buffer.from(kubeconfig).toString('base64') },
      };
    },
  } as unknown as KubeClient;
  return { client, reads: () => reads };
}

describe('ClusterResolver back-off', () => {
  it('marks a cluster that does not answer unreachable, fails fast until its retry time, and limits it as degraded', async () => {
    const server = `https://127.0.0.1:${await closedPort()}`;
    const { client, reads } = mgmtWith('gone', server);
    const r = new ClusterResolver(client, 'gitfleet-system');
    expect(r.degraded('gone')).toBe(true); // never answered yet
    expect(r.degraded('in-cluster')).toBe(false);
    const first = await r.resolve('gone').then(
      () => new Error('resolved'),
      (e: unknown) => e as Error,
    );
    expect(first.message).toContain(`cannot reach ${server}`);
    expect(r.retryAfterMs('gone')).toBeGreaterThan(3000);
    const readsAfterFirst = reads();
    // Within the back-off: no network, no reads, the reason in the message.
    const t0 = Date.now();
    const second = await r.resolve('gone').then(
      () => new Error('resolved'),
      (e: unknown) => e as Error,
    );
    expect(Date.now() - t0).toBeLessThan(50);
    expect(second.message).toMatch(
      /cluster "gone" is unreachable \(cannot reach .*\); retrying with back-off/,
    );
    expect(reads()).toBe(readsAfterFirst);
    expect(r.degraded('gone')).toBe(true);
    // New credentials (a changed Cluster) deserve a try at once.
    r.forget('gone', true);
    expect(r.retryAfterMs('gone')).toBe(0);
  });

  it('ignores failures that are not the cluster’s own (management outages, API errors)', () => {
    const { client } = mgmtWith('c', 'https://127.0.0.1:1');
    const r = new ClusterResolver(client, 'gitfleet-system');
    r.reportFailure('c', new Error('Forbidden'));
    expect(r.retryAfterMs('c')).toBe(0);
  });
});
