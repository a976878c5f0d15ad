import { Hono } from 'hono';
import type { Application } from '../api/application.js';
import type { ApplicationSet } from '../api/applicationset.js';
import { FLEET_NAMESPACE } from '../api/cluster.js';
import { ClusterResolver } from '../controllers/clusters.js';
import { GitfleetError } from '../core/errors.js';
import { SourceError } from '../engine/errors.js';
import type { RenderOptions } from '../engine/render/index.js';
import type { GitSources } from '../engine/source/index.js';
import type { KubeClient } from '../kube/client.js';
import { fail } from './http-errors.js';
import type { Authorizer, HubEnv, Principal } from './principal.js';

export interface PreviewRouteDeps {
  client: KubeClient;
  /** The hub's Git mirrors (shared with the controllers: one clone per repository); 503 without. */
  sources?: GitSources;
  clusters?: ClusterResolver;
  renderOptions?: RenderOptions;
  authorizer: Authorizer;
  /** Previews run at once by this replica; more are answered 429 (each renders and dry-runs many apps). */
  maxConcurrent?: number;
}

/** A revision as git takes it: no option-like or control characters, bounded. */
const REVISION = /^(?!-)[\w./@^~+-]{1,250}$/;

/** The request body's fields, each checked by name; the first problem is the answer. */
function parseBody(body: unknown): { repoURL: string; base: string; head: string } {
  if (!body || typeof body !== 'object' || Array.isArray(body))
    fail(400, 'body: expected a JSON object {repoURL, base, head}');
  const b = body as Record<string, unknown>;
  for (const k of Object.keys(b))
    if (!['repoURL', 'base', 'head'].includes(k)) fail(400, `body.${k}: unknown field`);
  const repoURL = b.repoURL;
  if (typeof repoURL !== 'string' || !/^(https?|ssh|git):\/\/\S+$|^[\w.-]+@[\w.-]+:\S+$/.test(repoURL))
    fail(400, 'body.repoURL: expected a Git URL (https://, ssh://, git:// or user@host:path)');
  if (repoURL.length > 2048) fail(400, 'body.repoURL: longer than 2048 characters');
  for (const k of ['base', 'head'] as const) {
    const v = b[k];
    if (typeof v !== 'string' || !REVISION.test(v))
      fail(
        400,
        `body.${k}: expected a branch, tag or commit (letters, digits, . / _ - @ ^ ~ +; not starting with -)`,
      );
  }
  return { repoURL, base: b.base as string, head: b.head as string };
}

/**
 * `POST /preview {repoURL, base, head}`: the fleet impact preview of merging `head` into `base`,
 * the same report as `gitfleet preview --json`. RBAC: the caller needs `get` on every
 * Application the report names (ApplicationSets: `get` on the set, judged by its template's
 * project; generated apps by their own project); apps and sets it may not read are left out
 * before rendering — never named, counted or diffed — so a caller who may read everything (an
 * admin) sees the whole fleet and a team sees its own apps. Without any readable app or set
 * following the repository, the answer is 404 (the hub's Git credentials are not lent to probe
 * other repositories). Changes nothing: dry-run only.
 */
export function previewRoutes(deps: PreviewRouteDeps): Hono<HubEnv> {
  const app = new Hono<HubEnv>();
  const clusters = deps.clusters ?? new ClusterResolver(deps.client, FLEET_NAMESPACE);
  const max = deps.maxConcurrent ?? 2;
  let running = 0;
  app.post('/preview', async (c) => {
    const sources = deps.sources;
    if (!sources) fail(503, 'this hub serves no previews: it runs without Git mirrors');
    const req = parseBody(await c.req.json().catch(() => fail(400, 'body: not valid JSON')));
    if (running >= max) fail(429, `${max} previews are running; retry shortly`, { 'Retry-After': '10' });
    const p: Principal = c.get('principal');
    const visible = (o: Application | ApplicationSet): boolean =>
      deps.authorizer.authorize(p, 'get', {
        resource: o.kind === 'ApplicationSet' ? 'applicationsets' : 'applications',
        project:
          (o.kind === 'ApplicationSet'
            ? (o as ApplicationSet).spec.template.spec.project
            : (o as Application).spec.project) ?? 'default',
        namespace: o.metadata.namespace ?? '',
        name: o.metadata.name,
      }).allowed;
    running++;
    try {
      // Loaded at the first preview: the renderer of templates and generators it brings is memory
      // an idle hub that is never asked for one does not hold.
      const { previewChange } = await import('../preview/preview.js');
      const report = await previewChange(
        {
          client: deps.client,
          sources,
          clusters,
          visible,
          ...(deps.renderOptions ? { renderOptions: deps.renderOptions } : {}),
        },
        req,
      );
      return c.json(report);
    } catch (e) {
      if (e instanceof GitfleetError && e.code === 'preview.NoVisibleApp') fail(404, e.message);
      // An unknown revision or an unreachable repository is the request's problem; SourceError
      // messages name the repository with its credentials redacted.
      if (e instanceof SourceError) fail(422, e.message);
      throw e;
    } finally {
      running--;
    }
  });
  return app;
}
