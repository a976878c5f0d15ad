import type { Logger } from 'pino';
import { API_VERSION } from '../../api/application.js';
import { clusterPath, FLEET_NAMESPACE, type Cluster } from '../../api/cluster.js';
import type { KubeClient } from '../../kube/client.js';
import { Informer } from '../../kube/informer.js';
import type { ClusterResolver } from '../clusters.js';
import type { ControllerMetrics } from '../metrics.js';
import { claimDriver } from '../lease/driver.js';
import { HUB_DRIVER } from '../clusters.js';
import { replaceStatus } from '../status-write.js';
import type { Notifier } from '../notify/notifier.js';

/**
 * Keeps each Cluster's connection status current: reachable, server version, last check. Checks
 * every cluster on an interval (default 30 s) and at once when a Cluster changes; a change also
 * drops the pooled client so new credentials take effect. Emits `onChange` for generators.
 */
/** How long an agent may stay silent before its cluster counts as unreachable. */
export const AGENT_SILENCE_MS = 180_000;

export class ClusterStatusController {
  readonly #mgmt: KubeClient;
  readonly #resolver: ClusterResolver;
  readonly #log: Logger;
  readonly #intervalMs: number;
  readonly #namespace: string;
  readonly #listeners: (() => void)[] = [];
  readonly #seen = new Map<string, string>();
  #informer: Informer | undefined;
  #timer: NodeJS.Timeout | undefined;
  readonly #metrics: ControllerMetrics | undefined;
  readonly #notifier: Notifier | undefined;
  readonly #ownsCluster: (name: string) => boolean;

  constructor(opts: {
    mgmt: KubeClient;
    resolver: ClusterResolver;
    log: Logger;
    intervalMs?: number;
    namespace?: string;
    metrics?: ControllerMetrics;
    /** Told AgentLost when an agent that had reported falls silent. */
    notifier?: Notifier;
    /**
     * Whether this replica holds the Cluster's shard: every replica checks every Cluster, but
     * only the owner marks a silent agent's Cluster unreachable and reports AgentLost, so one
     * silent agent is one notification. Default: every Cluster.
     */
    ownsCluster?: (name: string) => boolean;
  }) {
    this.#ownsCluster = opts.ownsCluster ?? (() => true);
    this.#metrics = opts.metrics;
    this.#notifier = opts.notifier;
    this.#mgmt = opts.mgmt;
    this.#resolver = opts.resolver;
    this.#log = opts.log;
    this.#intervalMs = opts.intervalMs ?? 30_000;
    this.#namespace = opts.namespace ?? FLEET_NAMESPACE;
  }

  /** Called after any Cluster is added, changed or removed (labels matter to generators). */
  onChange(fn: () => void): void {
    this.#listeners.push(fn);
  }

  /** Whether the first list of Clusters has arrived (before it, `list()` is not the truth). */
  get synced(): boolean {
    return this.#informer?.synced ?? false;
  }

