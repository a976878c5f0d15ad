import type { Logger } from 'pino';
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { streamSSE } from 'hono/streaming';
import { API_VERSION, destinationClusterName, sourceOf, type Application } from '../api/application.js';
import type { ApplicationSet } from '../api/applicationset.js';
import { FLEET_NAMESPACE, type Cluster } from '../api/cluster.js';
import type { KubeClient } from '../kube/client.js';
import type { Project } from '../api/project.js';
import type {
  ApplicationList,
  ApplicationObject,
  ApplicationSetList,
  ApplicationSummary,
  ClusterList,
  Whoami,
} from '../api/wire.js';
import { Informer } from '../kube/informer.js';
import type { KubeList } from '../kube/types.js';
import type { ClusterResolver } from '../controllers/clusters.js';
import type { AuditStore } from '../governance/audit/index.js';
import type { HubKey } from '../governance/hub-key.js';
import { auditRoutes } from './audit-routes.js';
import { deliveryRoutes } from './delivery-routes.js';
import { previewRoutes, type PreviewRouteDeps } from './preview-routes.js';
import { pipelineRoutes } from './pipeline-routes.js';
import { promotionRoutes } from './promotion-routes.js';
import { AGENT_API } from '../api/agent.js';
import { actionRoutes } from './actions.js';
import { agentRoutes } from './agents.js';
import { TokenAuthenticator, type ExternalTokenVerifier } from './auth.js';
import { CSRF_HEADER, type BrowserLogin } from './auth/index.js';
import { fail } from './http-errors.js';
import { viewRoutes } from './views.js';
import {
  builtinAuthorizer,
  type ApiAction,
  type ApiTarget,
  type Authorizer,
  type HubEnv,
} from './principal.js';

export type { ApplicationSummary };

