import { hostname } from 'node:os';
import { Gauge } from 'prom-client';
import type { Logger } from 'pino';
import { API_VERSION, destinationClusterName, type Application } from '../api/application.js';
import { FLEET_NAMESPACE } from '../api/cluster.js';
import { ApplicationController } from '../controllers/application/controller.js';
import { ApplicationSetController } from '../controllers/applicationset/controller.js';
import { ClusterStatusController } from '../controllers/cluster/health.js';
import { ClusterResolver } from '../controllers/clusters.js';
import { startHubDelivery, type HubDelivery } from '../controllers/delivery/hub.js';
import { HubMembership } from '../controllers/lease/shards.js';
import { ControllerMetrics } from '../controllers/metrics.js';
import { LifecycleNotifier } from '../controllers/notify/lifecycle.js';
import { writeBack } from '../controllers/image/writeback.js';
import { Notifier } from '../controllers/notify/notifier.js';
import { RuleWatch } from '../controllers/notify/rule-cache.js';
import { gitHost } from '../githost/factory.js';
import type { PullRequestPreviewer, TriggerAnswer } from '../preview/trigger.js';
import type { RenderOptions } from '../engine/render/index.js';
import { GitSources } from '../engine/source/index.js';
import type { PullRequestEvent } from '../engine/source/webhook.js';
import type { AuditStore } from '../governance/audit/index.js';
import type { HubKey } from '../governance/hub-key.js';
import type { KubeClient } from '../kube/client.js';
import type { KubeObject } from '../kube/types.js';
import { Informer } from '../kube/informer.js';
import { NamespaceView } from '../kube/informer-view.js';
import type { ExternalTokenVerifier } from './auth.js';
import type { BrowserLogin } from './auth/index.js';
import type { Authorizer } from './principal.js';
import { startHubServer, type HubServerOptions } from './server.js';

/** Everything a hub process is made of, decided by its caller (flags, a test, the demo). */
export interface HubConfig {
  /** Client of the management cluster; the hub does not close it (its caller made it). */
  client: KubeClient;
  log: Logger;
  /** Drive only Applications (and ApplicationSets) of this namespace; all when absent. */
  namespace?: string;
  /** Git mirrors: a directory for new ones, or mirrors the caller already holds. */
  sources: GitSources | { cacheDir: string; fetchIntervalMs: number };
  pollIntervalMs: number;
  /** Which controllers run; both by default (the ApplicationSet one only while leader). */
  controllers?: { applications?: boolean; applicationSets?: boolean; images?: boolean; promotions?: boolean };
  concurrency?: number;
  healthTimeoutMs?: number;
  renderOptions?: RenderOptions;
  /** How often Clusters are checked; the controller's default when absent. */
  clusterCheckIntervalMs?: number;
  /**
   * Leader election and cluster sharding by Lease among the replicas of `group`. Always on: a
   * lone replica simply owns every cluster and leads, so tests run the same path as production.
   */
  membership: { identity?: string; group: string; leaseSeconds: number };
  metrics?: ControllerMetrics;
  notifier?: Notifier;
  audit?: AuditStore;
  hubKey?: HubKey;
  /** The HTTP surface (webhooks, API, UI, metrics); none when absent. */
  server?: {
    port: number;
    host?: string;
    tls?: { cert: string; key: string };
    webhookSecrets: HubServerOptions['webhookSecrets'];
    metricsToken?: string;
    ui?: HubServerOptions['ui'];
    /** The API at /api/v1; off when absent. */
    api?: {
      tokens: string[];
      authorizer?: Authorizer;
      externalTokens?: ExternalTokenVerifier;
      /** Browser sign-in with OIDC (session cookies); off when absent. */
      login?: BrowserLogin;
    };
  };
}

