import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { FLEET_NAMESPACE } from '../../api/cluster.js';
import { ApplicationController } from '../../controllers/application/controller.js';
import { ApplicationSetController } from '../../controllers/applicationset/controller.js';
import { ClusterStatusController } from '../../controllers/cluster/health.js';
import { ClusterResolver } from '../../controllers/clusters.js';
import { ControllerMetrics } from '../../controllers/metrics.js';
import { Notifier } from '../../controllers/notify/notifier.js';
import { parseDuration } from '../../controllers/application/status.js';
import { GitSources } from '../../engine/source/index.js';
import { startHubServer } from '../../hub/server.js';
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
    },
  });
  const log = pino({ level: process.env.GITFLEET_LOG_LEVEL ?? 'info' });
  const client = await clientFrom(values);
  if (values['install-crds']) await installCrds(client);
  const sources = new GitSources({
    cacheDir: values['cache-dir'] ?? join(homedir(), '.cache', 'gitfleet', 'sources'),
    fetchIntervalMs: parseDuration(values['poll-interval']),
  });
  const metrics = new ControllerMetrics();
  const apiTokens = (process.env.GITFLEET_API_TOKENS ?? '')
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  const clusters = new ClusterResolver(client, FLEET_NAMESPACE);
  const clusterStatus = new ClusterStatusController({ mgmt: client, resolver: clusters, log, metrics });
  clusterStatus.start();
  const notifier = new Notifier({ client, log });
  const controller = new ApplicationController({
    client,
    clusters,
    metrics,
    notifier,
    ...(values.namespace ? { namespace: values.namespace } : {}),
    sources,
    pollIntervalMs: parseDuration(values['poll-interval']),
    concurrency: Number(values.concurrency),
    log,
  });
  controller.start();
  const appsets = new ApplicationSetController({
    client,
    ...(values.namespace ? { namespace: values.namespace } : {}),
    sources,
    clusters: clusterStatus,
    pollIntervalMs: parseDuration(values['poll-interval']),
    notifier,
    log,
  });
  appsets.start();
  const hub = await startHubServer({
    port: Number(values['webhook-port']),
    webhookSecrets: {
      github: process.env.GITFLEET_WEBHOOK_GITHUB_SECRET,
      gitlab: process.env.GITFLEET_WEBHOOK_GITLAB_SECRET,
      gitea: process.env.GITFLEET_WEBHOOK_GITEA_SECRET,
    },
    onPush: (urls) => controller.onPush(urls),
    metrics: metrics.registry,
    // The read API is on only when tokens are configured: it is never served unauthenticated.
    ...(apiTokens.length ? { api: { client, tokens: apiTokens } } : {}),
    log,
  });
  log.info({ webhookPort: hub.port, namespace: values.namespace ?? '(all)' }, 'gitfleet controller started');
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  controller.stop();
  appsets.stop();
  clusterStatus.stop();
  await hub.close();
  client.close();
  return 0;
}