export function summarize(a: Application): ApplicationSummary {
  return {
    namespace: a.metadata.namespace ?? '',
    name: a.metadata.name,
    project: a.spec.project ?? 'default',
    repoURL: sourceOf(a.spec).repoURL,
    path: sourceOf(a.spec).path ?? '',
    targetRevision: sourceOf(a.spec).targetRevision ?? 'HEAD',
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
  apps?: Informer<Application>;
  /** Verifies tokens that are not gitfleet's own (OIDC ID tokens). */
  externalTokens?: ExternalTokenVerifier;
  /** Browser sign-in: requests without a bearer token may carry its session cookie. */
  login?: BrowserLogin;
  /**
   * The hub's key: signs the requester of a sync so the audit trail can tell it from a
   * hand-written annotation. Without it every sync request is recorded as unverified.
   */
  hubKey?: HubKey;
  /** What the fleet impact preview at /api/v1/preview needs (the hub's Git mirrors); it answers 503 without. */
  preview?: Omit<PreviewRouteDeps, 'client' | 'clusters' | 'authorizer'>;
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

/** Ends the request with 403 and the reason unless the caller may do `action` on `target`. */
export function authorize(
  c: Context<HubEnv>,
  authorizer: Authorizer,
  action: ApiAction,
  target: ApiTarget,
): void {
  const d = authorizer.authorize(c.get('principal'), action, target);
  if (!d.allowed) fail(403, d.reason);
}

/** The caches every /api/v1 route reads, watched once per hub process. */
export interface HubCaches {
  apps: Informer<Application>;
  clusters: Informer<Cluster>;
  projects: Informer<Project>;
}

/**
 * The one authentication step of /api/v1: a bearer token becomes the request's Principal, or
 * the request ends with 401. An agent token opens the agent protocol and nothing else, whatever
 * RBAC says.
 */
function authenticate(auth: TokenAuthenticator, login?: BrowserLogin): MiddlewareHandler<HubEnv> {
  return async (c, next) => {
    const header = c.req.header('authorization');
    let p = await auth.authenticate(header);
    // A bearer token, when sent, decides alone; the browser's session cookie only without one.
    if (!p && header === undefined && login) {
      const s = login.authenticate(c);
      if (s && 'csrfRefused' in s)
        fail(403, `a request that changes something needs the ${CSRF_HEADER} header of the session`);
      p = s?.principal;
    }
    if (!p) fail(401, login ? 'sign in, or send a valid bearer token' : 'a valid bearer token is required');
    if (p.kind === 'agent' && !c.req.path.startsWith(`${AGENT_API}/`))
      fail(403, 'agent tokens may only use the agent endpoints');
    c.set('principal', p);
    await next();
  };
}

/**
 * The hub API (`/api/v1`, mounted by the server): one authentication middleware in front of the
 * sub-apps of each concern (reads here, UI views, actions, audit, the agent protocol), which share
 * one set of caches. Failures are thrown (`fail`) and answered by the server's one error handler.
 */
export function apiV1(deps: ApiDeps): { routes: Hono<HubEnv>; stop(): void } {
  const auth = new TokenAuthenticator({
    client: deps.client,
    bootstrapTokens: deps.tokens,
    ...(deps.externalTokens ? { external: deps.externalTokens } : {}),
    ...(deps.hubKey ? { hubKey: deps.hubKey } : {}),
    log: deps.log,
  });
  const caches: HubCaches = {
    apps:
      deps.apps ??
      new Informer<Application>(deps.client, {
        apiVersion: API_VERSION,
        kind: 'Application',
        dropManagedFields: true,
      }),
    clusters: new Informer<Cluster>(deps.client, {
      apiVersion: API_VERSION,
      kind: 'Cluster',
      namespace: FLEET_NAMESPACE,
    }),
    projects: new Informer<Project>(deps.client, {
      apiVersion: API_VERSION,
      kind: 'Project',
      namespace: FLEET_NAMESPACE,
    }),
  };
  const routes = new Hono<HubEnv>();
  routes.use('*', authenticate(auth, deps.login));
  const reads = readRoutes(deps, caches);
  const views = viewRoutes(deps, caches);
  const agents = agentRoutes({
    client: deps.client,
    apps: caches.apps,
    clusters: caches.clusters,
    projects: caches.projects,
    log: deps.log,
    ...(deps.audit ? { audit: deps.audit } : {}),
  });
  routes.route('/', reads);
  routes.route('/', views);
  routes.route('/', actionRoutes(deps));
  routes.route(
    '/',
    deliveryRoutes({
      client: deps.client,
      ...(deps.clusters ? { clusters: deps.clusters } : {}),
      authorizer: deps.authorizer ?? builtinAuthorizer,
    }),
  );
  routes.route(
    '/',
    promotionRoutes({ client: deps.client, authorizer: deps.authorizer ?? builtinAuthorizer }),
  );
  routes.route(
    '/',
    pipelineRoutes({ client: deps.client, authorizer: deps.authorizer ?? builtinAuthorizer }),
  );
  routes.route(
    '/',
    previewRoutes({
      ...deps.preview,
      client: deps.client,
      ...(deps.clusters ? { clusters: deps.clusters } : {}),
      authorizer: deps.authorizer ?? builtinAuthorizer,
    }),
  );
  if (deps.audit)
    routes.route('/', auditRoutes({ store: deps.audit, authorizer: deps.authorizer ?? builtinAuthorizer }));
  routes.route(AGENT_API.slice('/api/v1'.length), agents.routes);
  for (const i of Object.values(caches)) i.start();
  return {
    routes,
    stop: () => {
      agents.stop();
      if (!deps.apps) caches.apps.stop();
      caches.clusters.stop();
      caches.projects.stop();
      auth.stop();
    },
  };
}

/** The reads of the CLI's and UI's lists: Applications, ApplicationSets, Clusters, the event stream. */
function readRoutes(opts: ApiDeps, caches: HubCaches): Hono<HubEnv> {
  const app = new Hono<HubEnv>();
  const authorizer = opts.authorizer ?? builtinAuthorizer;
  const apps = caches.apps;
  const listeners = new Set<(a: ApplicationSummary, deleted: boolean) => void>();
  apps.on('event', (ev) => {
    if (ev.type === 'added' || ev.type === 'modified' || ev.type === 'deleted') {
      for (const l of listeners) l(summarize(ev.object), ev.type === 'deleted');
    }
  });

  app.get('/whoami', (c) => {
    const p = c.get('principal');
    return c.json<Whoami>({ kind: p.kind, name: p.name, groups: p.groups });
  });
  app.get('/applications', async (c) => {
    // From the watched cache once it is complete: listing thousands per request from the API
    // server is what made a fleet view slow and the API server busy.
    const items = apps.synced
      ? apps.list()
      : (
          await opts.client.request<KubeList<Application>>({
            method: 'GET',
            path: `/apis/${API_VERSION}/applications`,
          })
        ).items;
    const p = c.get('principal');
    return c.json<ApplicationList>({
      items: items.filter((a) => authorizer.authorize(p, 'get', appTarget(a)).allowed).map(summarize),
    });
  });
  app.get('/applications/:namespace/:name', async (c) => {
    const a = await opts.client.getOrUndefined<Application>({
      apiVersion: API_VERSION,
      kind: 'Application',
      namespace: c.req.param('namespace'),
      name: c.req.param('name'),
    });
    if (!a) fail(404, 'not found');
    authorize(c, authorizer, 'get', appTarget(a));
    // The resource type must keep every field the wire contract promises readers.
    const body: ApplicationObject = a;
    return c.json(body);
  });
  app.get('/applicationsets', async (c) => {
    authorize(c, authorizer, 'get', { resource: 'applicationsets' });
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
    return c.json<ApplicationSetList>({
      items: visible.map((s) => ({
        namespace: s.metadata.namespace ?? '',
        name: s.metadata.name,
        applications: (s.status?.applications ?? []).map((a) => a.name),
        rollout: s.status?.rollout ?? null,
      })),
    });
  });
  app.get('/clusters', async (c) => {
    authorize(c, authorizer, 'get', { resource: 'clusters' });
    const list = await opts.client.request<KubeList<Cluster>>({
      method: 'GET',
      path: `/apis/${API_VERSION}/namespaces/${FLEET_NAMESPACE}/clusters`,
    });
    return c.json<ClusterList>({
      items: list.items.map((cl) => ({
        name: cl.metadata.name,
        server: cl.spec.server,
        mode: cl.spec.mode ?? 'push',
        labels: cl.metadata.labels ?? {},
        status: cl.status ?? {},
      })),
    });
  });
  app.get('/events', (c) =>
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
  return app;
}
