import type { Context } from 'hono';
import { API_VERSION, type Application } from '../api/application.js';
import type { KubeClient } from '../kube/client.js';
import { authorize } from './api.js';
import { fail } from './http-errors.js';
import type { ApiAction, Authorizer, HubEnv } from './principal.js';

/**
 * Loads the Application named by the route (`:namespace/:name`) if the caller may do `action` on
 * it; otherwise ends the request with 403 or 404. Checked once before reading (no existence leak to
 * callers who may not act here) and once with the project, which only the object tells.
 */
export async function authorizedApp(
  c: Context<HubEnv>,
  client: KubeClient,
  authorizer: Authorizer,
  action: ApiAction,
): Promise<{ app: Application; ns: string; name: string }> {
  const ns = c.req.param('namespace') ?? '';
  const name = c.req.param('name') ?? '';
  authorize(c, authorizer, action, { resource: 'applications', namespace: ns, name });
  const a = await client.getOrUndefined<Application>({
    apiVersion: API_VERSION,
    kind: 'Application',
    namespace: ns,
    name,
  });
  if (!a) fail(404, `application ${ns}/${name} not found`);
  authorize(c, authorizer, action, {
    resource: 'applications',
    namespace: ns,
    name,
    // Always with a project: a target without one is only a pre-check to RBAC.
    project: a.spec.project ?? 'default',
  });
  return { app: a, ns, name };
}
