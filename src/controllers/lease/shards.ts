import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { FLEET_NAMESPACE } from '../../api/cluster.js';
import type { KubeClient } from '../../kube/client.js';
import { Informer } from '../../kube/informer.js';
import type { KubeList } from '../../kube/types.js';
import { joinStep, type JoinState } from './join.js';
import { leaseHeld, releaseLease, tryAcquireLease, type Lease } from './lease.js';

const MEMBER_LABEL = 'gitfleet.dev/hub-member';

/** How long a round waits for the watch to show its own renewal before it lists instead. */
const WATCH_CATCH_UP_MS = 2000;

export interface HubMembershipOptions {
  client: KubeClient;
  /** This replica's identity (pod name); unique among replicas. */
  identity: string;
  /** Seconds a replica stays a member (and leader) after its last renewal; default 30. */
  leaseSeconds?: number;
  /** Replicas of one hub share a group; hubs of different groups ignore each other. Default `default`. */
  group?: string;
  log: Logger;
}

/**
 * Hub replicas sharing one management cluster. Each replica renews a member Lease; the live
 * members split the clusters between them by rendezvous hashing (each cluster goes to the member
 * with the highest hash of member+cluster), so a member's death moves only its own clusters, and
 * every replica computes the same answer from the same Leases without talking to the others.
 * One member also holds the leader Lease and runs the singleton controllers (ApplicationSets,
 * cluster health). Emits `change` when the member set or leadership changes, and when a starting
 * replica has joined (it claims nothing before: see join.ts).
 *
 * Once joined, a round reads the member Leases from a watch instead of listing them: an idle hub's
 * requests were mostly these lists. The watch's copy counts only once it shows this round's own
 * renewal: a watch delivers a collection's changes in order, so a peer's Lease written before our
 * renewal is in it too, as a list made after the renewal would show it (what join.ts relies on).
 * Otherwise (the watch is relisting, or slow) the round lists, as before.
 */
export class HubMembership extends EventEmitter<{ change: [] }> {
  readonly #o: Required<HubMembershipOptions>;
  #members: string[] = [];
  #leader = false;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  /** The member and leader Leases as this replica last wrote them (while it holds them). */
  readonly #held: { member?: Lease | undefined; leader?: Lease | undefined } = {};
  /** Whether this replica may claim its shards yet, and what it has seen of its peers meanwhile. */
  #joined = false;
  #join: JoinState | undefined;
  /** The member Leases of this group, watched (see above); started with the first round. */
  #peers: Informer<Lease> | undefined;

  constructor(opts: HubMembershipOptions) {
    super();
    this.#o = { leaseSeconds: 30, group: 'default', ...opts };
  }

  get members(): readonly string[] {
    return this.#members;
  }

  get isLeader(): boolean {
    return this.#leader;
  }

  /** Whether this replica has joined its peers and drives its share (join.ts). */
  get joined(): boolean {
    return this.#joined;
  }

