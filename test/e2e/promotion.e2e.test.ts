// Promotion pipelines end to end: the real Git server, three real Applications (dev, staging,
// prod overlays of one repository) synced by the hub's own controllers, the Pipeline run by the
// hub's promotion controller (startHub, leader) and approvals through the hub's HTTP API and the
// CLI. A new revision in dev → dev Synced+Healthy at it → soak → one commit changing one line of
// staging's file → staging verified → waits for an approval → approved by an authenticated user →
// prod. A second, freshly started controller racing the hub's (a restart) never promotes twice.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_VERSION, type Application } from '../../src/api/application.js';
import type { Pipeline } from '../../src/api/promotion.js';
import { promoteCommand } from '../../src/cli/commands/promote.js';
import { PromotionController } from '../../src/controllers/promotion/controller.js';
import type { Authorizer } from '../../src/hub/principal.js';
import { startHubServer } from '../../src/hub/server.js';
import type { KubeObject } from '../../src/kube/index.js';
import { createNamespace, uniqueName } from '../harness/context.js';
import { git } from '../harness/git.js';
import { startTenant, type Tenant } from '../harness/tenant.js';
import { waitFor } from '../harness/wait.js';

const TOKEN = 'promotion-e2e-token';
const STAGES = ['dev', 'staging', 'prod'] as const;
const FILE = (stage: string): string => `envs/${stage}/app.yaml`;
const CONFIG = (version: string): string =>
  [
    'apiVersion: v1',
    'kind: ConfigMap',
    'metadata:',
    '  name: web',
    'data:',
    `  version: "${version}"`,
    '  note: untouched by promotions',
    '',
  ].join('\n');

let t: Tenant;
let work: string;
let server: Awaited<ReturnType<typeof startHubServer>>;
let denying: Awaited<ReturnType<typeof startHubServer>>;

