import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { startAgent } from '../../agent/agent.js';
import { parseDuration } from '../../controllers/application/status.js';
import { GitSources } from '../../engine/source/index.js';
import { favourSmallHeap } from '../../core/small-heap.js';
import { clientFrom } from '../connect.js';
import { UsageError } from '../output.js';
import { installCrds } from './install.js';

const USAGE = `usage: gitfleet agent --hub URL --cluster NAME --token-file FILE [flags]
  --hub URL              the hub's API (https://… in production)
  --cluster NAME         this cluster's name on the hub (a Cluster with spec.mode: agent)
  --token-file FILE      the agent token printed by 'gitfleet cluster add NAME --mode agent'
  --hub-ca FILE          PEM CA of the hub's certificate when it is private
  --kubeconfig FILE      the cluster to drive (default: in-cluster config or $KUBECONFIG)
  --metrics-port N       serve /metrics and /healthz (default 8081; 0 = any free port; off = none)
  --poll-interval 3m     how often apps are checked against Git
  --install-crds         apply gitfleet's CRDs to this cluster first`;

/** `gitfleet agent`: drives the cluster it runs in from the hub's assignments, until SIGINT/SIGTERM. */
export async function agentCommand(argv: string[]): Promise<number> {
  // A long-running, mostly idle process: V8 favours memory over speed (see why there). The CLI's
  // entry did it already, before this module loaded; this covers callers of the function itself.
  favourSmallHeap();
  const { values } = parseArgs({
    args: argv,
    options: {
      hub: { type: 'string' },
      cluster: { type: 'string' },
      'token-file': { type: 'string' },
      'hub-ca': { type: 'string' },
      kubeconfig: { type: 'string' },
      context: { type: 'string' },
      'metrics-port': { type: 'string', default: '8081' },
      'poll-interval': { type: 'string', default: '3m' },
      'cache-dir': { type: 'string' },
      concurrency: { type: 'string', default: '4' },
      'install-crds': { type: 'boolean' },
    },
  });
  if (!values.hub || !values.cluster || !values['token-file']) throw new UsageError(USAGE);
  const token = readFileSync(values['token-file'], 'utf8').trim();
  if (!token) throw new UsageError(`${values['token-file']}: empty token file`);
  const log = pino({ level: process.env.GITFLEET_LOG_LEVEL ?? 'info' });
  const client = await clientFrom(values);
  if (values['install-crds']) await installCrds(client);
  const interval = parseDuration(values['poll-interval']);
  const metricsPort = values['metrics-port'] === 'off' ? -1 : Number(values['metrics-port']);
  const agent = await startAgent({
    hubUrl: values.hub,
    token,
    ...(values['hub-ca'] ? { hubCa: readFileSync(values['hub-ca'], 'utf8') } : {}),
    cluster: values.cluster,
    client,
    sources: new GitSources({
      cacheDir: values['cache-dir'] ?? join(homedir(), '.cache', 'gitfleet', 'agent-sources'),
      fetchIntervalMs: interval,
      log: log.child({ component: 'source' }),
    }),
    pollIntervalMs: interval,
    concurrency: Number(values.concurrency),
    ...(metricsPort >= 0 ? { metricsPort } : {}),
    log,
  });
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await agent.stop();
  client.close();
  return 0;
}
