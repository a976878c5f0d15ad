import { API_VERSION, destinationClusterName, sourceOf, type Application } from '../../api/application.js';
import type { NotificationTrigger } from '../../api/notification.js';
import type { KubeClient } from '../../kube/client.js';
import { Informer, type InformerEvent } from '../../kube/informer.js';
import type { ObjectCache } from '../../kube/informer-view.js';
import type { Notifier } from './notifier.js';

/** What the last event showed of an app, to tell a transition from a repeat. */
interface Seen {
  sync?: string;
  opPhase?: string;
  opStartedAt?: string;
  deployed?: string;
}

/**
 * Argo CD's lifecycle triggers, read from the Applications' own changes rather than from inside
 * the sync: Created (an app appeared after the first list, so a restart announces nothing),
 * Deleted (the object is gone; the event carries its project, cluster and repository), SyncRunning
 * (an operation started), SyncStatusUnknown (sync status turned Unknown) and Deployed (an
 * operation succeeded and the app is Healthy at that revision; once per revision). Apps another
 * hub replica drives are skipped (`responsibleFor`), so each event is seen by one replica.
 */
export class LifecycleNotifier {
  readonly #informer: ObjectCache<Application>;
  readonly #notifier: Notifier;
  readonly #responsibleFor: (app: Application) => boolean;
  readonly #seen = new Map<string, Seen>();
  #synced = false;

  /** The informer is ours to start and stop (not one shared with the application controller). */
  readonly #own: boolean;
  readonly #listener = (ev: InformerEvent<Application>): void => {
    if (ev.type === 'synced') this.#synced = true;
    else if (ev.type !== 'error') this.#observe(ev.type, ev.object);
  };

  constructor(opts: {
    client: KubeClient;
    notifier: Notifier;
    namespace?: string;
    responsibleFor?: (app: Application) => boolean;
    /**
     * The Applications informer of the same scope the application controller uses: one cache of
     * every app instead of two (each copy was about 5 MiB at 1,000 apps). Its owner starts and
     * stops it.
     */
    informer?: ObjectCache<Application>;
  }) {
    this.#notifier = opts.notifier;
    this.#responsibleFor = opts.responsibleFor ?? (() => true);
    this.#own = !opts.informer;
    this.#informer =
      opts.informer ??
      new Informer<Application>(opts.client, {
        apiVersion: API_VERSION,
        kind: 'Application',
        dropManagedFields: true,
        ...(opts.namespace !== undefined ? { namespace: opts.namespace } : {}),
      });
    // A shared informer may have listed already: what it holds is the starting point, announced
    // as nothing (as the first list is).
    if (this.#informer.synced) {
      for (const app of this.#informer.list()) this.#observe('added', app);
      this.#synced = true;
    }
    this.#informer.on('event', this.#listener);
  }

  start(): void {
    if (this.#own) this.#informer.start();
  }

  stop(): void {
    this.#informer.off('event', this.#listener);
    if (this.#own) this.#informer.stop();
  }

  #observe(type: 'added' | 'modified' | 'deleted', app: Application): void {
    const key = `${app.metadata.namespace ?? ''}/${app.metadata.name}`;
    const before = this.#seen.get(key);
    const st = app.status;
    const op = st?.operationState;
    const revision = op?.revision ?? st?.sync?.revision ?? '';
    const now: Seen = {
      ...(st?.sync?.status ? { sync: st.sync.status } : {}),
      ...(op ? { opPhase: op.phase, opStartedAt: op.startedAt } : {}),
      ...(before?.deployed ? { deployed: before.deployed } : {}),
    };
    // Apps already deployed when the hub starts are not announced again.
    if (!this.#synced && op?.phase === 'Succeeded' && st?.health?.status === 'Healthy')
      now.deployed = revision;
    if (type === 'deleted') this.#seen.delete(key);
    else this.#seen.set(key, now);
    if (!this.#synced || !this.#responsibleFor(app)) return;
    const fire = (trigger: NotificationTrigger, message: string): void =>
      this.#notifier.notify({
        trigger,
        namespace: app.metadata.namespace ?? '',
        app: app.metadata.name,
        labels: app.metadata.labels ?? {},
        message,
        revision,
        kind: 'Application',
        project: app.spec.project ?? 'default',
        cluster: destinationClusterName(app.spec.destination),
        repoURL: sourceOf(app.spec).repoURL,
      });
    if (type === 'added') return fire('Created', 'application created');
    if (type === 'deleted') return fire('Deleted', 'application deleted');
    if (op?.phase === 'Running' && (before?.opPhase !== 'Running' || before.opStartedAt !== op.startedAt))
      fire('SyncRunning', op.message || 'sync started');
    if (st?.sync?.status === 'Unknown' && before?.sync !== 'Unknown')
      fire('SyncStatusUnknown', st.conditions?.map((c) => c.message).join('; ') || 'sync status unknown');
    if (
      op?.phase === 'Succeeded' &&
      st?.health?.status === 'Healthy' &&
      revision &&
      before?.deployed !== revision
    ) {
      now.deployed = revision;
      fire('Deployed', `deployed and Healthy at ${revision.slice(0, 12)}`);
    }
  }
}
