import { Hono, type Context } from 'hono';
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
import type {
  ApproveAccepted,
  PauseAccepted,
  RefreshAccepted,
  RollbackAccepted,
  SyncAccepted,
} from '../api/wire.js';
import { authorize, type ApiDeps } from './api.js';
import { requestTerminate } from '../controllers/application/terminate.js';
import { GitfleetError } from '../core/errors.js';
import { fail } from './http-errors.js';
import { authorizedApp } from './load-app.js';
import { builtinAuthorizer, type ApiAction, type HubEnv } from './principal.js';

const setPath = (ns: string, name: string): string =>
  `/apis/${API_VERSION}/namespaces/${encodeURIComponent(ns)}/applicationsets/${encodeURIComponent(name)}`;

/** A JSON body, or `{}` when there is none: every action body is optional or small. */
async function jsonBody(
  c: Context<HubEnv>,
  expected = 'the body must be a JSON object',
): Promise<Record<string, unknown>> {
  const text = await c.req.text();
  if (!text.trim()) return {};
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    v = undefined;
  }
  if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  fail(400, expected);
}

/**
 * The hub's write API for the UI: sync, refresh and roll back Applications, and steer
 * ApplicationSet roll-outs. Each route is the server-side twin of a CLI command (`gitfleet app
 * sync|rollback`, `gitfleet rollout approve|pause|resume`) and writes the same annotations or
 * fields, so the controllers need no new code path. Every route checks the authorizer first and
 * is a sub-app of /api/v1, behind its authentication; refusals are thrown (`fail`, `authorize`).
 */
export function actionRoutes(deps: ApiDeps): Hono<HubEnv> {
  const app = new Hono<HubEnv>();
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
  ): Promise<{ app: Application; ns: string; name: string }> => authorizedApp(c, client, authorizer, action);

  app.post('/applications/:namespace/:name/sync', async (c) => {
    const body = await jsonBody(c);
    // The controller syncs the revision its source resolves to and always prunes on a manual
    // sync; accepting other values here would promise what it does not do.
    if (body.revision !== undefined) fail(400, 'syncing to a chosen revision is not supported; use rollback');
    if (body.prune === false) fail(400, 'a manual sync always prunes what the Application no longer renders');
    const got = await loadApp(c, 'sync');
    const stamp = new Date().toISOString();
    await client.patch(applicationPath(got.ns, got.name), {
      metadata: { annotations: requestAnnotations(c, got.ns, got.name, stamp) },
    });
    return c.json<SyncAccepted>({ requested: stamp, by: c.get('principal').name }, 202);
  });

  app.post('/applications/:namespace/:name/refresh', async (c) => {
    const got = await loadApp(c, 'get');
    const stamp = new Date().toISOString();
    await client.patch(applicationPath(got.ns, got.name), {
      metadata: { annotations: { [REFRESH_REQUESTED_ANNOTATION]: stamp } },
    });
    return c.json<RefreshAccepted>({ requested: stamp }, 202);
  });

  // Stops the running operation (`gitfleet app terminate`); 409 when nothing runs.
  app.post('/applications/:namespace/:name/terminate', async (c) => {
    const got = await loadApp(c, 'sync');
    try {
      return c.json(await requestTerminate(client, got.ns, got.name), 202);
    } catch (e) {
      if (e instanceof GitfleetError && e.code === 'operation.NotRunning') fail(409, e.message);
      throw e;
    }
  });

  app.post('/applications/:namespace/:name/rollback', async (c) => {
    const shape = 'the body must be {"id": <history id>}';
    const id = (await jsonBody(c, shape)).id;
    if (typeof id !== 'number' || !Number.isInteger(id)) fail(400, shape);
    const got = await loadApp(c, 'rollback');
    // Automated sync would move the app straight back to the branch head (as in Argo CD).
    if (got.app.spec.syncPolicy?.automated)
      fail(409, `${got.ns}/${got.name} has automated sync enabled; disable it before rolling back`);
    const entry = got.app.status?.history?.find((e) => e.id === id);
    if (!entry) fail(404, `${got.ns}/${got.name} has no history entry ${id}`);
    const stamp = new Date().toISOString();
    await client.patch(applicationPath(got.ns, got.name), {
      spec: { source: { ...entry.source, targetRevision: entry.revision } },
      metadata: { annotations: requestAnnotations(c, got.ns, got.name, stamp) },
    });
    return c.json<RollbackAccepted>({ requested: stamp, revision: entry.revision }, 202);
  });

  const loadSet = async (
    c: Context<HubEnv>,
    action: ApiAction,
  ): Promise<{ set: ApplicationSet; ns: string; name: string }> => {
    const ns = c.req.param('namespace') ?? '';
    const name = c.req.param('name') ?? '';
    authorize(c, authorizer, action, { resource: 'rollouts', namespace: ns, name });
    const set = await client.getOrUndefined<ApplicationSet>({
      apiVersion: API_VERSION,
      kind: 'ApplicationSet',
      namespace: ns,
      name,
    });
    if (!set) fail(404, `applicationset ${ns}/${name} not found`);
    authorize(c, authorizer, action, {
      resource: 'rollouts',
      namespace: ns,
      name,
      project: set.spec.template.spec.project ?? 'default',
    });
    return { set, ns, name };
  };

  app.post('/applicationsets/:namespace/:name/rollout/approve', async (c) => {
    const got = await loadSet(c, 'approve');
    const r = got.set.status?.rollout;
    if (r?.phase !== 'WaitingApproval')
      fail(409, `${got.ns}/${got.name} is not waiting for approval (phase ${r?.phase ?? 'none'})`);
    await client.patch(setPath(got.ns, got.name), {
      metadata: { annotations: { [ROLLOUT_APPROVED_ANNOTATION]: String(r.step) } },
    });
    return c.json<ApproveAccepted>({ approvedStep: r.step }, 202);
  });

  for (const verb of ['pause', 'resume'] as const) {
    app.post(`/applicationsets/:namespace/:name/rollout/${verb}`, async (c) => {
      const got = await loadSet(c, 'update');
      await client.patch(setPath(got.ns, got.name), {
        metadata: { annotations: { [ROLLOUT_PAUSED_ANNOTATION]: verb === 'pause' ? 'true' : 'false' } },
      });
      return c.json<PauseAccepted>({ paused: verb === 'pause' }, 202);
    });
  }
  return app;
}
