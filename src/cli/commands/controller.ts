import { readFileSync } from 'node:fs';
import { homedir, hostname } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { FLEET_NAMESPACE } from '../../api/cluster.js';
import { parseDuration } from '../../controllers/application/status.js';
import { startHub } from '../../hub/start.js';
import { openAuditStore } from '../../governance/audit/index.js';
import { loadOrCreateHubKey } from '../../governance/hub-key.js';
import { OidcVerifier } from '../../governance/oidc.js';
import { loadRbac } from '../../governance/rbac-loader.js';
import { browserLoginFromEnv } from '../../hub/auth/config.js';
import { favourSmallHeap } from '../../core/small-heap.js';
import { clientFrom } from '../connect.js';
import { installCrds } from './install.js';

/**
 * `gitfleet controller`: runs the Application controller against a management cluster, with the
 * webhook endpoint, until SIGINT/SIGTERM.
 */
export async function controllerCommand(argv: string[]): Promise<number> {
  // A long-running, mostly idle process: V8 favours memory over speed (see why there). The CLI's
  // entry did it already, before this module loaded; this covers callers of the function itself.
  favourSmallHeap();
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
      // 30 s, renewed every 10 s: a crashed replica's clusters move after 30 s (Flux's controllers
      // use 35 s); each renewal is two writes and a list, an idle hub's main traffic.
      'lease-duration': { type: 'string', default: '30s' },
      host: { type: 'string', default: '127.0.0.1' },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      'metrics-token-file': { type: 'string' },
    },
  });
  const log = pino({ level: process.env.GITFLEET_LOG_LEVEL ?? 'info' });
  const client = await clientFrom(values);
  if (values['install-crds']) await installCrds(client);
  const apiTokens = (process.env.GITFLEET_API_TOKENS ?? '')
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  // Audit trail: a postgres:// URL, else the embedded store's data directory (SQLite, ~11 MiB;
  // `off` disables it). The default sits beside --cache-dir, so replicas with their own cache
  // never share it.
  const auditLocation =
    values['audit-store'] ??
    process.env.GITFLEET_AUDIT_STORE ??
    (values['cache-dir']
      ? `${values['cache-dir']}-audit`
      : join(homedir(), '.local', 'share', 'gitfleet', 'audit'));
  const audit =
    auditLocation === 'off'
      ? undefined
      : await openAuditStore(auditLocation, { onImport: (m) => log.warn({ component: 'audit' }, m) });
  // RBAC from ConfigMap gitfleet-rbac and the Projects' roles, re-read while running.
  const rbac = await loadRbac(client, { namespace: FLEET_NAMESPACE, log });
  const oidc = oidcFromEnv();
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
  // Browser sign-in with the OIDC issuer when GITFLEET_OIDC_REDIRECT_URL is set (docs/rbac.md).
  const login = browserLoginFromEnv(process.env, {
    ...(hubKey ? { hubKey } : {}),
    tls: Boolean(values['tls-cert'] && values['tls-key']),
  });
  // A token for /metrics (Prometheus `authorization.credentials_file`); open when not given.
  const metricsToken = values['metrics-token-file']
    ? readFileSync(values['metrics-token-file'], 'utf8').trim()
    : undefined;
  if (metricsToken === '') throw new Error(`--metrics-token-file ${values['metrics-token-file']} is empty`);
  const hub = await startHub({
    client,
    log,
    ...(values.namespace ? { namespace: values.namespace } : {}),
    sources: {
      cacheDir: values['cache-dir'] ?? join(homedir(), '.cache', 'gitfleet', 'sources'),
      fetchIntervalMs: parseDuration(values['poll-interval']),
    },
    pollIntervalMs: parseDuration(values['poll-interval']),
    concurrency: Number(values.concurrency),
    membership: {
      identity: values['replica-id'] ?? process.env.POD_NAME ?? `${hostname()}-${process.pid}`,
      group: values['shard-group'],
      leaseSeconds: Math.max(3, Math.round(parseDuration(values['lease-duration']) / 1000)),
    },
    ...(audit ? { audit } : {}),
    ...(hubKey ? { hubKey } : {}),
    server: {
      port: Number(values['webhook-port']),
      host: values.host,
      webhookSecrets: {
        github: process.env.GITFLEET_WEBHOOK_GITHUB_SECRET,
        gitlab: process.env.GITFLEET_WEBHOOK_GITLAB_SECRET,
        gitea: process.env.GITFLEET_WEBHOOK_GITEA_SECRET,
      },
      ...(values['tls-cert'] && values['tls-key']
        ? {
            tls: {
              cert: readFileSync(values['tls-cert'], 'utf8'),
              key: readFileSync(values['tls-key'], 'utf8'),
            },
          }
        : {}),
      ...(metricsToken ? { metricsToken } : {}),
      api: {
        tokens: apiTokens,
        authorizer: rbac.authorizer,
        ...(oidc ? { externalTokens: oidc } : {}),
        ...(login ? { login } : {}),
      },
    },
  });
  log.info({ webhookPort: hub.port, namespace: values.namespace ?? '(all)' }, 'gitfleet controller started');
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await hub.stop();
  rbac.stop();
  await audit?.close();
  client.close();
  return 0;
}

/** An OIDC verifier from GITFLEET_OIDC_*, when an issuer and a client id are set. */
function oidcFromEnv(): OidcVerifier | undefined {
  const issuer = process.env.GITFLEET_OIDC_ISSUER;
  const clientId = process.env.GITFLEET_OIDC_CLIENT_ID;
  if (!issuer || !clientId) return undefined;
  const groupsClaim = process.env.GITFLEET_OIDC_GROUPS_CLAIM;
  const usernameClaim = process.env.GITFLEET_OIDC_USERNAME_CLAIM;
  return new OidcVerifier({
    issuer,
    clientId,
    ...(groupsClaim ? { groupsClaim } : {}),
    ...(usernameClaim ? { usernameClaim } : {}),
  });
}
