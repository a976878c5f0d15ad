import { Hono } from 'hono';
import { API_VERSION, type Application } from '../api/application.js';
import type { Pipeline, PromotionApproval } from '../api/promotion.js';
import { matchesSelector } from '../core/label-selector.js';
import type { KubeClient } from '../kube/client.js';
import { isConflict } from '../kube/errors.js';
import { authorize } from './api.js';
import { fail } from './http-errors.js';
import type { Authorizer, HubEnv } from './principal.js';

/** What the approve route answers. */
export interface ApprovalAccepted {
  pipeline: string;
  stage: string;
  revision: string;
  by: string;
}

const MAX_REVISION = 253;

/**
 * Authenticated promotion approvals:
 * - `POST /pipelines/:namespace/:name/stages/:stage/approve {revision?}` approves promoting
 *   `revision` (default: the one the stage is waiting for) into `stage`. It needs the `approve`
 *   action on the Project of every Application of that stage (admins pass). The approval is written
 *   into the Pipeline's status subresource with the authenticated principal as `by`, which the
 *   controller records as verified; the annotation way stays, recorded as unverified.
 */
export function promotionRoutes(deps: { client: KubeClient; authorizer: Authorizer }): Hono<HubEnv> {
  const app = new Hono<HubEnv>();
  app.post('/pipelines/:namespace/:name/stages/:stage/approve', async (c) => {
    const ns = c.req.param('namespace');
    const name = c.req.param('name');
    const stageName = c.req.param('stage');
    // Pre-check before reading, so callers who may approve nothing here learn nothing of it.
    authorize(c, deps.authorizer, 'approve', { resource: 'applications', namespace: ns });
    const body = await readBody(c.req.raw);
    const ref = { apiVersion: API_VERSION, kind: 'Pipeline', namespace: ns, name };
    for (let attempt = 0; ; attempt++) {
      const p = await deps.client.getOrUndefined<Pipeline>(ref);
      if (!p) fail(404, `pipeline ${ns}/${name} not found`);
      const stage = p.spec.stages.find((s) => s.name === stageName);
      if (!stage) fail(404, `pipeline ${ns}/${name} has no stage ${stageName}`);
      if (!stage.approval)
        fail(
          409,
          `stage ${stageName} of pipeline ${ns}/${name} does not ask for approval (spec.stages[].approval)`,
        );
      const apps = await stageApps(deps.client, ns, stage);
      if (apps.length === 0)
        fail(409, `stage ${stageName} of pipeline ${ns}/${name} has no Applications: nothing to approve`);
      for (const project of new Set(apps.map((a) => a.spec.project ?? 'default')))
        authorize(c, deps.authorizer, 'approve', { resource: 'applications', namespace: ns, project });
      const waiting =
        p.status?.promotion?.to === stageName && p.status.promotion.phase === 'WaitingApproval'
          ? p.status.promotion.revision
          : undefined;
      const revision = body.revision ?? waiting;
      if (!revision)
        fail(
          409,
          `stage ${stageName} of pipeline ${ns}/${name} is not waiting for approval: name the revision to approve`,
        );
      const by = c.get('principal').name;
      const approval: PromotionApproval = { stage: stageName, revision, by, at: new Date().toISOString() };
      const approvals = [...(p.status?.approvals ?? []).filter((a) => a.stage !== stageName), approval];
      try {
        // Guarded by resourceVersion: the controller's own status writes never lose the approval.
        await deps.client.replaceStatus(
          ref,
          { ...(p.status ?? {}), approvals },
          p.metadata.resourceVersion ? { resourceVersion: p.metadata.resourceVersion } : {},
        );
      } catch (e) {
        if (attempt < 4 && isConflict(e)) continue;
        throw e;
      }
      return c.json<ApprovalAccepted>({ pipeline: `${ns}/${name}`, stage: stageName, revision, by }, 202);
    }
  });
  return app;
}

async function readBody(req: Request): Promise<{ revision?: string }> {
  const text = await req.text();
  if (!text.trim()) return {};
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    fail(400, 'body: not valid JSON');
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(400, 'body: must be a JSON object');
  const r = (v as { revision?: unknown }).revision;
  if (r === undefined) return {};
  if (typeof r !== 'string' || r.length === 0 || r.length > MAX_REVISION || /[\s]/u.test(r))
    fail(400, `body.revision: must be a non-empty string without spaces, at most ${MAX_REVISION} characters`);
  return { revision: r };
}

/** The Applications of a stage, as the promotion controller finds them (names and/or labels). */
async function stageApps(
  client: KubeClient,
  ns: string,
  stage: Pipeline['spec']['stages'][number],
): Promise<Application[]> {
  const out = new Map<string, Application>();
  for (const name of stage.applications.names ?? []) {
    const a = await client.getOrUndefined<Application>({
      apiVersion: API_VERSION,
      kind: 'Application',
      namespace: ns,
      name,
    });
    if (a) out.set(name, a);
  }
  if (stage.applications.selector) {
    const l = await client.list<Application>(API_VERSION, 'Application', { namespace: ns });
    for (const a of l.items)
      if (matchesSelector(a.metadata.labels ?? {}, stage.applications.selector)) out.set(a.metadata.name, a);
  }
  return [...out.values()];
}
