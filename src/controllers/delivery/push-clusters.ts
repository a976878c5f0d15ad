/**
 * Canaries on push-mode destinations other than the hub's own cluster: one DeliveryController per
 * cluster the hub pushes to, through that cluster's pooled client. The clusters are the ones the
 * ClusterResolver holds a client for, which are exactly those this replica's Applications were
 * applied to: a hub drives Canaries only where it drives the apps that own them, so replicas (each
 * owning its shard of clusters) and agents (whose clusters the hub never resolves) are not fought.
 */
import type { Logger } from 'pino';
import type { KubeClient } from '../../kube/client.js';
import { IN_CLUSTER } from '../clusters.js';

/** What a per-cluster controller needs to be: started once, stopped when its cluster goes. */
export interface ClusterController {
  start(): void;
  stop(): void;
}

export interface PushDeliveryOptions {
  /** The destination clients made so far, `in-cluster` included (ClusterResolver.known). */
  known: () => Promise<[string, KubeClient][]>;
  /** Whether this replica owns the cluster's shard (a lone replica owns them all). */
  owns: (cluster: string) => boolean;
  /** Builds the controller of one cluster, driving it through `client`. */
  make: (client: KubeClient, cluster: string) => ClusterController;
  log: Logger;
  /**
   * How often the resolver's clients are compared with the running controllers (default 2 s). An
   * in-memory comparison, no request: a cluster's first app is applied seconds before its Canary
   * needs driving, and its controller's own watch takes over from there.
   */
  intervalMs?: number;
}

export class PushDelivery {
  readonly #o: PushDeliveryOptions;
  readonly #running = new Map<string, { client: KubeClient; controller: ClusterController }>();
  #timer: NodeJS.Timeout | undefined;
  #syncing = false;
  #stopped = false;

  constructor(o: PushDeliveryOptions) {
    this.#o = o;
  }

  start(): void {
    void this.sync();
    this.#timer = setInterval(() => void this.sync(), this.#o.intervalMs ?? 2000);
    this.#timer.unref();
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    for (const r of this.#running.values()) r.controller.stop();
    this.#running.clear();
  }

  /** The clusters driven now (tests, metrics). */
  get clusters(): string[] {
    return [...this.#running.keys()];
  }

  /**
   * Starts a controller for each new cluster, stops those whose cluster this replica no longer
   * owns or whose client the resolver dropped, and restarts one whose client was replaced (new
   * credentials, or a reconnect after an outage): a stale client's watch would never see a change.
   */
  async sync(): Promise<void> {
    if (this.#syncing || this.#stopped) return;
    this.#syncing = true;
    try {
      const want = new Map(
        (await this.#o.known()).filter(([name]) => name !== IN_CLUSTER && this.#o.owns(name)),
      );
      if (this.#stopped) return;
      for (const [name, r] of this.#running) {
        if (want.get(name) === r.client) continue;
        r.controller.stop();
        this.#running.delete(name);
        this.#o.log.info({ cluster: name }, 'canaries of this cluster no longer driven here');
      }
      for (const [name, client] of want) {
        if (this.#running.has(name)) continue;
        const controller = this.#o.make(client, name);
        controller.start();
        this.#running.set(name, { client, controller });
        this.#o.log.info({ cluster: name }, 'driving the canaries of this push-mode cluster');
      }
    } catch (err) {
      this.#o.log.warn({ err: String(err) }, 'push-mode canary clusters not refreshed');
    } finally {
      this.#syncing = false;
    }
  }
}
