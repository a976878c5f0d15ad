import { Hono } from 'hono';
import { API_VERSION, type Application } from '../api/application.js';
import type { Pipeline, PipelineList, PipelineSummary } from '../api/promotion.js';
import type { KubeClient } from '../kube/client.js';
import { pipelineSummary, stageApplications } from '../promotion/view.js';
import { appTarget } from './api.js';
import { fail } from './http-errors.js';
import type { Authorizer, HubEnv, Principal } from './principal.js';
import { compareStrings } from '../core/compare-strings.js';

/**
 * Promotion pipelines as readers see them:
 * - `GET /pipelines`: every Pipeline the caller may read, each stage with its Applications, the
 *   revision it runs, whether it is verified and where its approval stands, the promotion in
 *   flight and the latest history.
 * - `GET /pipelines/:namespace/:name`: one of them, with the whole history.
 * A pipeline is readable when the caller may `get` every Application of every stage (a stage
 * that has none needs `get` on the namespace's applications): a pipeline shows its stages' apps
 * and revisions, so it is never shown to someone who may read only some of them. Unreadable ones
 * are left out of the list and answer 404, as if absent.
 */
export function pipelineRoutes(deps: { client: KubeClient; authorizer: Authorizer }): Hono<HubEnv> {
  const app = new Hono<HubEnv>();
  const readable = (p: Principal, pipeline: Pipeline, apps: Application[]): boolean => {
    const ns = pipeline.metadata.namespace ?? '';
    if (!deps.authorizer.authorize(p, 'get', { resource: 'applications', namespace: ns }).allowed)
      // A caller without namespace-wide reads may still read every app by its project.
      for (const stage of pipeline.spec.stages)
        if (stageApplications(pipeline, stage, apps).length === 0) return false;
    return pipeline.spec.stages.every((stage) =>
      stageApplications(pipeline, stage, apps).every(
        (a) => deps.authorizer.authorize(p, 'get', appTarget(a)).allowed,
      ),
    );
  };
  const load = async (ns?: string): Promise<{ pipelines: Pipeline[]; apps: Application[] }> => {
    const opt = ns !== undefined ? { namespace: ns } : {};
    const [pipelines, apps] = await Promise.all([
      deps.client.list<Pipeline>(API_VERSION, 'Pipeline', opt),
      deps.client.list<Application>(API_VERSION, 'Application', opt),
    ]);
    return { pipelines: pipelines.items, apps: apps.items };
  };
  app.get('/pipelines', async (c) => {
    const { pipelines, apps } = await load();
    const p = c.get('principal');
    const items = pipelines
      .filter((x) => readable(p, x, apps))
      .map((x) => pipelineSummary(x, apps))
      .sort((a, b) => compareStrings(`${a.namespace}/${a.name}`, `${b.namespace}/${b.name}`));
    return c.json<PipelineList>({ items });
  });
  app.get('/pipelines/:namespace/:name', async (c) => {
    const ns = c.req.param('namespace');
    const name = c.req.param('name');
    const { pipelines, apps } = await load(ns);
    const x = pipelines.find((q) => q.metadata.name === name);
    if (!x || !readable(c.get('principal'), x, apps)) fail(404, `pipeline ${ns}/${name} not found`);
    return c.json<PipelineSummary>({ ...pipelineSummary(x, apps), history: x.status?.history ?? [] });
  });
  return app;
}
