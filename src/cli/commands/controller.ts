import { readFileSync } from 'node:fs';
import { Gauge } from 'prom-client';
import { homedir, hostname } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { FLEET_NAMESPACE } from '../../api/cluster.js';
import { ApplicationController } from '../../controllers/application/controller.js';
import { ApplicationSetController } from '../../controllers/applicationset/controller.js';
import { ClusterStatusController } from '../../controllers/cluster/health.js';
import { ClusterResolver } from '../../controllers/clusters.js';
import { HubMembership } from '../../controllers/lease/shards.js';
import { API_VERSION, destinationClusterName, type Application } from '../../api/application.js';
import { Informer } from '../../kube/informer.js';
import { ControllerMetrics } from '../../controllers/metrics.js';
import { Notifier } from '../../controllers/notify/notifier.js';
import { parseDuration } from '../../controllers/application/status.js';
import { GitSources } from '../../engine/source/index.js';
import { startHubServer } from '../../hub/server.js';
import { openAuditStore } from '../../governance/audit/index.js';
import { loadOrCreateHubKey } from '../../governance/hub-key.js';
import { OidcVerifier } from '../../governance/oidc.js';
import { loadRbac } from '../../governance/rbac-loader.js';
import { clientFrom } from '../connect.js';
import { installCrds } from './install.js';

/**
 * `gitfleet controller`: runs the Application controller against a management cluster, with the
 * webhook endpoint, until SIGINT/SIGTERM.
 */
