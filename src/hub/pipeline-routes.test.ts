import { Hono } from 'hono';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { Application } from '../api/application.js';
import type { Pipeline, PipelineList, PipelineSummary } from '../api/promotion.js';
import type { KubeClient } from '../kube/client.js';
import { answerError } from './http-errors.js';
import { pipelineRoutes } from './pipeline-routes.js';
import { ADMIN_GROUP, type Authorizer, type HubEnv } from './principal.js';

const app = (name: string, project: string, labels: Record<string, string> = {}): Application =>
  ({
    apiVersion: 'gitfleet.dev/v1alpha1',
    kind: 'Application',
    metadata: { name, namespace: 'shop', labels },
    spec: { project, source: { repoURL: 'https://git/x.git' }, destination: { name: 'c1' } },
    status: { sync: { status: 'Synced', revision: 'abc' }, health: { status: 'Healthy' } },
  }) as unknown as Application;

const pipeline = (name: string, stages: Pipeline['spec']['stages'], status?: Pipeline['status']): Pipeline =>
  ({
    apiVersion: 'gitfleet.dev/v1alpha1',
    kind: 'Pipeline',
    metadata: { name, namespace: 'shop' },
    spec: { git: { repoURL: 'https://git/x.git', author: { name: 'a', email: 'a@x' } }, stages },
    ...(status ? { status } : {}),
  }) as Pipeline;

const stage = (name: string, names: string[], extra: Partial<Pipeline['spec']['stages'][number]> = {}) => ({
  name,
  applications: { names },
  file: `envs/${name}/app.yaml`,
  field: 'image.tag',
  ...extra,
});

const apps = [app('web-dev', 'team'), app('web-prod', 'prod'), app('api-dev', 'team', { tier: 'api' })];
const pipelines = [
  pipeline('web', [stage('dev', ['web-dev']), stage('prod', ['web-prod'], { approval: true, soak: '10m' })], {
    stages: [
      { name: 'dev', revision: '1.2.0', verified: true, verifiedSince: '2026-01-01T00:00:00Z' },
      { name: 'prod', revision: '1.1.0', verified: true },
    ],
    promotion: {
      from: 'dev',
      to: 'prod',
      revision: '1.2.0',
      phase: 'WaitingApproval',
      startedAt: '2026-01-01T00:10:00Z',
    },
  }),
  pipeline('api', [
    { name: 'dev', applications: { selector: { matchLabels: { tier: 'api' } } }, file: 'a.yaml', field: 'v' },
  ]),
];

// The client answers lists from memory; nothing is contacted.
const client = {
  list: async (_v: string, kind: string) => ({ items: kind === 'Pipeline' ? pipelines : apps }),
} as unknown as KubeClient;

// A team may read the `team` project's apps only; admins everything.
const authorizer: Authorizer = {
  authorize: (p, _action, t) =>
    p.groups.includes(ADMIN_GROUP) || (t.project === 'team' && p.groups.includes('team'))
      ? { allowed: true, reason: 'test' }
      : { allowed: false, reason: 'no' },
};

function hub(groups: string[]): Hono<HubEnv> {
  const a = new Hono<HubEnv>();
  a.onError((e, c) => answerError(e, c, pino({ level: 'silent' })));
  a.use('*', async (c, next) => {
    c.set('principal', { kind: 'user', name: 'u', groups });
    await next();
  });
  a.route('/', pipelineRoutes({ client, authorizer }));
  return a;
}

describe('GET /pipelines', () => {
  it('lists every pipeline for an admin, each stage with its apps, revision and approval state', async () => {
    const r = await hub([ADMIN_GROUP]).request('/pipelines');
    expect(r.status).toBe(200);
    const { items } = (await r.json()) as PipelineList;
    expect(items.map((p) => p.name)).toEqual(['api', 'web']);
    const web = items[1] as PipelineSummary;
    expect(web.stages).toEqual([
      {
        name: 'dev',
        applications: [{ name: 'shop/web-dev', sync: 'Synced', health: 'Healthy', revision: 'abc' }],
        file: 'envs/dev/app.yaml',
        field: 'image.tag',
        revision: '1.2.0',
        verified: true,
        verifiedSince: '2026-01-01T00:00:00Z',
        pullRequest: false,
      },
      {
        name: 'prod',
        applications: [{ name: 'shop/web-prod', sync: 'Synced', health: 'Healthy', revision: 'abc' }],
        file: 'envs/prod/app.yaml',
        field: 'image.tag',
        revision: '1.1.0',
        verified: true,
        soak: '10m',
        approval: { state: 'waiting', revision: '1.2.0' },
        pullRequest: false,
      },
    ]);
    expect(web.promotion?.phase).toBe('WaitingApproval');
    expect(items[0]?.stages[0]?.applications.map((a) => a.name)).toEqual(['shop/api-dev']);
  });

  it('shows a team only the pipelines whose every app it may read, and 404 for the others', async () => {
    const team = hub(['team']);
    const { items } = (await (await team.request('/pipelines')).json()) as PipelineList;
    expect(items.map((p) => p.name)).toEqual(['api']);
    expect((await team.request('/pipelines/shop/web')).status).toBe(404);
    expect((await team.request('/pipelines/shop/api')).status).toBe(200);
    const nobody = hub([]);
    expect(((await (await nobody.request('/pipelines')).json()) as PipelineList).items).toEqual([]);
  });
});
