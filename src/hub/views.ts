import { Hono, type Context } from 'hono';
import { API_VERSION, type Application } from '../api/application.js';
import {
  APPLICATIONSET_LABEL,
  ROLLOUT_PAUSED_ANNOTATION,
  type ApplicationSet,
} from '../api/applicationset.js';
import { FLEET_NAMESPACE, type Cluster } from '../api/cluster.js';
import type {
  ClusterDetail,
  EventList,
  EventView,
  FleetMatrix as FleetMatrixBody,
  ResourceTree,
  RolloutDetail,
} from '../api/wire.js';
import type { Pipeline } from '../api/promotion.js';
import { ClusterResolver } from '../controllers/clusters.js';
import type { KubeList, KubeObject } from '../kube/types.js';
import { authorize, type ApiDeps, type HubCaches } from './api.js';
import { buildFleetMatrix, cellOf, destinationOf, type FleetMatrix } from './fleet-matrix.js';
import { fail } from './http-errors.js';
import { authorizedApp } from './load-app.js';
import { builtinAuthorizer, type HubEnv } from './principal.js';
import { liveTree, treeFromStatus } from './resource-tree.js';
import { compareStrings } from '../core/compare-strings.js';

/** How long the tree waits for a destination before showing the recorded state instead. */
const LIVE_TREE_TIMEOUT_MS = 5000;

export type { EventView };

/**
 * Read views shaped for the UI, each answering one screen with one request: the fleet matrix,
 * an Application's live resource tree and its Events, one Cluster, and one ApplicationSet's
 * roll-out. A sub-app of /api/v1, behind its authentication. Objects are
 * summarised field by field; no Secret is ever read here apart from the cluster credentials the
 * resolver uses to connect, and none is returned.
 */
