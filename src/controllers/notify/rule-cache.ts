import { API_VERSION } from '../../api/application.js';
import { FLEET_NAMESPACE } from '../../api/cluster.js';
import type { NotificationRule } from '../../api/notification.js';
import type { KubeClient } from '../../kube/client.js';
import { Informer } from '../../kube/informer.js';

/** What the Notifier needs of a watch over NotificationRules. */
export interface RuleCache {
  /**
   * The rules an event of `namespace` may match (its own and the hub namespace's), or undefined
   * when the cache cannot answer (not synced yet, or a namespace it does not watch): then the
   * Notifier lists.
   */
  rulesFor(namespace: string): NotificationRule[] | undefined;
}

/**
 * Watches the NotificationRules a hub's events can match, so that every sync, health change and
 * deletion does not cost the apiserver two LISTs: every namespace for a hub that watches them
 * all, else its own namespace and the hub namespace. A rule is seen within the watch's latency,
 * as controllers reading from an informer cache (Flux's, Argo CD's) see theirs.
 */
export class RuleWatch implements RuleCache {
  readonly #informers: Informer<NotificationRule>[];
  readonly #scope: Set<string> | undefined;

  constructor(client: KubeClient, namespace?: string) {
    const watch = (ns?: string): Informer<NotificationRule> =>
      new Informer<NotificationRule>(client, {
        apiVersion: API_VERSION,
        kind: 'NotificationRule',
        ...(ns !== undefined ? { namespace: ns } : {}),
        dropManagedFields: true,
      });
    this.#scope = namespace === undefined ? undefined : new Set([namespace, FLEET_NAMESPACE]);
    this.#informers = this.#scope ? [...this.#scope].map((ns) => watch(ns)) : [watch()];
  }

  start(): void {
    for (const i of this.#informers) i.start();
  }

  stop(): void {
    for (const i of this.#informers) i.stop();
  }

  rulesFor(namespace: string): NotificationRule[] | undefined {
    if (this.#scope && !this.#scope.has(namespace)) return undefined;
    if (!this.#informers.every((i) => i.synced)) return undefined;
    return this.#informers
      .flatMap((i) => i.list())
      .filter((r) => r.metadata.namespace === namespace || r.metadata.namespace === FLEET_NAMESPACE);
  }
}