/** A running hub: its parts for callers (tests) that inspect them, and one way to stop it all. */
export interface RunningHub {
  clusterStatus: ClusterStatusController;
  clusters: ClusterResolver;
  membership: HubMembership;
  metrics: ControllerMetrics;
  applications?: ApplicationController;
  /** Canary controllers (with the Application controller), for tests that look at them. */
  delivery?: HubDelivery;
  /** The ApplicationSet controller while this replica leads, else undefined. */
  readonly applicationSets: ApplicationSetController | undefined;
  /** The HTTP port, when a server was asked for. */
  port?: number;
  stop(): Promise<void>;
}

/**
 * The one composition root: builds the caches, controllers, leader election, metrics and HTTP
 * server of a hub once. `gitfleet controller`, the demo and the e2e harness all call it, so what
 * the tests run is the product's own wiring.
 */
export async function startHub(cfg: HubConfig): Promise<RunningHub> {
  const { client, log } = cfg;
  const want = { applications: true, applicationSets: true, ...cfg.controllers };
  const sources =
    cfg.sources instanceof GitSources
      ? cfg.sources
      : new GitSources({
          ...cfg.sources,
          // Why a repository could not be reached goes here, never to status (no port scanning).
          log: log.child({ component: 'source' }),
        });
  const metrics = cfg.metrics ?? new ControllerMetrics();
  const clusters = new ClusterResolver(client, FLEET_NAMESPACE);
  // The commit-status destination reaches the Git host through the same adapters as previews.
  // Notifications read their rules from a watch instead of listing them on every event.
  const ruleWatch = cfg.notifier === undefined ? new RuleWatch(client, cfg.namespace) : undefined;
  ruleWatch?.start();
  const notifier =
    cfg.notifier ?? new Notifier({ client, log, gitHost, ...(ruleWatch ? { rules: ruleWatch } : {}) });
  // Set once the replicas' membership has started; until then no replica reports AgentLost.
  const shard: { owns?: (cluster: string) => boolean } = {};
  const clusterStatus = new ClusterStatusController({
    mgmt: client,
    resolver: clusters,
    log,
    metrics,
    notifier,
    ownsCluster: (name) => shard.owns?.(name) ?? false,
    ...(cfg.clusterCheckIntervalMs ? { intervalMs: cfg.clusterCheckIntervalMs } : {}),
  });
  clusterStatus.start();
  // Replicas split the clusters between them by Lease; a lone replica owns them all.
  const membership = new HubMembership({
    client,
    identity: cfg.membership.identity ?? `${hostname()}-${process.pid}`,
    group: cfg.membership.group,
    leaseSeconds: cfg.membership.leaseSeconds,
    log,
  });
  await membership.start();
  shard.owns = (name) => membership.owns(name);
  membershipGauges(metrics, membership);
  const responsibleFor = (app: Application): boolean => {
    // Until the Clusters are known, an agent-mode destination cannot be told apart: wait.
    if (!clusterStatus.synced) return false;
    // `destination.server` (Argo CD's form) shards and defers to agents by its Cluster too.
    const known = clusterStatus.list();
    const dest = destinationClusterName(app.spec.destination, known);
    const cluster = known.find((c) => c.metadata.name === dest);
    // Agents receive Applications by destination.name; one addressed by server stays here and is
    // refused with InvalidSpecError (ClusterResolver.destination), never left undriven.
    if (cluster?.spec.mode === 'agent' && app.spec.destination.name) return false;
    return membership.owns(dest);
  };
  const ns = cfg.namespace !== undefined ? { namespace: cfg.namespace } : {};
  // One cache of Applications for the controller, the lifecycle notifier and the API. The API
  // serves every namespace: when it runs, the cache holds all of them and a controller confined to
  // one namespace reads a view of it (two caches held each app twice). Only where the hub may list
  // Applications in every namespace: a hub given only its namespace's rights keeps a controller
  // that works (its API's list fails, as it did before).
  const appsForApi =
    cfg.server?.api !== undefined &&
    (cfg.namespace === undefined || (await mayListEveryNamespace(client, 'gitfleet.dev', 'applications')));
  const sharedApps = want.applications
    ? new Informer<Application>(client, {
        apiVersion: API_VERSION,
        kind: 'Application',
        dropManagedFields: true,
        ...(appsForApi ? {} : ns),
      })
    : undefined;
  const controllerApps =
    sharedApps && appsForApi && cfg.namespace !== undefined
      ? new NamespaceView(sharedApps, cfg.namespace)
      : sharedApps;
  if (sharedApps && cfg.namespace !== undefined && cfg.server?.api !== undefined)
    // Which one, since it decides the hub's memory per app (and a test reads it).
    log.info({ namespace: cfg.namespace, sharedWithApi: appsForApi }, 'applications cache');
  const applications = want.applications
    ? new ApplicationController({
        client,
        clusters,
        metrics,
        notifier,
        ...ns,
        sources,
        pollIntervalMs: cfg.pollIntervalMs,
        ...(cfg.concurrency ? { concurrency: cfg.concurrency } : {}),
        ...(cfg.healthTimeoutMs ? { healthTimeoutMs: cfg.healthTimeoutMs } : {}),
        ...(cfg.renderOptions ? { renderOptions: cfg.renderOptions } : {}),
        responsibleFor,
        ...(cfg.audit ? { audit: cfg.audit } : {}),
        ...(cfg.hubKey ? { hubKey: cfg.hubKey } : {}),
        ...(controllerApps ? { informer: controllerApps } : {}),
        log,
      })
    : undefined;
  applications?.start();
  // Created, Deleted, Deployed, SyncRunning, SyncStatusUnknown: read from the apps' own changes.
  const lifecycle = want.applications
    ? new LifecycleNotifier({
        client,
        notifier,
        ...ns,
        responsibleFor,
        ...(controllerApps ? { informer: controllerApps } : {}),
      })
    : undefined;
  lifecycle?.start();
  // Canaries and blue/green of the hub's own cluster and of the push-mode clusters its apps are
  // applied to (those of this replica's shard), driven next to the apps.
  const delivery = want.applications
    ? startHubDelivery({
        client,
        known: () => clusters.known(),
        owns: (name) => membership.owns(name),
        log,
        notifier,
        ...(cfg.audit ? { audit: cfg.audit } : {}),
        ...(cfg.namespace !== undefined ? { appNamespace: cfg.namespace } : {}),
      })
    : undefined;
  // A burst of Cluster changes (the first list of a thousand) re-examines every app once, not per change.
  let requeue: NodeJS.Timeout | undefined;
  clusterStatus.onChange(() => {
    requeue ??= setTimeout(() => {
      requeue = undefined;
      applications?.requeueAll();
    }, 1000);
  });
  // ApplicationSets are generated by one replica at a time: the holder of the leader Lease.
  let appsets: ApplicationSetController | undefined;
  const followLeadership = (): void => {
    if (want.applicationSets && membership.isLeader && !appsets) {
      appsets = new ApplicationSetController({
        client,
        ...ns,
        sources,
        clusters: clusterStatus,
        pollIntervalMs: cfg.pollIntervalMs,
        notifier,
        metrics,
        log,
        ...(cfg.audit ? { audit: cfg.audit } : {}),
      });
      appsets.start();
    } else if (!membership.isLeader && appsets) {
      appsets.stop();
      appsets = undefined;
    }
  };
  followLeadership();
  // Image automation and promotions write to Git: only the leader runs them.
  const writers = writeBack({
    client,
    log,
    ...ns,
    tickMs: cfg.pollIntervalMs,
    notifier,
    ...(cfg.audit ? { audit: cfg.audit } : {}),
    images: want.images ?? true,
    promotions: want.promotions ?? true,
  });
  writers.follow(membership.isLeader);
  membership.on('change', () => {
    writers.follow(membership.isLeader);
    followLeadership();
    applications?.requeueAll();
  });
  const s = cfg.server;
  // Pull requests of repositories with a PullRequestPreview get a fleet impact preview. The
  // previewer and its modules are loaded at the first pull request event: most hubs never get one,
  // and an idle hub's memory is mostly the code it has loaded (bench/peers/memory.ts).
  let previewer: Promise<PullRequestPreviewer> | undefined;
  const previewPullRequest = async (ev: PullRequestEvent): Promise<TriggerAnswer> => {
    previewer ??= import('../preview/trigger.js').then(
      ({ PullRequestPreviewer: Previewer }) =>
        new Previewer({
          client,
          namespace: FLEET_NAMESPACE,
          preview: { sources, clusters, ...(cfg.renderOptions ? { renderOptions: cfg.renderOptions } : {}) },
          log: log.child({ component: 'pr-preview' }),
        }),
    );
    return (await previewer).handle(ev);
  };
  const server = s
    ? await startHubServer({
        port: s.port,
        webhookSecrets: s.webhookSecrets,
        ...(s.host ? { host: s.host } : {}),
        ...(s.tls ? { tls: s.tls } : {}),
        onPush: (urls) => applications?.onPush(urls) ?? [],
        onPullRequest: previewPullRequest,
        metrics: metrics.registry,
        ...(s.metricsToken ? { metricsToken: s.metricsToken } : {}),
        ...(s.ui !== undefined ? { ui: s.ui } : {}),
        // Every API route needs a token: bootstrap ones from the environment, or stored hashed ones.
        ...(s.api
          ? {
              api: {
                client,
                tokens: s.api.tokens,
                clusters,
                ...(sharedApps ? { apps: sharedApps } : {}),
                ...(s.api.authorizer ? { authorizer: s.api.authorizer } : {}),
                ...(cfg.audit ? { audit: cfg.audit } : {}),
                ...(s.api.externalTokens ? { externalTokens: s.api.externalTokens } : {}),
                ...(s.api.login ? { login: s.api.login } : {}),
                ...(cfg.hubKey ? { hubKey: cfg.hubKey } : {}),
                preview: { sources, ...(cfg.renderOptions ? { renderOptions: cfg.renderOptions } : {}) },
              },
            }
          : {}),
        log,
      })
    : undefined;
  let stopped: Promise<void> | undefined;
  return {
    clusterStatus,
    clusters,
    membership,
    metrics,
    ...(applications ? { applications } : {}),
    ...(delivery ? { delivery } : {}),
    get applicationSets() {
      return appsets;
    },
    ...(server ? { port: server.port } : {}),
    stop: () =>
      (stopped ??= (async () => {
        clearTimeout(requeue);
        membership.removeAllListeners('change');
        applications?.stop();
        lifecycle?.stop();
        delivery?.stop();
        appsets?.stop();
        appsets = undefined;
        clusterStatus.stop();
        await writers.stop();
        await server?.close();
        // The controller stopped its own informer use; the shared one is ours to end.
        sharedApps?.stop();
        ruleWatch?.stop();
        await membership.stop().catch(() => undefined);
      })()),
  };
}