async function clone<T>(repo: string, fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(work, 'clone-'));
  try {
    const u = new URL(t.fleet.git.repoUrl(repo));
    u.username = t.fleet.git.info.admin.username;
    u.password = t.fleet.git.info.admin.password;
    await git(['clone', '--quiet', u.toString(), dir]);
    return await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const commits = (repo: string): Promise<string[]> =>
  clone(repo, async (dir) => (await git(['log', '--format=%H', 'main'], { cwd: dir })).trim().split('\n'));

/** The files a commit touches and its changed lines (no context). */
const changeOf = (repo: string, sha: string): Promise<{ files: string[]; lines: string[] }> =>
  clone(repo, async (dir) => {
    const files = (await git(['show', '--format=', '--name-only', sha], { cwd: dir })).trim().split('\n');
    const diff = await git(['show', '--format=', '--unified=0', sha], { cwd: dir });
    return { files, lines: diff.split('\n').filter((l) => /^[+-](?![+-])/u.test(l)) };
  });

beforeAll(async () => {
  t = await startTenant('promo');
  work = mkdtempSync(join(tmpdir(), 'gitfleet-promotion-'));
  const log = pino({ level: 'warn' });
  const client = t.controllers.client;
  server = await startHubServer({
    port: 0,
    webhookSecrets: {},
    onPush: () => [],
    api: { client, tokens: [TOKEN] },
    ui: false,
    log,
  });
  // The same hub under a policy that grants nothing but reads: approvals must be refused.
  const readOnly: Authorizer = {
    authorize: (_p, action) =>
      action === 'get'
        ? { allowed: true, reason: 'read' }
        : { allowed: false, reason: `no role grants ${action}` },
  };
  denying = await startHubServer({
    port: 0,
    webhookSecrets: {},
    onPush: () => [],
    api: { client, tokens: [TOKEN], authorizer: readOnly },
    ui: false,
    log,
  });
}, 180_000);

afterAll(async () => {
  await server?.close();
  await denying?.close();
  t?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

const approve = (srv: { port: number }, path: string, body?: unknown): Promise<Response> =>
  fetch(`http://127.0.0.1:${srv.port}/api/v1/pipelines/${path}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(body ?? {}),
  });

describe('promotion pipeline dev → staging → prod', () => {
  it('promotes a verified, soaked revision by one-line commits, waits for an authenticated approval, never twice', async () => {
    const c = t.hub.admin;
    const repo = uniqueName('promo-repo');
    await t.fleet.git.createRepo(repo);
    await t.fleet.git.commit(repo, Object.fromEntries(STAGES.map((s) => [FILE(s), CONFIG('1.0.0')])));
    const apps: Record<string, string> = {};
    for (const stage of STAGES) {
      const destNs = await createNamespace(c, `promo-${stage}`);
      apps[stage] = uniqueName(`web-${stage}`);
      await c.create({
        apiVersion: API_VERSION,
        kind: 'Application',
        metadata: { name: apps[stage], namespace: t.ns, labels: { env: stage } },
        spec: {
          project: t.project,
          source: {
            repoURL: t.fleet.git.repoUrl(repo),
            path: `envs/${stage}`,
            secretRef: { name: t.credentials },
          },
          destination: { namespace: destNs },
          syncPolicy: { automated: { prune: true } },
        },
      } as KubeObject);
    }
    const name = uniqueName('web');
    const SOAK_MS = 3000;
    await c.create<Pipeline>({
      apiVersion: API_VERSION,
      kind: 'Pipeline',
      metadata: { name, namespace: t.ns },
      spec: {
        interval: '1s',
        git: {
          repoURL: t.fleet.git.repoUrl(repo),
          secretRef: { name: t.credentials },
          branch: 'main',
          author: { name: 'gitfleet promoter', email: 'promoter@gitfleet.dev' },
        },
        stages: [
          {
            name: 'dev',
            applications: { names: [apps.dev ?? ''] },
            file: FILE('dev'),
            field: 'data.version',
            soak: '3s',
          },
          {
            name: 'staging',
            applications: { selector: { matchLabels: { env: 'staging' } } },
            file: FILE('staging'),
            field: 'data.version',
          },
          {
            name: 'prod',
            applications: { names: [apps.prod ?? ''] },
            file: FILE('prod'),
            field: 'data.version',
            approval: true,
          },
        ],
      },
    });
    const pipeline = (): Promise<Pipeline> =>
      c.get<Pipeline>({ apiVersion: API_VERSION, kind: 'Pipeline', namespace: t.ns, name });
    const app = (stage: string): Promise<Application> => t.getApp(apps[stage] ?? '');

    // Everything at 1.0.0: every stage verified, nothing to promote, no commit.
    await waitFor(
      'every stage verified at 1.0.0',
      async () => {
        const p = await pipeline();
        return (
          p.status?.stages?.length === 3 && p.status.stages.every((s) => s.verified && s.revision === '1.0.0')
        );
      },
      { timeoutMs: 90_000 },
    );
    expect(await commits(repo)).toHaveLength(1);

    // A new revision in dev's overlay (what image automation would write).
    const devCommit = await t.fleet.git.commit(
      repo,
      { [FILE('dev')]: CONFIG('1.1.0') },
      { message: 'dev: 1.1.0' },
    );
    await waitFor('dev Synced and Healthy at 1.1.0', async () => {
      const a = await app('dev');
      return (
        a.status?.sync?.status === 'Synced' &&
        a.status.sync.revision === devCommit &&
        a.status.health?.status === 'Healthy'
      );
    });
    const staged = await waitFor('1.1.0 promoted to staging', async () => {
      const p = await pipeline();
      return p.status?.history?.find((h) => h.stage === 'staging' && h.revision === '1.1.0') ? p : undefined;
    });
    const rec = staged.status?.history?.find((h) => h.stage === 'staging');
    const devSince = Date.parse(staged.status?.stages?.find((s) => s.name === 'dev')?.verifiedSince ?? '');
    expect(rec).toMatchObject({ from: 'dev', revision: '1.1.0', by: 'automated' });
    // The soak was honoured: promoted no earlier than dev's verification plus the soak.
    expect(Date.parse(rec?.at ?? '') - devSince).toBeGreaterThanOrEqual(SOAK_MS);
    let log = await commits(repo);
    expect(log).toHaveLength(3);
    expect(log[0]).toBe(rec?.commit);
    // One line of one file: staging's, nothing else.
    expect(await changeOf(repo, rec?.commit ?? '')).toEqual({
      files: [FILE('staging')],
      lines: ['-  version: "1.0.0"', '+  version: "1.1.0"'],
    });

    // Staging verified at 1.1.0 → prod waits for an approval of exactly 1.1.0.
    await waitFor('prod waits for approval', async () => {
      const p = await pipeline();
      return p.status?.promotion?.phase === 'WaitingApproval' && p.status.promotion.to === 'prod'
        ? p.status.promotion
        : undefined;
    });
    // A "restarted" controller: a fresh process state racing the hub's own from here on.
    const restarted = new PromotionController({
      client: t.controllers.client,
      log: pino({ level: 'silent' }),
      namespace: t.ns,
    });
    await restarted.pass();
    expect(await commits(repo)).toHaveLength(3);

    // Refusals change nothing: no RBAC grant, a stage without approval, a bad body.
    const path = `${t.ns}/${name}/stages`;
    expect((await approve(denying, `${path}/prod/approve`)).status).toBe(403);
    expect((await approve(server, `${path}/staging/approve`)).status).toBe(409);
    expect((await approve(server, `${path}/nope/approve`)).status).toBe(404);
    expect((await approve(server, `${path}/prod/approve`, { revision: 42 })).status).toBe(400);
    expect((await pipeline()).status?.approvals).toBeUndefined();

    // Approved through the CLI (hub API): the approver is the authenticated principal.
    expect(
      await promoteCommand([
        'approve',
        name,
        'prod',
        '-n',
        t.ns,
        '--hub',
        `http://127.0.0.1:${server.port}`,
        '--token',
        TOKEN,
      ]),
    ).toBe(0);
    expect((await pipeline()).status?.approvals).toEqual([
      expect.objectContaining({ stage: 'prod', revision: '1.1.0', by: 'admin' }),
    ]);
    // A pass that read the Pipeline at this point (approved, not yet promoted) and acts only after
    // another pass pushed and recorded the promotion: replayed below, deterministically.
    const approvedSnapshot = await pipeline();
    // Both controllers race to act on the approval.
    await Promise.all([restarted.pass(), restarted.pass()]);
    const done = await waitFor('1.1.0 promoted to prod', async () => {
      const p = await pipeline();
      return p.status?.history?.find((h) => h.stage === 'prod') && !p.status.promotion ? p : undefined;
    });
    const prod = done.status?.history?.filter((h) => h.stage === 'prod') ?? [];
    expect(prod).toEqual([
      expect.objectContaining({ from: 'staging', revision: '1.1.0', by: 'admin', verified: true }),
    ]);
    log = await commits(repo);
    expect(log).toHaveLength(4);
    expect(await changeOf(repo, log[0] ?? '')).toEqual({
      files: [FILE('prod')],
      lines: ['-  version: "1.0.0"', '+  version: "1.1.0"'],
    });
    // Another restart after the fact finds nothing to do.
    const again = new PromotionController({
      client: t.controllers.client,
      log: pino({ level: 'silent' }),
      namespace: t.ns,
    });
    await again.pass();
    // The late pass sees prod's field already at 1.1.0 with the promotion still in flight in what it
    // read: its status write is refused (stale resourceVersion), so it announces nothing.
    const inflight = approvedSnapshot.status?.promotion;
    expect(inflight).toMatchObject({ to: 'prod', revision: '1.1.0' });
    if (!inflight) throw new Error('no promotion in flight in the approved snapshot');
    await again.reconcile({
      ...approvedSnapshot,
      status: { ...approvedSnapshot.status, promotion: { ...inflight, phase: 'Promoting' } },
    });
    expect((await pipeline()).status?.history?.filter((h) => h.stage === 'prod')).toHaveLength(1);
    await waitFor('prod Synced at 1.1.0', async () => {
      const a = await app('prod');
      return a.status?.sync?.status === 'Synced' && a.status.sync.revision === log[0];
    });
    expect(await commits(repo)).toHaveLength(4);
    const events = await c.list<KubeObject & { reason?: string; message?: string }>('v1', 'Event', {
      namespace: t.ns,
    });
    const promoted = events.items.filter((e) => e.reason === 'Promoted' && e.message?.includes('to prod'));
    expect(promoted).toHaveLength(1);
  }, 240_000);
});
