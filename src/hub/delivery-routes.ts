import { randomUUID } from 'node:crypto';
import { Hono } from 'hono';
import { API_VERSION, type Application } from '../api/application.js';
import { FLEET_NAMESPACE } from '../api/cluster.js';
import { ABORT_ANNOTATION, PROMOTE_ANNOTATION, type Canary } from '../api/delivery.js';
import { ClusterResolver } from '../controllers/clusters.js';
import { OWNER_LABEL, ownerId } from '../engine/plan/ownership.js';
import type { KubeClient } from '../kube/client.js';
import { destinationOf } from './fleet-matrix.js';
import { fail } from './http-errors.js';
import { authorizedApp } from './load-app.js';
import type { Authorizer, HubEnv } from './principal.js';

/** What the API shows of a Canary: its place, strategy and state machine with the analysis. */
export interface CanaryView {
  namespace: string;
  name: string;
  strategy: 'canary' | 'blueGreen';
  status: Canary['status'] | null;
}

/**
 * Canaries of an Application (those it deployed from Git, found in its destination cluster by
 * its owner label), and the manual promote / abort of one:
 * - `GET  /applications/:namespace/:name/canaries` (needs `get` on the app)
 * - `POST /applications/:namespace/:name/canaries/:canary/promote|abort` (needs `sync`)
 * promote/abort write a request id the controller acts on once; the requester is logged here.
 */
export function deliveryRoutes(deps: {
  client: KubeClient;
  clusters?: ClusterResolver;
  authorizer: Authorizer;
}): Hono<HubEnv> {
  const app = new Hono<HubEnv>();
  const clusters = deps.clusters ?? new ClusterResolver(deps.client, FLEET_NAMESPACE);
  const canariesOf = async (a: Application): Promise<{ kube: KubeClient; items: Canary[] }> => {
    const kube = await clusters.resolve(destinationOf(a), AbortSignal.timeout(10_000));
    const owner = `${a.metadata.namespace ?? ''}/${a.metadata.name}`;
    const list = await kube.list<Canary>(API_VERSION, 'Canary', {
      labelSelector: `${OWNER_LABEL}=${ownerId(owner)}`,
    });
    return {
      kube,
      items: list.items.filter((c) => c.metadata.annotations?.['gitfleet.dev/owner'] === owner),
    };
  };
  app.get('/applications/:namespace/:name/canaries', async (c) => {
    const { app: a } = await authorizedApp(c, deps.client, deps.authorizer, 'get');
    const { items } = await canariesOf(a);
    return c.json({
      items: items.map<CanaryView>((x) => ({
        namespace: x.metadata.namespace ?? '',
        name: x.metadata.name,
        strategy: x.spec.strategy.canary ? 'canary' : 'blueGreen',
        status: x.status ?? null,
      })),
    });
  });
  for (const action of ['promote', 'abort'] as const) {
    app.post(`/applications/:namespace/:name/canaries/:canary/${action}`, async (c) => {
      const { app: a } = await authorizedApp(c, deps.client, deps.authorizer, 'sync');
      const { kube, items } = await canariesOf(a);
      const target = items.find((x) => x.metadata.name === c.req.param('canary'));
      if (!target)
        fail(404, `canary ${c.req.param('canary') ?? ''} of application ${a.metadata.name} not found`);
      const phase = target.status?.phase ?? 'none';
      const settled = ['Initialized', 'Succeeded', 'Failed', 'Aborted'];
      if (action === 'abort' ? settled.includes(phase) : ['Initialized', 'Succeeded'].includes(phase))
        fail(409, `canary ${target.metadata.name} is ${phase}: nothing to ${action}`);
      const id = randomUUID();
      await kube.patch(
        {
          apiVersion: API_VERSION,
          kind: 'Canary',
          namespace: target.metadata.namespace ?? '',
          name: target.metadata.name,
        },
        { metadata: { annotations: { [action === 'promote' ? PROMOTE_ANNOTATION : ABORT_ANNOTATION]: id } } },
      );
      return c.json({ requested: id, by: c.get('principal').name, action }, 202);
    });
  }
  return app;
}
