import { KubeClient } from '../kube/client.js';
import { KubeConnectionError } from '../kube/errors.js';
import { loadConnection } from '../kube/kubeconfig.js';
import type { KubeObject } from '../kube/types.js';
import { GitfleetError } from '../core/errors.js';
import { claimDriver } from './lease/driver.js';
import {
  API_VERSION,
  IN_CLUSTER_SERVER,
  normalizeServerUrl,
  type ApplicationDestination,
} from '../api/application.js';
import { CLUSTER_SECRET_LABEL, type Cluster } from '../api/cluster.js';

/** The driver identity all hub replicas share when they push to a cluster. */
export const HUB_DRIVER = 'hub';

/** The destination name that means "the cluster the controller runs against". */
export const IN_CLUSTER = 'in-cluster';

/**
 * Longest a request to a managed cluster may take. A cluster whose API server accepts connections
 * and never answers holds the caller this long, once: then it counts as unreachable (below).
 */
export const DESTINATION_TIMEOUT_MS = 15_000;
/** First wait after a cluster was found unreachable; doubles per failure up to the maximum. */
const BACKOFF_FIRST_MS = 5_000;
const BACKOFF_MAX_MS = 120_000;

/** How long a read of the registered Clusters answers "what is the URL of Cluster <name>". */
const CLUSTER_LIST_TTL_MS = 5_000;

/** An Application's destination cluster: its registered name and, when known, its API URL. */
export interface ResolvedDestination {
  name: string;
  server?: string;
}

/** A destination that names no cluster gitfleet can use: the spec is wrong, not the cluster. */
export class InvalidDestinationError extends GitfleetError {
  constructor(message: string) {
    super('application.InvalidSpec', message);
  }
}

/** A cluster that did not answer: when to try it again, and why. */
interface Outage {
  failures: number;
  retryAt: number;
  message: string;
  /** A probe (one connection attempt) is under way: every other caller fails at once. */
  probing: boolean;
}

/**
 * Turns destination names into clients, one pooled client per cluster. `in-cluster` is the
 * management client; any other name is a Cluster in the controller's namespace whose credential
 * Secret (`spec.secretRef`, key `kubeconfig`) is read once and cached until `forget(name)`.
 *
 * A cluster that does not answer (connection refused, reset, or no answer within
 * DESTINATION_TIMEOUT_MS) is marked unreachable and backs off: until its retry time every resolve
 * fails at once with `cluster.Unreachable`, then one caller probes it while the others still fail
 * at once. So an unreachable cluster holds no shared worker beyond that one probe.
 */
export class ClusterResolver {
  readonly #mgmt: KubeClient;
  readonly #namespace: string;
  readonly #clients = new Map<string, Promise<KubeClient>>();
  /** Clusters whose client is built and answered. */
  readonly #ready = new Map<string, KubeClient>();
  readonly #outages = new Map<string, Outage>();

  readonly #self: string | undefined;
  /** The registered Clusters as last read, for `destination.server` lookups. */
  #listed: { at: number; clusters: Cluster[] } | undefined;
  /** Normalised API URL → cluster name, as last resolved (for synchronous callers). */
  readonly #byServer = new Map<string, string>();

  /** `self`: the name this cluster has on the hub, which an agent resolves to its own cluster. */
  constructor(mgmt: KubeClient, controllerNamespace: string, opts: { self?: string } = {}) {
    this.#mgmt = mgmt;
    this.#namespace = controllerNamespace;
    this.#self = opts.self;
  }