export function viewRoutes(deps: ApiDeps, caches: Pick<HubCaches, 'apps'>): Hono<HubEnv> {
  const app = new Hono<HubEnv>();
  const authorizer = deps.authorizer ?? builtinAuthorizer;
  const client = deps.client;
  const clusters = deps.clusters ?? new ClusterResolver(client, FLEET_NAMESPACE);
  // The matrix is the UI's entry point and its heaviest read: answering it from a watched cache
  // instead of listing 2,000 Applications per request keeps it fast however many tabs poll it.
  // The matrix is rebuilt only after a change (version), not per request.
  // One cache of Applications per hub process, the API's (started and stopped by it).
  const appCache = caches.apps;
  let version = 0;
  let built: { version: number; clusters: string; matrix: FleetMatrix } | undefined;
  appCache.on('event', (ev) => {
    if (ev.type !== 'error') version += 1;
  });

  const listApps = async (namespace?: string, labelSelector?: string): Promise<Application[]> => {
    const base = namespace
      ? `/apis/${API_VERSION}/namespaces/${encodeURIComponent(namespace)}/applications`
      : `/apis/${API_VERSION}/applications`;
    const list = await client.request<KubeList<Application>>({
      method: 'GET',
      path: base,
      query: { labelSelector },
    });
    return list.items;
  };
  const listClusters = async (): Promise<Cluster[]> =>
    (
      await client.request<KubeList<Cluster>>({
        method: 'GET',
        path: `/apis/${API_VERSION}/namespaces/${FLEET_NAMESPACE}/clusters`,
      })
    ).items;
  const may = (c: Context<HubEnv>, a: Application): boolean =>
    authorizer.authorize(c.get('principal'), 'get', {
      resource: 'applications',
      namespace: a.metadata.namespace ?? '',
      name: a.metadata.name,
      // Always with a project: a target without one is only a pre-check to RBAC.
      project: a.spec.project ?? 'default',
    }).allowed;

  /** Loads an Application the caller may read; ends the request with 403/404 otherwise. */
  const readableApp = async (c: Context<HubEnv>): Promise<Application> =>
    (await authorizedApp(c, client, authorizer, 'get')).app;

  // Every namespace's objects of a kind; none when its CRD is absent (an older installation).
  const listAll = async <T extends KubeObject>(plural: string): Promise<T[]> =>
    client
      .request<KubeList<T>>({ method: 'GET', path: `/apis/${API_VERSION}/${plural}` })
      .then((l) => l.items)
      .catch(() => []);

  app.get('/fleet', async (c) => {
    const [apps, cls, applicationSets, pipelines] = await Promise.all([
      appCache.synced ? appCache.list() : listApps(),
      listClusters(),
      // Which roll-out step and promotion stage each cell is in: few objects, read per request.
      listAll<ApplicationSet>('applicationsets'),
      listAll<Pipeline>('pipelines'),
    ]);
    const ctx = { applicationSets, pipelines };
    // Rows the caller may not read are left out rather than refused: the matrix is everyone's entry point.
    const readable = apps.filter((a) => may(c, a));
    // Clusters, roll-outs and pipelines are few and change their status often: part of the cache key.
    const clusterKey = JSON.stringify(
      [...cls, ...applicationSets, ...pipelines].map((o) => [
        o.kind,
        o.metadata.namespace,
        o.metadata.name,
        o.metadata.resourceVersion,
      ]),
    );
    let matrix: FleetMatrix;
    if (readable.length !== apps.length || !appCache.synced) matrix = buildFleetMatrix(readable, cls, ctx);
    else if (built?.version === version && built.clusters === clusterKey) matrix = built.matrix;
    else {
      matrix = buildFleetMatrix(readable, cls, ctx);
      built = { version, clusters: clusterKey, matrix };
    }
    return c.json<FleetMatrixBody>({ ...matrix, generatedAt: new Date().toISOString() });
  });

  app.get('/applications/:namespace/:name/tree', async (c) => {
    const a = await readableApp(c);
    const dest = destinationOf(a);
    const signal = AbortSignal.timeout(LIVE_TREE_TIMEOUT_MS);
    try {
      const destClient = await clusters.resolve(dest, signal);
      return c.json<ResourceTree>(await liveTree(a, destClient, signal));
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      return c.json<ResourceTree>(
        treeFromStatus(a, `cluster ${dest} could not be read (${why}); showing the last recorded state`),
      );
    }
  });

  app.get('/applications/:namespace/:name/events', async (c) => {
    const a = await readableApp(c);
    const list = await client.request<KubeList<KubeObject>>({
      method: 'GET',
      path: `/api/v1/namespaces/${encodeURIComponent(a.metadata.namespace ?? 'default')}/events`,
      query: { fieldSelector: `involvedObject.kind=Application,involvedObject.name=${a.metadata.name}` },
    });
    const items: EventView[] = list.items.map((e) => ({
      type: str(e.type) ?? 'Normal',
      reason: str(e.reason) ?? '',
      message: str(e.message) ?? '',
      count: typeof e.count === 'number' ? e.count : 1,
      ...(str(e.firstTimestamp) ? { firstTimestamp: str(e.firstTimestamp) } : {}),
      ...(str(e.lastTimestamp) ? { lastTimestamp: str(e.lastTimestamp) } : {}),
    }));
    items.sort((x, y) => compareStrings(y.lastTimestamp ?? '', x.lastTimestamp ?? ''));
    return c.json<EventList>({ items: items.slice(0, 100) });
  });

  app.get('/clusters/:name', async (c) => {
    const name = c.req.param('name');
    authorize(c, authorizer, 'get', { resource: 'clusters', name });
    const cl = await client.getOrUndefined<Cluster>({
      apiVersion: API_VERSION,
      kind: 'Cluster',
      namespace: FLEET_NAMESPACE,
      name,
    });
    const apps = (await listApps()).filter((a) => destinationOf(a) === name && may(c, a));
    if (!cl && !apps.length) fail(404, `cluster ${name} not found`);
    return c.json<ClusterDetail>({
      name,
      registered: !!cl,
      // Only these fields: spec.secretRef names the credential Secret, which the UI has no use for.
      server: cl?.spec.server ?? '',
      mode: cl?.spec.mode ?? 'push',
      labels: cl?.metadata.labels ?? {},
      status: cl?.status ?? {},
      applications: apps.map((a) => cellOf(a)),
    });
  });

  app.get('/applicationsets/:namespace/:name', async (c) => {
    const ns = c.req.param('namespace');
    const name = c.req.param('name');
    authorize(c, authorizer, 'get', { resource: 'applicationsets', namespace: ns, name });
    const set = await client.getOrUndefined<ApplicationSet>({
      apiVersion: API_VERSION,
      kind: 'ApplicationSet',
      namespace: ns,
      name,
    });
    if (!set) fail(404, `applicationset ${ns}/${name} not found`);
    // With its project: a target without one is only a pre-check to RBAC.
    authorize(c, authorizer, 'get', {
      resource: 'applicationsets',
      namespace: ns,
      name,
      project: set.spec.template.spec.project ?? 'default',
    });
    const apps = await listApps(ns, `${APPLICATIONSET_LABEL}=${name}`);
    const byName = new Map(apps.map((a) => [a.metadata.name, a]));
    const generated = set.status?.applications ?? apps.map((a) => ({ name: a.metadata.name }));
    return c.json<RolloutDetail>({
      namespace: ns,
      name,
      steps: (set.spec.strategy?.rollingSync.steps ?? []).map((s) => ({
        matchLabels: s.clusterSelector?.matchLabels ?? {},
        // Argo CD-shaped steps select on Application labels (s.matchExpressions); both are shown.
        matchExpressions: [...(s.clusterSelector?.matchExpressions ?? []), ...(s.matchExpressions ?? [])],
        ...(s.maxUpdate !== undefined ? { maxUpdate: s.maxUpdate } : {}),
        ...(s.soakSeconds !== undefined ? { soakSeconds: s.soakSeconds } : {}),
        approval: !!s.approval,
      })),
      rollout: set.status?.rollout ?? null,
      paused: set.metadata.annotations?.[ROLLOUT_PAUSED_ANNOTATION] === 'true',
      conditions: set.status?.conditions ?? [],
      applications: generated.map((g) => {
        const a = byName.get(g.name);
        return {
          name: g.name,
          ...('step' in g && typeof g.step === 'number' ? { step: g.step } : {}),
          ...(a ? { cluster: destinationOf(a), cell: cellOf(a) } : {}),
        };
      }),
    });
  });
  return app;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);
