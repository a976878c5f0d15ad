import type { Logger } from 'pino';
import type { Context, Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import { API_VERSION, destinationClusterName, type Application } from '../api/application.js';
import type { ApplicationSet } from '../api/applicationset.js';
import { FLEET_NAMESPACE, type Cluster } from '../api/cluster.js';
import type { KubeClient } from '../kube/client.js';
import { Informer } from '../kube/informer.js';
import type { KubeList } from '../kube/types.js';
import type { ClusterResolver } from '../controllers/clusters.js';
import type { AuditStore } from '../governance/audit/index.js';
import type { HubKey } from '../governance/hub-key.js';
import { mountAuditRoutes } from './audit-routes.js';
import { AGENT_API } from '../api/agent.js';
import { mountAgentRoutes } from './agents.js';
import { TokenAuthenticator, type ExternalTokenVerifier } from './auth.js';
import {
  builtinAuthorizer,
  type ApiAction,
  type ApiTarget,
  type Authorizer,
  type HubEnv,
} from './principal.js';

/** One line of the fleet view: what a list of Applications shows. */
export interface ApplicationSummary {
  namespace: string;
  name: string;
  project: string;
  repoURL: string;
  path: string;
  targetRevision: string;
  destination: { cluster: string; namespace: string };
  sync: string;
  health: string;
  revision?: string;
  applicationSet?: string;
}

export function summarize(a: Application): ApplicationSummary {
  return {
    namespace: a.metadata.namespace ?? '',
    name: a.metadata.name,
    project: a.spec.project ?? 'default',
    repoURL: a.spec.source.repoURL,
    path: a.spec.source.path ?? '',
    targetRevision: a.spec.source.targetRevision ?? 'HEAD',
    destination: {
      // Argo CD's `destination.server` shows as its URL (or in-cluster), never as in-cluster by default.
      cluster: destinationClusterName(a.spec.destination),
      namespace: a.spec.destination.namespace ?? a.metadata.namespace ?? '',
    },
    sync: a.status?.sync?.status ?? 'Unknown',
    health: a.status?.health?.status ?? 'Unknown',
    ...(a.status?.sync?.revision ? { revision: a.status.sync.revision } : {}),
    ...(a.metadata.labels?.['gitfleet.dev/applicationset']
      ? { applicationSet: a.metadata.labels['gitfleet.dev/applicationset'] }
      : {}),
  };
}

/**
 * The hub's read API (`/api/v1`), for the CLI and the UI: Applications, ApplicationSets and
 * Clusters, and a server-sent event stream of Application changes. Every route needs a bearer
 * token from `tokens`; Secret data never passes through (status diffs are redacted upstream,
 * Cluster credentials are never read here).
 */
export interface ApiDeps {
  /** Client of the management cluster (Applications, Clusters, Projects live there). */
  client: KubeClient;
  /** Bootstrap admin tokens (GITFLEET_API_TOKENS). */
  tokens: string[];
  /** Destination clients, for views that read live objects of push-mode clusters. */
  clusters?: ClusterResolver;
  /** Decides what each caller may do; the built-in one when absent. */
  authorizer?: Authorizer;
  /** Serves the audit trail at /api/v1/audit when given. */
  audit?: AuditStore;
  /**
   * Every Application of the management cluster, watched: shared with the controller when it
   * watches all namespaces, so the hub holds one copy of each. The API makes its own when absent.
   */
  apps?: Informer;
  /** Verifies tokens that are not gitfleet's own (OIDC ID tokens). */
  externalTokens?: ExternalTokenVerifier;
  /**
   * The hub's key: signs the requester of a sync so the audit trail can tell it from a
   * hand-written annotation. Without it every sync request is recorded as unverified.
   */
  hubKey?: HubKey;
  log: Logger;
}

/** What authorization sees of an Application. */
export function appTarget(a: Application): ApiTarget {
  return {
    resource: 'applications',
    project: a.spec.project ?? 'default',
    namespace: a.metadata.namespace ?? '',
    name: a.metadata.name,
  };
}

function summaryTarget(a: ApplicationSummary): ApiTarget {
  return { resource: 'applications', project: a.project, namespace: a.namespace, name: a.name };
}

/**
 * Answers 403 with the reason unless the caller may do `action` on `target`; routes call it
 * before touching anything.
 */
export function forbidden(
  c: Context<HubEnv>,
  authorizer: Authorizer,
  action: ApiAction,
  target: ApiTarget,
): Response | undefined {
  const d = authorizer.authorize(c.get('principal'), action, target);
  return d.allowed ? undefined : c.json({ error: d.reason }, 403);
}

export function mountApi(app: Hono<HubEnv>, opts: ApiDeps): { stop(): void } {
  const auth = new TokenAuthenticator({
    client: opts.client,
    bootstrapTokens: opts.tokens,
    ...(opts.externalTokens ? { external: opts.externalTokens } : {}),
    log: opts.log,
  });
  const authorizer = opts.authorizer ?? builtinAuthorizer;
  app.use('/api/v1/*', async (c, next) => {
    const p = await auth.authenticate(c.req.header('authorization'));
    if (!p) return c.json({ error: 'a valid bearer token is required' }, 401);
    // An agent token opens the agent protocol and nothing else, whatever RBAC says.
    if (p.kind === 'agent' && !c.req.path.startsWith(`${AGENT_API}/`))
      return c.json({ error: 'agent tokens may only use the agent endpoints' }, 403);
    c.set('principal', p);
    await next();
  });

  // One informer feeds the event stream; lists are read from the API server each time.
  const apps =
    opts.apps ??
    new Informer(opts.client, { apiVersion: API_VERSION, kind: 'Application', dropManagedFields: true });
  const listeners = new Set<(a: ApplicationSummary, deleted: boolean) => void>();
  apps.on('event', (ev) => {
    if (ev.type === 'added' || ev.type === 'modified' || ev.type === 'deleted') {
      for (const l of listeners) l(summarize(ev.object as Application), ev.type === 'deleted');
    }
  });
  const clusters = new Informer(opts.client, {
    apiVersion: API_VERSION,
    kind: 'Cluster',
    namespace: FLEET_NAMESPACE,
  });
  apps.start();
  if (opts.audit) mountAuditRoutes(app, { store: opts.audit, authorizer });
  clusters.start();
  const projects = new Informer(opts.client, {
    apiVersion: API_VERSION,
    kind: 'Project',
    namespace: FLEET_NAMESPACE,
  });
  projects.start();
  const agents = mountAgentRoutes(app, {
    client: opts.client,
    apps,
    clusters,
    projects,
    log: opts.log,
    ...(opts.audit ? { audit: opts.audit } : {}),
  });

  app.get('/api/v1/whoami', (c) => {
    const p = c.get('principal');
    return c.json({ kind: p.kind, name: p.name, groups: p.groups });
  });
  app.get('/api/v1/applications', async (c) => {
    // From the watched cache once it is complete: listing thousands per request from the API
    // server is what made a fleet view slow and the API server busy.
    const items = apps.synced
      ? (apps.list() as Application[])
      : (
          await opts.client.request<KubeList<Application>>({
            method: 'GET',
            path: `/apis/${API_VERSION}/applications`,
          })
        ).items;
    const p = c.get('principal');
    return c.json({
      items: items.filter((a) => authorizer.authorize(p, 'get', appTarget(a)).allowed).map(summarize),
    });
  });
  app.get('/api/v1/applications/:namespace/:name', async (c) => {
    const a = await opts.client.getOrUndefined<Application>({
      apiVersion: API_VERSION,
      kind: 'Application',
      namespace: c.req.param('namespace'),
      name: c.req.param('name'),
    });
    if (!a) return c.json({ error: 'not found' }, 404);
    return forbidden(c, authorizer, 'get', appTarget(a)) ?? c.json(a);
  });
  app.get('/api/v1/applicationsets', async (c) => {
    const refused = forbidden(c, authorizer, 'get', { resource: 'applicationsets' });
    if (refused) return refused;
    const list = await opts.client.request<KubeList<ApplicationSet>>({
      method: 'GET',
      path: `/apis/${API_VERSION}/applicationsets`,
    });
    // Each set with its template's project, as one set's view and the Applications list check:
    // a caller sees the sets whose project RBAC lets them read, no others.
    const p = c.get('principal');
    const visible = list.items.filter(
      (s) =>
        authorizer.authorize(p, 'get', {
          resource: 'applicationsets',
          project: s.spec.template.spec.project ?? 'default',
          namespace: s.metadata.namespace ?? '',
          name: s.metadata.name,
        }).allowed,
    );
    return c.json({
      items: visible.map((s) => ({
        namespace: s.metadata.namespace,
        name: s.metadata.name,
        applications: (s.status?.applications ?? []).map((a) => a.name),
        rollout: s.status?.rollout ?? null,
      })),
    });
  });
  app.get('/api/v1/clusters', async (c) => {
    const refused = forbidden(c, authorizer, 'get', { resource: 'clusters' });
    if (refused) return refused;
    const list = await opts.client.request<KubeList<Cluster>>({
      method: 'GET',
      path: `/apis/${API_VERSION}/namespaces/${FLEET_NAMESPACE}/clusters`,
    });
    return c.json({
      items: list.items.map((cl) => ({
        name: cl.metadata.name,
        server: cl.spec.server,
        mode: cl.spec.mode ?? 'push',
        labels: cl.metadata.labels ?? {},
        status: cl.status ?? {},
      })),
    });
  });
  app.get('/api/v1/events', (c) =>
    streamSSE(c, async (stream) => {
      const queue: { a: ApplicationSummary; deleted: boolean }[] = [];
      let wake: (() => void) | undefined;
      const p = c.get('principal');
      const listener = (a: ApplicationSummary, deleted: boolean): void => {
        if (!authorizer.authorize(p, 'get', summaryTarget(a)).allowed) return;
        queue.push({ a, deleted });
        wake?.();
      };
      listeners.add(listener);
      stream.onAbort(() => {
        listeners.delete(listener);
        wake?.();
      });
      while (!stream.aborted) {
        const next = queue.shift();
        if (next) {
          await stream.writeSSE({
            event: next.deleted ? 'application-deleted' : 'application',
            data: JSON.stringify(next.a),
          });
          continue;
        }
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(r, 15_000).unref();
        });
        if (!queue.length && !stream.aborted) await stream.writeSSE({ event: 'ping', data: '' });
      }
    }),
  );
  return {
    stop: () => {
      agents.stop();
      if (!opts.apps) apps.stop();
      clusters.stop();
      projects.stop();
      auth.stop();
    },
  };
}