  /** Whether this replica drives `cluster` (a destination name; `in-cluster` included). */
  owns(cluster: string): boolean {
    if (!this.#joined) return false;
    return ownerOf(cluster, this.#members.length ? this.#members : [this.#o.identity]) === this.#o.identity;
  }

  /**
   * Joins and does a first round. Alone, the replica owns every cluster once this resolves; with
   * live peers it owns nothing until they have seen it (`joined`, a `change` event), a few renewals
   * later.
   */
  async start(): Promise<void> {
    await this.#round();
    const every = Math.max(1000, (this.#o.leaseSeconds * 1000) / 3);
    const next = (): void => {
      if (this.#stopped) return;
      // While joining, the peers' renewals are looked for more often than we renew for them.
      this.#timer = setTimeout(
        () => {
          this.#round()
            .catch((e: unknown) => this.#o.log.warn({ err: String(e) }, 'hub membership renewal failed'))
            .finally(next);
        },
        this.#joined ? every : Math.min(every, 500),
      );
      this.#timer.unref();
    };
    next();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#peers?.stop();
    const c = this.#o.client;
    await releaseLease(
      c,
      { namespace: FLEET_NAMESPACE, name: memberLease(this.#o.group, this.#o.identity) },
      this.#o.identity,
    );
    if (this.#leader)
      await releaseLease(
        c,
        { namespace: FLEET_NAMESPACE, name: leaderLease(this.#o.group) },
        this.#o.identity,
      );
  }

  async #round(): Promise<void> {
    const { client, identity, leaseSeconds, group } = this.#o;
    // Leases this replica holds are renewed from its last write (no read first).
    const me = await tryAcquireLease(
      client,
      { namespace: FLEET_NAMESPACE, name: memberLease(group, identity), labels: { [MEMBER_LABEL]: group } },
      identity,
      leaseSeconds,
      this.#held.member,
    );
    this.#held.member = me.acquired ? me.lease : undefined;
    const leader = await tryAcquireLease(
      client,
      { namespace: FLEET_NAMESPACE, name: leaderLease(group) },
      identity,
      leaseSeconds,
      this.#held.leader,
    );
    this.#held.leader = leader.acquired ? leader.lease : undefined;
    const items = await this.#memberLeases(me.acquired ? me.lease : undefined);
    const now = Date.now();
    const live = items.filter((l) => leaseHeld(l, now) && l.spec?.holderIdentity);
    const held = live.map((l) => l.spec?.holderIdentity ?? '');
    // Having just renewed our own Lease, we are a member even if a slow round makes it look old.
    if (me.acquired) held.push(identity);
    const members = [...new Set(held)].sort();
    let changed = members.join(',') !== this.#members.join(',') || leader.acquired !== this.#leader;
    // Our own Lease exists from this round's first request on, so this list (and any later one)
    // counts as a look at the peers made after we joined (join.ts).
    if (!this.#joined && me.acquired) {
      const peers = live
        .filter((l) => l.spec?.holderIdentity !== identity)
        .map((l) => ({ holder: l.spec?.holderIdentity ?? '', version: l.metadata.resourceVersion ?? '' }));
      const step = joinStep(this.#join, peers);
      this.#join = step.state;
      if (step.settled) {
        this.#joined = true;
        this.#join = undefined;
        changed = true;
      }
    }
    this.#members = members;
    this.#leader = leader.acquired;
    if (changed) {
      this.#o.log.info(
        { members, leader: this.#leader, joined: this.#joined },
        this.#joined
          ? 'hub membership changed'
          : 'hub replica joining: claims no cluster until its peers have seen it',
      );
      this.emit('change');
    }
  }

  /**
   * The group's member Leases as of after `renewed` (this round's write of our own Lease): from
   * the watch once joined and once it shows that write, else from a list.
   */
  async #memberLeases(renewed: Lease | undefined): Promise<Lease[]> {
    const { client, group } = this.#o;
    const selector = `${MEMBER_LABEL}=${group}`;
    if (!this.#peers) {
      this.#peers = new Informer<Lease>(client, {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        namespace: FLEET_NAMESPACE,
        labelSelector: selector,
      });
      this.#peers.start();
    }
    if (this.#joined && renewed && (await caughtUp(this.#peers, renewed, WATCH_CATCH_UP_MS)))
      return this.#peers.list();
    const list = await client.request<KubeList<Lease>>({
      method: 'GET',
      path: `/apis/coordination.k8s.io/v1/namespaces/${FLEET_NAMESPACE}/leases`,
      query: { labelSelector: selector },
    });
    return list.items;
  }
}

/** Resolves true once `watch` holds `lease` at its resourceVersion (or a later write of it), false after `ms`. */
function caughtUp(watch: Informer<Lease>, lease: Lease, ms: number): Promise<boolean> {
  const { namespace, name, resourceVersion } = lease.metadata;
  const shows = (): boolean => {
    if (!watch.synced) return false;
    const held = watch.get(namespace, name)?.metadata.resourceVersion;
    return held !== undefined && held === resourceVersion;
  };
  if (shows()) return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      watch.off('event', onEvent);
      resolve(ok);
    };
    const onEvent = (): void => {
      if (shows()) done(true);
    };
    const timer = setTimeout(() => done(false), ms);
    timer.unref();
    watch.on('event', onEvent);
  });
}

function memberLease(group: string, identity: string): string {
  const safe = identity
    .toLowerCase()
    .replace(/[^a-z0-9.-]/g, '-')
    .slice(0, 40);
  const id = createHash('sha256').update(`${group}/${identity}`).digest('hex').slice(0, 8);
  return `gitfleet-hub-${safe}-${id}`;
}

function leaderLease(group: string): string {
  return group === 'default' ? 'gitfleet-hub-leader' : `gitfleet-hub-leader-${group}`;
}

/** Rendezvous hashing: the member with the highest hash of (member, key) owns the key. */
export function ownerOf(key: string, members: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestScore = '';
  for (const m of members) {
    const score = createHash('sha256').update(`${m}\u0000${key}`).digest('hex');
    if (score > bestScore) {
      bestScore = score;
      best = m;
    }
  }
  return best;
}