  /** The Clusters as last seen. */
  list(): Cluster[] {
    return (this.#informer?.list() ?? []) as Cluster[];
  }

  start(): void {
    this.#informer = new Informer(this.#mgmt, {
      apiVersion: API_VERSION,
      kind: 'Cluster',
      namespace: this.#namespace,
    });
    this.#informer.on('event', (ev) => {
      if (ev.type === 'error') {
        this.#log.warn({ err: String(ev.error) }, 'cluster watch error');
        return;
      }
      if (ev.type === 'synced') {
        // The first list decides which apps this hub drives (start.ts responsibleFor waits for it).
        // With no Cluster at all (a fresh hub of in-cluster apps) no `added` event follows, so the
        // listeners hear of the sync itself: else apps seen before it would wait for a change.
        for (const l of this.#listeners) l();
        return;
      }
      const name = ev.object.metadata.name;
      if (ev.type === 'added' || ev.type === 'deleted') this.#resolver.forget(name, true);
      if (ev.type === 'added') void this.#check(ev.object as Cluster);
      // Our own status writes change nothing generators read: only labels and spec count.
      const c = ev.object as Cluster;
      const fp =
        ev.type === 'deleted'
          ? ''
          : JSON.stringify([c.metadata.labels ?? {}, c.metadata.annotations ?? {}, c.spec]);
      if (this.#seen.get(name) === fp) return;
      if (ev.type === 'deleted') this.#seen.delete(name);
      else {
        // A changed spec (mode, credentials) needs a fresh client, or none at all.
        if (ev.type === 'modified' && this.#seen.has(name)) this.#resolver.forget(name, true);
        this.#seen.set(name, fp);
      }
      for (const l of this.#listeners) l();
    });
    this.#informer.start();
    this.#timer = setInterval(() => {
      for (const c of this.list()) void this.#check(c);
    }, this.#intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    this.#informer?.stop();
    if (this.#timer) clearInterval(this.#timer);
  }

  async #check(c: Cluster): Promise<void> {
    if (c.spec.mode === 'agent') return this.#checkAgent(c);
    const status: NonNullable<Cluster['status']> = { lastCheck: new Date().toISOString() };
    try {
      const client = await this.#resolver.resolve(c.metadata.name);
      // Renew the claim to drive it; if its agent took it meanwhile, stop pushing.
      await claimDriver(client, c.metadata.name, HUB_DRIVER).catch((e: unknown) => {
        this.#resolver.forget(c.metadata.name);
        throw e;
      });
      const v = await client.request<{ gitVersion: string }>({
        method: 'GET',
        path: '/version',
        timeoutMs: 5000,
      });
      status.reachable = true;
      status.serverVersion = v.gitVersion;
      status.message = '';
    } catch (e) {
      // A cluster that does not answer backs off for its apps too (ClusterResolver).
      this.#resolver.reportFailure(c.metadata.name, e);
      status.reachable = false;
      status.message = e instanceof Error ? e.message : String(e);
    }
    this.#metrics?.clusterReachable.set({ cluster: c.metadata.name }, status.reachable ? 1 : 0);
    await this.#write(c, status);
  }

  /**
   * An agent-mode cluster is reachable while its agent keeps talking to the hub (the hub's agent
   * endpoints write lastHeartbeat); silence for AGENT_SILENCE_MS marks it unreachable.
   */
  async #checkAgent(c: Cluster): Promise<void> {
    const last = c.status?.lastHeartbeat ? Date.parse(c.status.lastHeartbeat) : 0;
    const alive = Date.now() - last < AGENT_SILENCE_MS;
    this.#metrics?.clusterReachable.set({ cluster: c.metadata.name }, alive ? 1 : 0);
    this.#metrics?.agentHeartbeat(c.metadata.name, last);
    // Only the replica holding the Cluster's shard marks it lost and says so: were another one
    // to write the change first, the owner would see it done and nobody would notify.
    if (alive || c.status?.reachable === false || !this.#ownsCluster(c.metadata.name)) return;
    await this.#write(c, {
      ...c.status,
      reachable: false,
      lastCheck: new Date().toISOString(),
      message: last
        ? `agent silent since ${new Date(last).toISOString()}`
        : 'no agent has connected yet (run gitfleet agent in the cluster with its token)',
    });
    if (last)
      this.#notifier?.notify({
        trigger: 'AgentLost',
        kind: 'Cluster',
        namespace: c.metadata.namespace ?? this.#namespace,
        app: c.metadata.name,
        labels: c.metadata.labels ?? {},
        message: `agent silent since ${new Date(last).toISOString()}`,
        revision: c.status?.lastHeartbeat ?? '',
        project: '',
        cluster: c.metadata.name,
      });
  }

  async #write(c: Cluster, status: NonNullable<Cluster['status']>): Promise<void> {
    try {
      await replaceStatus(this.#mgmt, clusterPath(c.metadata.name, c.metadata.namespace), status);
    } catch (e) {
      this.#log.debug({ cluster: c.metadata.name, err: String(e) }, 'cluster status write failed');
    }
  }
}
