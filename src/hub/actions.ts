import type { Context, Hono } from 'hono';
import {
  API_VERSION,
  applicationPath,
  REFRESH_ANNOTATION,
  REFRESH_REQUESTED_ANNOTATION,
  SYNC_REQUESTED_BY_ANNOTATION,
  type Application,
} from '../api/application.js';
import {
  ROLLOUT_APPROVED_ANNOTATION,
  ROLLOUT_PAUSED_ANNOTATION,
  type ApplicationSet,
} from '../api/applicationset.js';
import { signSyncRequester, SYNC_REQUESTED_BY_SIGNATURE_ANNOTATION } from '../governance/audit/index.js';
import type { KubeClient } from '../kube/client.js';
import { forbidden, type ApiDeps } from './api.js';
import { authorizedApp } from './load-app.js';
import { builtinAuthorizer, type ApiAction, type HubEnv } from './principal.js';

const setPath = (ns: string, name: string): string =>
  `/apis/${API_VERSION}/namespaces/${encodeURIComponent(ns)}/applicationsets/${encodeURIComponent(name)}`;

/** A JSON body, or `{}` when there is none: every action body is optional or small. */
async function jsonBody(c: Context<HubEnv>): Promise<Record<string, unknown> | undefined> {
  const text = await c.req.text();
  if (!text.trim()) return {};
  try {
    const v: unknown = JSON.parse(text);
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

async function mergePatch(client: KubeClient, path: string, body: unknown): Promise<void> {
  await client.request({ method: 'PATCH', path, body, contentType: 'application/merge-patch+json' });
}

/**
 * The hub's write API for the UI: sync, refresh and roll back Applications, and steer
 * ApplicationSet roll-outs. Each route is the server-side twin of a CLI command (`gitfleet app
 * sync|rollback`, `gitfleet rollout approve|pause|resume`) and writes the same annotations or
 * fields, so the controllers need no new code path. Every route checks the authorizer first and
 * must be mounted after mountApi, whose middleware authenticates `/api/v1/*`.
 */
export function mountActions(app: Hono<HubEnv>, deps: ApiDeps): void {
  const authorizer = deps.authorizer ?? builtinAuthorizer;
  const client = deps.client;

  /**
   * A sync request and who made it, signed with the hub's key: the audit trail believes the
   * requester only with the signature, since anyone who may patch the Application can write the
   * name. Without a key the signature is left out and the request is recorded as unverified.
   */
  const requestAnnotations = (
    c: Context<HubEnv>,
    ns: string,
    name: string,
    stamp: string,
  ): Record<string, string | null> => {
    const user = c.get('principal').name;
    return {
      [REFRESH_ANNOTATION]: stamp,
      [SYNC_REQUESTED_BY_ANNOTATION]: user,
      // null removes a stale signature of an earlier request.
      [SYNC_REQUESTED_BY_SIGNATURE_ANNOTATION]: deps.hubKey
        ? signSyncRequester(deps.hubKey, ns, name, user, stamp)
        : null,
    };
  };

  const loadApp = (
    c: Context<HubEnv>,
    action: ApiAction,
  ): Promise<{ app: Application; ns: string; name: string } | Response> =>
    authorizedApp(c, client, authorizer, action);

  app.post('/api/v1/applications/:namespace/:name/sync', async (c) => {
    const body = await jsonBody(c);
    if (!body) return c.json({ error: 'the body must be a JSON object' }, 400);
    // The controller syncs the revision its source resolves to and always prunes on a manual
    // sync; accepting other values here would promise what it does not do.
    if (body.revision !== undefined)
      return c.json({ error: 'syncing to a chosen revision is not supported; use rollback' }, 400);
    if (body.prune === false)
      return c.json({ error: 'a manual sync always prunes what the Application no longer renders' }, 400);
    const got = await loadApp(c, 'sync');
    if (got instanceof Response) return got;
    const stamp = new Date().toISOString();
    await mergePatch(client, applicationPath(got.ns, got.name), {
      metadata: { annotations: requestAnnotations(c, got.ns, got.name, stamp) },
    });
    return c.json({ requested: stamp, by: c.get('principal').name }, 202);
  });

  app.post('/api/v1/applications/:namespace/:name/refresh', async (c) => {
    const got = await loadApp(c, 'get');
    if (got instanceof Response) return got;
    const stamp = new Date().toISOString();
    await mergePatch(client, applicationPath(got.ns, got.name), {
      metadata: { annotations: { [REFRESH_REQUESTED_ANNOTATION]: stamp } },
    });
    return c.json({ requested: stamp }, 202);
  });

  app.post('/api/v1/applications/:namespace/:name/rollback', async (c) => {
    const body = await jsonBody(c);
    const id = body?.id;
    if (typeof id !== 'number' || !Number.isInteger(id))
      return c.json({ error: 'the body must be {"id": <history id>}' }, 400);
    const got = await loadApp(c, 'rollback');
    if (got instanceof Response) return got;
    // Automated sync would move the app straight back to the branch head (as in Argo CD).
    if (got.app.spec.syncPolicy?.automated)
      return c.json(
        { error: `${got.ns}/${got.name} has automated sync enabled; disable it before rolling back` },
        409,
      );
    const entry = got.app.status?.history?.find((e) => e.id === id);
    if (!entry) return c.json({ error: `${got.ns}/${got.name} has no history entry ${id}` }, 404);
    const stamp = new Date().toISOString();
    await mergePatch(client, applicationPath(got.ns, got.name), {
      spec: { source: { ...entry.source, targetRevision: entry.revision } },
      metadata: { annotations: requestAnnotations(c, got.ns, got.name, stamp) },
    });
    return c.json({ requested: stamp, revision: entry.revision }, 202);
  });

  const loadSet = async (
    c: Context<HubEnv>,
    action: ApiAction,
  ): Promise<{ set: ApplicationSet; ns: string; name: string } | Response> => {
    const ns = c.req.param('namespace') ?? '';
    const name = c.req.param('name') ?? '';
    const early = forbidden(c, authorizer, action, { resource: 'rollouts', namespace: ns, name });
    if (early) return early;
    const set = await client.getOrUndefined<ApplicationSet>({
      apiVersion: API_VERSION,
      kind: 'ApplicationSet',
      namespace: ns,
      name,
    });
    if (!set) return c.json({ error: `applicationset ${ns}/${name} not found` }, 404);
    const project = set.spec.template.spec.project;
    const denied = forbidden(c, authorizer, action, {
      resource: 'rollouts',
      namespace: ns,
      name,
      project: project ?? 'default',
    });
    return denied ?? { set, ns, name };
  };

  app.post('/api/v1/applicationsets/:namespace/:name/rollout/approve', async (c) => {
    const got = await loadSet(c, 'approve');
    if (got instanceof Response) return got;
    const r = got.set.status?.rollout;
    if (r?.phase !== 'WaitingApproval')
      return c.json(
        { error: `${got.ns}/${got.name} is not waiting for approval (phase ${r?.phase ?? 'none'})` },
        409,
      );
    await mergePatch(client, setPath(got.ns, got.name), {
      metadata: { annotations: { [ROLLOUT_APPROVED_ANNOTATION]: String(r.step) } },
    });
    return c.json({ approvedStep: r.step }, 202);
  });

  for (const verb of ['pause', 'resume'] as const) {
    app.post(`/api/v1/applicationsets/:namespace/:name/rollout/${verb}`, async (c) => {
      const got = await loadSet(c, 'update');
      if (got instanceof Response) return got;
      await mergePatch(client, setPath(got.ns, got.name), {
        metadata: { annotations: { [ROLLOUT_PAUSED_ANNOTATION]: verb === 'pause' ? 'true' : 'false' } },
      });
      return c.json({ paused: verb === 'pause' }, 202);
    });
  }
}
