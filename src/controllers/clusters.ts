import { KubeClient } from '../kube/client.js';
import { loadConnection } from '../kube/kubeconfig.js';
import type { KubeObject } from '../kube/types.js';
import { GitfleetError } from '../core/errors.js';
import { claimDriver } from './lease/driver.js';
import { API_VERSION } from '../api/application.js';
import { CLUSTER_SECRET_LABEL, type Cluster } from '../api/cluster.js';

/** The driver identity all hub replicas share when they push to a cluster. */
export const HUB_DRIVER = 'hub';

/** The destination name that means "the cluster the controller runs against". */
export const IN_CLUSTER = 'in-cluster';

/**
 * Turns destination names into clients, one pooled client per cluster. `in-cluster` is the
 * management client; any other name is a Cluster in the controller's namespace whose credential
 * Secret (`spec.secretRef`, key `kubeconfig`) is read once and cached until `forget(name)`.
 */
export class ClusterResolver {
  readonly #mgmt: KubeClient;
  readonly #namespace: string;
  readonly #clients = new Map<string, Promise<KubeClient>>();

  readonly #self: string | undefined;

  /** `self`: the name this cluster has on the hub, which an agent resolves to its own cluster. */
  constructor(mgmt: KubeClient, controllerNamespace: string, opts: { self?: string } = {}) {
    this.#mgmt = mgmt;
    this.#namespace = controllerNamespace;
    this.#self = opts.self;
  }

  resolve(name: string | undefined, signal?: AbortSignal): Promise<KubeClient> {
    const n = name && name !== '' ? name : IN_CLUSTER;
    if (n === IN_CLUSTER || n === this.#self) return Promise.resolve(this.#mgmt);
    let p = this.#clients.get(n);
    if (!p) {
      p = this.#load(n, signal);
      this.#clients.set(n, p);
      p.catch(() => this.#clients.delete(n));
    }
    return p;
  }

  forget(name: string): void {
    void this.#clients.get(name)?.then(
      (c) => c.close(),
      () => undefined,
    );
    this.#clients.delete(name);
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
