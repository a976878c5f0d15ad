import type { Logger } from 'pino';
import { AGENT_API, type AssignmentList } from '../api/agent.js';
import { API_VERSION, type Application } from '../api/application.js';
import { FLEET_NAMESPACE } from '../api/cluster.js';
import { sleep } from '../core/sleep.js';
import { ensureNamespace } from '../kube/namespace.js';
import type { HubClient } from '../core/hub-client.js';
import type { KubeClient } from '../kube/client.js';

/** Label on Applications the agent stores for the hub (absent on autonomous ones). */
export const ASSIGNED_LABEL = 'gitfleet.dev/assigned';

const LONG_POLL_S = 30;

/**
 * Keeps the hub's assignments for this cluster stored as Applications in this cluster: long-polls
 * the hub, applies each assignment (same namespace and name as on the hub, labelled as assigned),
 * and deletes assigned Applications the hub no longer lists — never an autonomous one. What is
 * stored stays when the hub is gone, so reconciling goes on from Git without it.
 */
export class AssignmentSync {
  readonly #hub: HubClient;
  readonly #client: KubeClient;
  readonly #cluster: string;
  readonly #log: Logger;
  readonly #onConnected: (up: boolean) => void;
  #abort: AbortController | undefined;
  #count = 0;

  constructor(opts: {
    hub: HubClient;
    client: KubeClient;
    cluster: string;
    log: Logger;
    onConnected?: (up: boolean) => void;
  }) {
    this.#hub = opts.hub;
    this.#client = opts.client;
    this.#cluster = opts.cluster;
    this.#log = opts.log;
    this.#onConnected = opts.onConnected ?? (() => undefined);
  }

  get count(): number {
    return this.#count;
  }

  start(): void {
    this.#abort = new AbortController();
    void this.#loop(this.#abort.signal);
  }

  stop(): void {
    this.#abort?.abort();
  }

  async #loop(signal: AbortSignal): Promise<void> {
    let version: string | undefined;
    let backoff = 250;
    while (!signal.aborted) {
      let list: AssignmentList;
      try {
        const q = new URLSearchParams({ cluster: this.#cluster, wait: String(LONG_POLL_S) });
        if (version) q.set('version', version);
        list = await this.#hub.request<AssignmentList>('GET', `${AGENT_API}/assignments?${q}`, {
          timeoutMs: (LONG_POLL_S + 15) * 1000,
          signal,
        });
        this.#onConnected(true);
      } catch (e) {
        if (signal.aborted) return;
        this.#onConnected(false);
        this.#log.warn(
          { err: e instanceof Error ? e.message : String(e) },
          'hub unreachable: keeping the stored assignments',
        );
        await sleep(backoff, signal);
        backoff = Math.min(backoff * 2, 2000);
        continue;
      }
      backoff = 250;
      if (list.version === version) continue;
      try {
        await this.#store(list);
        version = list.version;
      } catch (e) {
        this.#log.error({ err: e instanceof Error ? e.message : String(e) }, 'storing assignments failed');
        await sleep(1000, signal);
      }
    }
  }

  async #store(list: AssignmentList): Promise<void> {
    const wanted = new Set<string>();
    const namespaces = new Set(list.items.map((a) => a.namespace));
    for (const ns of namespaces) await ensureNamespace(this.#client, ns);
    for (const a of list.items) {
      wanted.add(`${a.namespace}/${a.name}`);
      await this.#client.apply<Application>(
        {
          apiVersion: API_VERSION,
          kind: 'Application',
          metadata: {
            name: a.name,
            namespace: a.namespace,
            labels: { ...a.labels, [ASSIGNED_LABEL]: 'true' },
            // Requests made on the hub (sync, refresh) travel as annotations; the hub's view wins.
            annotations: a.annotations ?? {},
          },
          spec: a.spec,
        },
        { fieldManager: 'gitfleet-agent', force: true },
      );
    }
    await this.#storeGovernance(list);
    const stored = await this.#client.list<Application>(API_VERSION, 'Application', {
      labelSelector: `${ASSIGNED_LABEL}=true`,
    });
    for (const a of stored.items) {
      if (wanted.has(`${a.metadata.namespace ?? ''}/${a.metadata.name}`) || a.metadata.deletionTimestamp)
        continue;
      this.#log.info(
        { app: `${a.metadata.namespace}/${a.metadata.name}` },
        'assignment withdrawn by the hub: deleting',
      );
      await this.#client.delete({
        apiVersion: API_VERSION,
        kind: 'Application',
        namespace: a.metadata.namespace ?? '',
        name: a.metadata.name,
      });
    }
    this.#count = list.items.length;
    this.#log.info({ assignments: list.items.length, version: list.version }, 'assignments stored');
  }

  /**
   * The hub's Projects for these assignments, and this cluster's own Cluster object (for its
   * labels), stored where the controller looks for them. Projects the hub no longer sends are
   * deleted; Projects made locally (without the label) are never touched.
   */
  async #storeGovernance(list: AssignmentList): Promise<void> {
    await ensureNamespace(this.#client, FLEET_NAMESPACE);
    const labels = { [ASSIGNED_LABEL]: 'true' };
    await this.#client.apply(
      {
        apiVersion: API_VERSION,
        kind: 'Cluster',
        metadata: {
          name: this.#cluster,
          namespace: FLEET_NAMESPACE,
          labels: { ...(list.labels ?? {}), ...labels },
        },
        spec: { mode: 'agent', server: '' },
      },
      { fieldManager: 'gitfleet-agent', force: true },
    );
    const sent = new Set<string>();
    for (const p of list.projects ?? []) {
      sent.add(p.name);
      await this.#client.apply(
        {
          apiVersion: API_VERSION,
          kind: 'Project',
          metadata: { name: p.name, namespace: FLEET_NAMESPACE, labels },
          spec: p.spec,
        },
        { fieldManager: 'gitfleet-agent', force: true },
      );
    }
    const local = await this.#client.list(API_VERSION, 'Project', {
      namespace: FLEET_NAMESPACE,
      labelSelector: `${ASSIGNED_LABEL}=true`,
    });
    for (const p of local.items)
      if (!sent.has(p.metadata.name))
        await this.#client.delete({
          apiVersion: API_VERSION,
          kind: 'Project',
          namespace: FLEET_NAMESPACE,
          name: p.metadata.name,
        });
  }
}