export async function controllerCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      kubeconfig: { type: 'string' },
      context: { type: 'string' },
      namespace: { type: 'string', short: 'n' },
      'poll-interval': { type: 'string', default: '3m' },
      'cache-dir': { type: 'string' },
      'webhook-port': { type: 'string', default: '8080' },
      'install-crds': { type: 'boolean' },
      concurrency: { type: 'string', default: '4' },
      'audit-store': { type: 'string' },
      'replica-id': { type: 'string' },
      'shard-group': { type: 'string', default: 'default' },
      'lease-duration': { type: 'string', default: '15s' },
      host: { type: 'string', default: '127.0.0.1' },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      'metrics-token-file': { type: 'string' },
    },
  });
  const log = pino({ level: process.env.GITFLEET_LOG_LEVEL ?? 'info' });
  const client = await clientFrom(values);
  if (values['install-crds']) await installCrds(client);
  const sources = new GitSources({
    cacheDir: values['cache-dir'] ?? join(homedir(), '.cache', 'gitfleet', 'sources'),
    fetchIntervalMs: parseDuration(values['poll-interval']),
    // Why a repository could not be reached goes here, never to status (no port scanning).
    log: log.child({ component: 'source' }),
  });
  const metrics = new ControllerMetrics();
  const apiTokens = (process.env.GITFLEET_API_TOKENS ?? '')
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  const clusters = new ClusterResolver(client, FLEET_NAMESPACE);
  const clusterStatus = new ClusterStatusController({ mgmt: client, resolver: clusters, log, metrics });
  clusterStatus.start();
  // Replicas split the clusters between them by Lease; a lone replica owns them all.
  const membership = new HubMembership({
    client,
    identity: values['replica-id'] ?? process.env.POD_NAME ?? `${hostname()}-${process.pid}`,
    group: values['shard-group'],
    leaseSeconds: Math.max(3, Math.round(parseDuration(values['lease-duration']) / 1000)),
    log,
  });
  await membership.start();
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
  const responsibleFor = (app: Application): boolean => {
    // Until the Clusters are known, an agent-mode destination cannot be told apart: wait.
    if (!clusterStatus.synced) return false;
    // `destination.server` (Argo CD's form) shards and defers to agents by its Cluster too.
    const clusters = clusterStatus.list();
    const dest = destinationClusterName(app.spec.destination, clusters);
    const cluster = clusters.find((c) => c.metadata.name === dest);
    // Agents receive Applications by destination.name; one addressed by server stays here and is
    // refused with InvalidSpecError (ClusterResolver.destination), never left undriven.
    if (cluster?.spec.mode === 'agent' && app.spec.destination.name) return false;
    return membership.owns(dest);
  };
  const notifier = new Notifier({ client, log });
  // Audit trail: a postgres:// URL, else the embedded store's data directory (`off` disables it).
  // The default sits beside --cache-dir, so replicas started with their own cache never share it.
  const auditLocation =
    values['audit-store'] ??
    process.env.GITFLEET_AUDIT_STORE ??
    (values['cache-dir']
      ? `${values['cache-dir']}-audit`
      : join(homedir(), '.local', 'share', 'gitfleet', 'audit'));
  const audit = auditLocation === 'off' ? undefined : await openAuditStore(auditLocation);
  // RBAC from ConfigMap gitfleet-rbac and the Projects' roles, re-read while running.
  const rbac = await loadRbac(client, { namespace: FLEET_NAMESPACE, log });
  const oidcIssuer = process.env.GITFLEET_OIDC_ISSUER;
  const oidcClientId = process.env.GITFLEET_OIDC_CLIENT_ID;
  const oidc =
    oidcIssuer && oidcClientId
      ? new OidcVerifier({
          issuer: oidcIssuer,
          clientId: oidcClientId,
          ...(process.env.GITFLEET_OIDC_GROUPS_CLAIM
            ? { groupsClaim: process.env.GITFLEET_OIDC_GROUPS_CLAIM }
            : {}),
          ...(process.env.GITFLEET_OIDC_USERNAME_CLAIM
            ? { usernameClaim: process.env.GITFLEET_OIDC_USERNAME_CLAIM }
            : {}),
        })
      : undefined;
  // Signs the requester of a sync the API writes, so the audit trail can tell it from kubectl's.
  // Without it (no hub namespace yet, no rights on its Secrets) the hub runs, and every sync
  // request is recorded as unverified.
  const hubKey = await loadOrCreateHubKey(client).catch((e: unknown) => {
    log.error(
      { err: e instanceof Error ? e.message : String(e) },
      'hub key unavailable; sync requesters will be recorded as unverified',
    );
    return undefined;
  });
  // A token for /metrics (Prometheus `authorization.credentials_file`); open when not given.
  const metricsToken = values['metrics-token-file']
    ? readFileSync(values['metrics-token-file'], 'utf8').trim()
    : undefined;
  if (metricsToken === '') throw new Error(`--metrics-token-file ${values['metrics-token-file']} is empty`);
  // Watching every namespace, the controller and the API share one cache of Applications.
  const sharedApps = values.namespace
    ? undefined
    : new Informer(client, { apiVersion: API_VERSION, kind: 'Application', dropManagedFields: true });
  const controller = new ApplicationController({
    client,
    clusters,
    metrics,
    notifier,
    ...(values.namespace ? { namespace: values.namespace } : {}),
    sources,
    pollIntervalMs: parseDuration(values['poll-interval']),
    concurrency: Number(values.concurrency),
    responsibleFor,
    ...(audit ? { audit } : {}),
    ...(hubKey ? { hubKey } : {}),
    ...(sharedApps ? { informer: sharedApps } : {}),
    log,
  });
  controller.start();
  // A burst of Cluster changes (the first list of a thousand) re-examines every app once, not per change.
  let requeue: NodeJS.Timeout | undefined;
  clusterStatus.onChange(() => {
    requeue ??= setTimeout(() => {
      requeue = undefined;
      controller.requeueAll();
    }, 1000);
  });
  // ApplicationSets are generated by one replica at a time: the holder of the leader Lease.
  let appsets: ApplicationSetController | undefined;
  const followLeadership = (): void => {
    if (membership.isLeader && !appsets) {
      appsets = new ApplicationSetController({
        client,
        ...(values.namespace ? { namespace: values.namespace } : {}),
        sources,
        clusters: clusterStatus,
        pollIntervalMs: parseDuration(values['poll-interval']),
        notifier,
        log,
      });
      appsets.start();
    } else if (!membership.isLeader && appsets) {
      appsets.stop();
      appsets = undefined;
    }
  };
  followLeadership();
  membership.on('change', () => {
    followLeadership();
    controller.requeueAll();
  });
  const hub = await startHubServer({
    port: Number(values['webhook-port']),
    webhookSecrets: {
      github: process.env.GITFLEET_WEBHOOK_GITHUB_SECRET,
      gitlab: process.env.GITFLEET_WEBHOOK_GITLAB_SECRET,
      gitea: process.env.GITFLEET_WEBHOOK_GITEA_SECRET,
    },
    host: values.host,
    ...(values['tls-cert'] && values['tls-key']
      ? {
          tls: {
            cert: readFileSync(values['tls-cert'], 'utf8'),
            key: readFileSync(values['tls-key'], 'utf8'),
          },
        }
      : {}),
    onPush: (urls) => controller.onPush(urls),
    metrics: metrics.registry,
    ...(metricsToken ? { metricsToken } : {}),
    // Every API route needs a token: bootstrap ones from the environment, or stored hashed ones.
    api: {
      client,
      tokens: apiTokens,
      clusters,
      ...(sharedApps ? { apps: sharedApps } : {}),
      authorizer: rbac.authorizer,
      ...(audit ? { audit } : {}),
      ...(oidc ? { externalTokens: oidc } : {}),
      ...(hubKey ? { hubKey } : {}),
    },
    log,
  });
  log.info({ webhookPort: hub.port, namespace: values.namespace ?? '(all)' }, 'gitfleet controller started');
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  controller.stop();
  appsets?.stop();
  clusterStatus.stop();
  await membership.stop().catch(() => undefined);
  await hub.close();
  rbac.stop();
  await audit?.close();
  client.close();
  return 0;
}
