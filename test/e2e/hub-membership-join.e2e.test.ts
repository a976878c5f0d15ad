import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HubMembership } from '../../src/controllers/lease/shards.js';
import { KubeClient, loadConnection } from '../../src/kube/index.js';
import { testFleet, uniqueName, type ClusterHandle, type TestFleet } from '../harness/context.js';
import { waitFor } from '../harness/wait.js';

/**
 * Issue 16: hub replicas starting together never both drive one cluster. Real member Leases on a
 * real API server; the replicas' shard answers (`owns`, what `responsibleFor` asks before any
 * reconcile) are sampled together in this process every few milliseconds from the first start
 * until every replica has joined, so any instant at which two replicas claim one cluster is seen.
 */
let fleet: TestFleet;
let mgmt: ClusterHandle;
const log = pino({ level: 'silent' });
const clusters = Array.from({ length: 60 }, (_, i) => `cluster-${i}`);
const started: HubMembership[] = [];

beforeAll(async () => {
  fleet = await testFleet();
  mgmt = fleet.clusters[0] as ClusterHandle;
}, 120_000);

afterAll(async () => {
  await Promise.all(started.map((m) => m.stop().catch(() => undefined)));
});

function replica(group: string, identity: string): HubMembership {
  const m = new HubMembership({ client: mgmt.admin, identity, group, leaseSeconds: 3, log });
  started.push(m);
  return m;
}

/**
 * Samples the replicas' claims until `done` holds after all have joined, and returns every
 * double claim seen (cluster and the replicas claiming it) and the final owners.
 */
async function watchClaims(
  replicas: HubMembership[],
  running: Promise<unknown>,
): Promise<{ doubles: string[]; owners: Map<string, string[]> }> {
  const doubles = new Set<string>();
  const sample = (): Map<string, string[]> => {
    const owners = new Map<string, string[]>();
    for (const c of clusters) {
      const by = replicas.filter((r) => r.owns(c)).map((r) => ids.get(r) ?? '?');
      owners.set(c, by);
      if (by.length > 1) doubles.add(`${c} claimed by ${by.join(' and ')}`);
    }
    return owners;
  };
  let finished = false;
  void running.finally(() => (finished = true));
  // Sampling starts before the first replica's start() resolves.
  while (!finished) {
    sample();
    await new Promise((r) => setTimeout(r, 5));
  }
  await waitFor(
    'every replica joined, seeing all members',
    () => {
      sample();
      return replicas.every((r) => r.joined && r.members.length === replicas.length);
    },
    { timeoutMs: 120_000, intervalMs: 5 },
  );
  // One more renewal round of everyone, still sampled: the split stays put.
  const until = Date.now() + 1500;
  while (Date.now() < until) {
    sample();
    await new Promise((r) => setTimeout(r, 5));
  }
  return { doubles: [...doubles], owners: sample() };
}
const ids = new WeakMap<HubMembership, string>();

describe('hub replicas joining', () => {
  it('replicas started together never both claim a cluster, then split them all', async () => {
    // A few rounds: which replica lists first varies from run to run.
    for (let round = 0; round < 3; round++) {
      const group = uniqueName('join');
      const rs = ['hub-a', 'hub-b'].map((id) => {
        const r = replica(group, `${id}-${round}`);
        ids.set(r, id);
        return r;
      });
      const { doubles, owners } = await watchClaims(rs, Promise.all(rs.map((r) => r.start())));
      expect(doubles).toEqual([]);
      // Every cluster has exactly one owner, and both replicas have a share.
      expect([...owners.values()].every((o) => o.length === 1)).toBe(true);
      const a = [...owners.values()].filter((o) => o[0]?.endsWith('hub-a')).length;
      expect(a).toBeGreaterThan(0);
      expect(a).toBeLessThan(clusters.length);
      await Promise.all(rs.map((r) => r.stop()));
    }
  }, 300_000);

  it('a replica joining a running one takes its share only after the running one let it go', async () => {
    const group = uniqueName('join');
    const first = replica(group, 'hub-first');
    ids.set(first, 'hub-first');
    await first.start();
    // Alone at its first list: it owns every cluster at once.
    expect(first.joined).toBe(true);
    expect(clusters.every((c) => first.owns(c))).toBe(true);
    const late = replica(group, 'hub-late');
    ids.set(late, 'hub-late');
    const { doubles, owners } = await watchClaims([first, late], late.start());
    expect(doubles).toEqual([]);
    expect([...owners.values()].every((o) => o.length === 1)).toBe(true);
    expect([...owners.values()].some((o) => o[0]?.endsWith('hub-late'))).toBe(true);
  }, 300_000);

  it('a joined replica reads its peers from a watch: its renewal rounds list no Leases', async () => {
    // A client of its own: its request counts are this replica's alone.
    const client = new KubeClient(await loadConnection({ file: mgmt.kubeconfig }));
    const group = uniqueName('quiet');
    const m = new HubMembership({ client, identity: 'hub-quiet', group, leaseSeconds: 3, log });
    started.push(m);
    await m.start();
    expect(m.joined).toBe(true);
    // Rounds every second: the watch has listed once and shows each renewal.
    await new Promise((r) => setTimeout(r, 2500));
    const before = { ...client.requestCounts };
    await new Promise((r) => setTimeout(r, 4500));
    const gets = (client.requestCounts.GET ?? 0) - (before.GET ?? 0);
    const puts = (client.requestCounts.PUT ?? 0) - (before.PUT ?? 0);
    // Four rounds or so, two renewals each, and not one list (a list per round was the cost).
    expect(puts).toBeGreaterThanOrEqual(6);
    expect(gets).toBe(0);
    // A peer joining is still seen, from the watch.
    const peer = replica(group, 'hub-peer');
    await peer.start();
    await waitFor('the peer is a member', () => m.members.length === 2, { timeoutMs: 30_000 });
    expect([...m.members].sort()).toEqual(['hub-peer', 'hub-quiet']);
  }, 60_000);
});
