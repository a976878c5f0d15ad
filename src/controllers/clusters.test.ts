import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { CLUSTER_SECRET_LABEL } from '../api/cluster.js';
import type { KubeClient } from '../kube/client.js';
import { kubeconfigFor } from '../kube/kubeconfig-write.js';
import type { ObjectRef } from '../core/object-ref.js';
import { ClusterResolver, InvalidDestinationError } from './clusters.js';

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

/** A management "client" listing these Clusters (name → spec.server), counting the lists. */
function registry(clusters: Record<string, string>): { client: KubeClient; lists: () => number } {
  let lists = 0;
  const client = {
    server: 'https://mgmt.invalid:6443',
    async list(_apiVersion: string, kind: string) {
      lists++;
      if (kind !== 'Cluster') throw new Error(`unexpected list of ${kind}`);
      return {
        items: Object.entries(clusters).map(([name, server]) => ({
          metadata: { name },
          spec: { mode: 'push', server, secretRef: { name: `cluster-${name}` } },
        })),
      };
    },
  } as unknown as KubeClient;
  return { client, lists: () => lists };
}

const failure = (p: Promise<unknown>): Promise<Error> =>
  p.then(
    () => new Error('resolved'),
    (e: unknown) => e as Error,
  );

describe('ClusterResolver.destination (Argo CD destinations)', () => {
  const clusters = { c1: 'https://127.0.0.1:6443', c2: 'https://127.0.0.1:7443/', agent: '' };

  it('resolves destination.server to the Cluster with that API URL, however it is spelled', async () => {
    const r = new ClusterResolver(registry(clusters).client, 'gitfleet-system');
    for (const server of ['https://127.0.0.1:7443', 'HTTPS://127.0.0.1:7443/'])
      expect(await r.destination({ server, namespace: 'x' })).toEqual({ name: 'c2', server: clusters.c2 });
    expect(r.knownName({ server: 'https://127.0.0.1:7443' })).toBe('c2');
    expect(await r.destination({ server: 'https://127.0.0.1:6443' })).toMatchObject({ name: 'c1' });
  });

  it('maps https://kubernetes.default.svc and no destination at all to in-cluster, and keeps names', async () => {
    const r = new ClusterResolver(registry(clusters).client, 'gitfleet-system');
    const local = { name: 'in-cluster', server: 'https://kubernetes.default.svc' };
    expect(await r.destination({ server: 'https://kubernetes.default.svc' })).toEqual(local);
    expect(await r.destination({ server: 'https://kubernetes.default.svc:443/' })).toEqual(local);
    expect(await r.destination({})).toEqual(local);
    expect(await r.destination({ name: 'c1' })).toEqual({ name: 'c1', server: clusters.c1 });
    // Unknown names are left to resolve(), which says the Cluster is not registered.
    expect(await r.destination({ name: 'nope' })).toEqual({ name: 'nope' });
  });

  it('refuses, naming the field, a server no Cluster has: never a fallback to in-cluster', async () => {
    const { client, lists } = registry(clusters);
    const r = new ClusterResolver(client, 'gitfleet-system');
    const e = await failure(r.destination({ server: 'https://10.9.9.9:6443' }));
    expect(e).toBeInstanceOf(InvalidDestinationError);
    expect(e.message).toMatch(
      /^destination\.server https:\/\/10\.9\.9\.9:6443 matches no registered Cluster/,
    );
    expect(lists()).toBe(1);
    await failure(r.destination({ server: 'https://10.9.9.9:6443' }));
    expect(lists()).toBe(2); // every server lookup reads the Clusters now: never a stale answer
    expect(r.knownName({ server: 'https://10.9.9.9:6443' })).toBe('in-cluster');
  });

  it('refuses both name and server, a malformed URL, and a URL two Clusters share', async () => {
    const r = new ClusterResolver(
      registry({ ...clusters, twin: 'https://127.0.0.1:6443' }).client,
      'gitfleet-system',
    );
    const both = await failure(r.destination({ name: 'c1', server: 'https://127.0.0.1:6443' }));
    expect(both).toBeInstanceOf(InvalidDestinationError);
    expect(both.message).toMatch(/destination\.name \("c1"\) and destination\.server .* are both set/);
    const empty = await failure(r.destination({ server: ' ', namespace: 'x' }));
    expect(empty.message).toMatch(/^destination\.server is empty/);
    expect(await r.destination({ name: 'c1', server: '' })).toMatchObject({ name: 'c1' });
    const bad = await failure(r.destination({ server: 'c1.example' }));
    expect(bad.message).toMatch(/destination\.server "c1\.example" is not an http\(s\) URL/);
    const agent = new ClusterResolver(
      {
        server: 'https://mgmt.invalid:6443',
        list: async () => ({
          items: [{ metadata: { name: 'edge' }, spec: { mode: 'agent', server: 'https://edge:6443' } }],
        }),
      } as unknown as KubeClient,
      'gitfleet-system',
    );
    const byAgent = await failure(agent.destination({ server: 'https://edge:6443' }));
    expect(byAgent.message).toMatch(/agent-mode Cluster edge, .* set destination\.name: edge instead/);
    const twin = await failure(r.destination({ server: 'https://127.0.0.1:6443' }));
    expect(twin.message).toMatch(/ambiguous: Clusters c1, twin all have that API URL/);
  });
});