/** gitfleet_hub_members and gitfleet_hub_leader on the hub's registry. */
function membershipGauges(metrics: ControllerMetrics, membership: HubMembership): void {
  // A registry shared by two hubs of one process (a test) keeps the first one's gauges.
  if (metrics.registry.getSingleMetric('gitfleet_hub_members')) return;
  new Gauge({
    name: 'gitfleet_hub_members',
    help: 'Hub replicas alive in this replica’s shard group (by member Lease).',
    registers: [metrics.registry],
    collect() {
      this.set(membership.members.length);
    },
  });
  new Gauge({
    name: 'gitfleet_hub_leader',
    help: 'Whether this replica holds the leader Lease (runs ApplicationSets).',
    registers: [metrics.registry],
    collect() {
      this.set(membership.isLeader ? 1 : 0);
    },
  });
}

/** Whether this client may list `resource` in every namespace (a SelfSubjectAccessReview). */
async function mayListEveryNamespace(client: KubeClient, group: string, resource: string): Promise<boolean> {
  try {
    const review = await client.create<KubeObject & { status?: { allowed?: boolean } }>({
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectAccessReview',
      // A review has no name; KubeObject's type asks for one.
      metadata: { name: '' },
      spec: { resourceAttributes: { verb: 'list', group, resource } },
    } as KubeObject);
    return review.status?.allowed === true;
  } catch {
    return false;
  }
}