  /**
   * Which registered cluster a destination means, with Argo CD's rules: `name` as given (default
   * `in-cluster`), or `server` matched against the Clusters' `spec.server` after normalisation
   * (`https://kubernetes.default.svc` is always `in-cluster`). Both set, a malformed URL, a URL no
   * Cluster has, or one several Clusters share throw InvalidDestinationError naming the field:
   * a destination is never guessed, and never falls back to the hub's own cluster.
   */
  async destination(dest: ApplicationDestination, signal?: AbortSignal): Promise<ResolvedDestination> {
    const name = dest.name?.trim() ?? '';
    const server = dest.server?.trim() ?? '';
    if (name && server)
      throw new InvalidDestinationError(
        `destination.name (${JSON.stringify(name)}) and destination.server (${JSON.stringify(server)}) are both set: set one of them`,
      );
    // `server: ''` is a template that found no URL (say an agent-mode Cluster registered without
    // one): refused, not read as "no destination" and so the hub's own cluster.
    if (!server && !name && dest.server !== undefined)
      throw new InvalidDestinationError(
        "destination.server is empty: set the cluster's API URL or destination.name",
      );
    if (!server) {
      const n = name || IN_CLUSTER;
      if (n === IN_CLUSTER) return { name: n, server: IN_CLUSTER_SERVER };
      const known = (await this.#clusterList(signal, false)).find((c) => c.metadata.name === n);
      return known?.spec.server ? { name: n, server: known.spec.server } : { name: n };
    }
    const wanted = normalizeServerUrl(server);
    if (!wanted)
      throw new InvalidDestinationError(
        `destination.server ${JSON.stringify(server)} is not an http(s) URL of a cluster's API server`,
      );
    if (wanted === normalizeServerUrl(IN_CLUSTER_SERVER))
      return { name: IN_CLUSTER, server: IN_CLUSTER_SERVER };
    const matching = (list: Cluster[]): Cluster[] =>
      list.filter((c) => c.spec.server && normalizeServerUrl(c.spec.server) === wanted);
    // Read now, not from the cache: a Cluster registered a moment ago at the same URL makes the
    // destination ambiguous, and a stale list would have picked the other one.
    const found = matching(await this.#clusterList(signal, true));
    if (found.length === 0)
      throw new InvalidDestinationError(
        `destination.server ${server} matches no registered Cluster in ${this.#namespace} (no Cluster has spec.server ${wanted}); register it with 'gitfleet cluster add' or set destination.name`,
      );
    if (found.length > 1)
      throw new InvalidDestinationError(
        `destination.server ${server} is ambiguous: Clusters ${found.map((c) => c.metadata.name).join(', ')} all have that API URL; set destination.name to choose one`,
      );
    const c = found[0] as Cluster;
    if (c.spec.mode === 'agent')
      throw new InvalidDestinationError(
        `destination.server ${server} is agent-mode Cluster ${c.metadata.name}, whose agent receives Applications by name: set destination.name: ${c.metadata.name} instead`,
      );
    this.#byServer.set(wanted, c.metadata.name);
    return { name: c.metadata.name, server: c.spec.server };
  }

  /**
   * The cluster name a destination resolved to last time, without any read (for the work queue's
   * per-cluster fairness); `in-cluster` when unknown.
   */
  knownName(dest: ApplicationDestination | undefined): string {
    if (dest?.name) return dest.name;
    const wanted = dest?.server ? normalizeServerUrl(dest.server) : undefined;
    return (wanted && this.#byServer.get(wanted)) || IN_CLUSTER;
  }

  /**
   * The registered Clusters: `fresh` reads them now; otherwise a read under CLUSTER_LIST_TTL_MS old
   * serves (only for a named cluster's URL, which project `server` globs match on).
   */
  async #clusterList(signal: AbortSignal | undefined, fresh: boolean): Promise<Cluster[]> {
    const age = this.#listed ? Date.now() - this.#listed.at : Infinity;
    if (!fresh && this.#listed && age < CLUSTER_LIST_TTL_MS) return this.#listed.clusters;
    const list = await this.#mgmt.list<Cluster>(API_VERSION, 'Cluster', {
      namespace: this.#namespace,
      signal,
    });
    this.#listed = { at: Date.now(), clusters: list.items };
    return list.items;
  }

  resolve(name: string | undefined, signal?: AbortSignal): Promise<KubeClient> {
    const n = name && name !== '' ? name : IN_CLUSTER;
    if (n === IN_CLUSTER || n === this.#self) return Promise.resolve(this.#mgmt);
    let p = this.#clients.get(n);
    const outage = this.#outages.get(n);
    if (outage && (outage.probing || Date.now() < outage.retryAt)) {
      return Promise.reject(
        new GitfleetError(
          'cluster.Unreachable',
          `cluster "${n}" is unreachable (${outage.message}); retrying with back-off`,
          { transient: true },
        ),
      );
    }
    if (!p) {
      if (outage) outage.probing = true;
      p = this.#load(n, signal);
      this.#clients.set(n, p);
      p.then(
        (c) => {
          this.#ready.set(n, c);
          this.#outages.delete(n);
        },
        (e: unknown) => {
          if (this.#clients.get(n) === p) this.#clients.delete(n);
          const o = this.#outages.get(n);
          if (o) o.probing = false;
          this.reportFailure(n, e);
        },
      );
    }
    return p;
  }

  /**
   * Whether this cluster has not (yet, or any more) answered: the work queue lets such a
   * cluster's apps run one at a time, so a cluster that hangs holds one worker, not all of them.
   */
  degraded(name: string | undefined): boolean {
    const n = name && name !== '' ? name : IN_CLUSTER;
    if (n === IN_CLUSTER || n === this.#self) return false;
    return !this.#ready.has(n) || this.#outages.has(n);
  }

  /** How long until an unreachable cluster is tried again (0 when it is not backing off). */
  retryAfterMs(name: string | undefined): number {
    const o = name ? this.#outages.get(name) : undefined;
    return o ? Math.max(0, o.retryAt - Date.now()) : 0;
  }

  /**
   * Tells the resolver a request to this cluster failed. A connection failure or timeout of
   * this cluster's own client (not the management cluster's) starts or extends its back-off and
   * drops the pooled client; any other error is about the request, not the cluster, and is ignored.
   */
  reportFailure(name: string | undefined, e: unknown): void {
    if (!name || name === IN_CLUSTER || name === this.#self) return;
    const server = this.#ready.get(name)?.server;
    const conn = connectionFailure(e);
    if (!conn) return;
    // The error must be this cluster's; a management-cluster outage is not this cluster's fault.
    const from = (srv: string): boolean => conn.message.startsWith(`cannot reach ${srv}:`);
    if (server ? !from(server) : from(this.#mgmt.server)) return;
    const o = this.#outages.get(name);
    const failures = (o?.failures ?? 0) + 1;
    const wait = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** (failures - 1));
    this.#outages.set(name, {
      failures,
      retryAt: Date.now() + wait * (0.9 + Math.random() * 0.2),
      message: conn.message,
      probing: false,
    });
    const c = this.#ready.get(name);
    this.#ready.delete(name);
    this.#clients.delete(name);
    c?.close();
  }

  /** Drops the pooled client; `fresh` also forgets an outage (new credentials deserve a try now). */
  forget(name: string, fresh = false): void {
    void this.#clients.get(name)?.then(
      (c) => c.close(),
      () => undefined,
    );
    this.#clients.delete(name);
    this.#ready.delete(name);
    if (fresh) this.#outages.delete(name);
  }

  /** Every destination client created so far (for watches), with its name. */
  async known(): Promise<[string, KubeClient][]> {
    const out: [string, KubeClient][] = [[IN_CLUSTER, this.#mgmt]];
    for (const [n, p] of this.#clients) {
      try {
        out.push([n, await p]);
      } catch {
        // unreachable or misconfigured: reported by the apps that use it
      }
    }
    return out;
  }

  async #load(name: string, signal?: AbortSignal): Promise<KubeClient> {
    const cluster = await this.#mgmt.getOrUndefined<Cluster>(
      { apiVersion: API_VERSION, kind: 'Cluster', namespace: this.#namespace, name },
      signal,
    );
    if (!cluster) {
      throw new GitfleetError(
        'cluster.NotFound',
        `destination cluster "${name}" is not registered (no Cluster ${this.#namespace}/${name}; add it with 'gitfleet cluster add ${name} --kubeconfig …')`,
      );
    }
    if (cluster.spec.mode === 'agent' || !cluster.spec.secretRef) {
      throw new GitfleetError(
        'cluster.AgentMode',
        `cluster "${name}" is driven by its agent (spec.mode: agent); the hub has no credentials for it`,
      );
    }
    const secretName = cluster.spec.secretRef.name;
    const secret = await this.#mgmt.getOrUndefined<KubeObject & { data?: Record<string, string> }>(
      { apiVersion: 'v1', kind: 'Secret', namespace: this.#namespace, name: secretName },
      signal,
    );
    const data = secret?.data?.kubeconfig;
    if (!secret || secret.metadata.labels?.[CLUSTER_SECRET_LABEL] !== 'cluster' || !data) {
      throw new GitfleetError(
        'cluster.CredentialsMissing',
        `cluster "${name}": Secret ${this.#namespace}/${secretName} with a kubeconfig key and label ${CLUSTER_SECRET_LABEL}=cluster is missing`,
      );
    }
    const client = new KubeClient(
      await loadConnection({ yaml: Buffer.from(data, 'base64').toString('utf8') }),
    );
    client.requestTimeoutMs = DESTINATION_TIMEOUT_MS;
    // One driver per cluster: a hub pushing to a cluster its agent drives would fight it.
    try {
      await claimDriver(client, name, HUB_DRIVER);
    } catch (e) {
      client.close();
      throw e;
    }
    return client;
  }
}

/** The connection failure (no answer, refused, timed out) behind an error, if that is what it is. */
function connectionFailure(e: unknown): KubeConnectionError | undefined {
  for (let x: unknown = e, depth = 0; x && depth < 5; depth++) {
    if (x instanceof KubeConnectionError) return x;
    x = (x as { cause?: unknown }).cause;
  }
  return undefined;
}
