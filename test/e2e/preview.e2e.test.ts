// The fleet impact preview end to end: a real Gitea holds the repository and its pull requests,
// the product's controllers have synced an ApplicationSet across the fleet's clusters, and the
// preview of a pull request names exactly the apps whose inputs change, with dry-run diffs, then
// posts one comment and a `gitfleet/preview` status to the pull request.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_VERSION, type Application } from '../../src/api/application.js';
import { FLEET_NAMESPACE } from '../../src/api/cluster.js';
import { installCrds } from '../../src/cli/commands/install.js';
import { registerCluster } from '../../src/controllers/cluster/register.js';
import { GitSources } from '../../src/engine/source/index.js';
import { gitHost } from '../../src/githost/index.js';
import { previewChange, type PreviewDeps } from '../../src/preview/preview.js';
import { publishPreview } from '../../src/preview/pull-request.js';
import { issueUserToken } from '../../src/controllers/tokens.js';
import { ADMIN_GROUP, type Authorizer } from '../../src/hub/principal.js';
import { startHubServer } from '../../src/hub/server.js';
import { pino } from 'pino';
import type { PreviewReport } from '../../src/preview/types.js';
import { loadConnection, type KubeObject } from '../../src/kube/index.js';
import {
  createNamespace,
  testFleet,
  uniqueName,
  type ClusterHandle,
  type TestFleet,
} from '../harness/context.js';
import { startControllers, type TestControllers } from '../harness/controllers.js';
import { git } from '../harness/git.js';
import { startGitea, type Gitea } from '../harness/gitea.js';
import { installExitHooks } from '../harness/process.js';
import { toolPath } from '../harness/tools.js';
import { waitFor } from '../harness/wait.js';

const dir = mkdtempSync(join(tmpdir(), 'gitfleet-preview-'));
const repoRoot = resolve(import.meta.dirname, '../..');
let fleet: TestFleet;
let hub: ClusterHandle;
let gitea: Gitea;
let ns: string;
let controllers: TestControllers;
let work: string;
let repoURL: string;
let deps: PreviewDeps;
const clusterNames: string[] = [];
const destNs = uniqueName('pv');

const cm = (name: string, data: Record<string, string>): string =>
  JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data });

/** Writes `files` on `branch` of the work tree and pushes it to Gitea; returns the commit. */
async function push(branch: string, files: Record<string, string>, from = 'main'): Promise<string> {
  await git(['checkout', '-q', '-B', branch, `origin/${from}`], { cwd: work }).catch(() =>
    git(['checkout', '-q', '-B', branch], { cwd: work }),
  );
  const { writeFileSync, mkdirSync } = await import('node:fs');
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(join(work, p, '..'), { recursive: true });
    writeFileSync(join(work, p), text);
  }
  await git(['add', '-A'], { cwd: work });
  await git(['commit', '-q', '-m', `change ${branch}`], { cwd: work });
  await git(['push', '-q', 'origin', `HEAD:refs/heads/${branch}`], { cwd: work });
  await git(['fetch', '-q', 'origin'], { cwd: work });
  return (await git(['rev-parse', 'HEAD'], { cwd: work })).trim();
}

beforeAll(async () => {
  installExitHooks();
  fleet = await testFleet();
  hub = fleet.clusters[0] as ClusterHandle;
  await installCrds(hub.admin);
  ns = await createNamespace(hub.admin, 'preview');
  gitea = await startGitea(join(dir, 'gitea'), join(fleet.info.runDir, 'logs'));
  const owner = gitea.admin.username;
  await gitea.api('POST', '/user/repos', { name: 'fleet', default_branch: 'main' });
  repoURL = `${gitea.url}/${owner}/fleet.git`;
  work = join(dir, 'work');
  await git(['init', '-q', '-b', 'main', work]);
  const auth = new URL(repoURL);
  auth.username = owner;
  auth.password = gitea.admin.password;
  await git(['remote', 'add', 'origin', auth.toString()], { cwd: work });
  await push('main', {
    'base/web/cm.yaml': cm('web-config', { color: 'blue' }),
    'base/web/kustomization.yaml': 'resources: [cm.yaml]\n',
    'apps/web/kustomization.yaml': 'resources: [../../base/web]\n',
    'apps/other/cm.yaml': cm('other', { x: '1' }),
    'teams/alpha/cm.yaml': cm('team-alpha', { team: 'alpha' }),
  });

  const mark = uniqueName('pv');
  for (const c of fleet.clusters) {
    const name = uniqueName('pvc');
    clusterNames.push(name);
    await registerCluster(hub.admin, {
      name,
      connection: await loadConnection({ file: c.kubeconfig }),
      labels: { pv: mark },
    });
  }
  const project = uniqueName('pv-proj');
  await hub.admin.create({
    apiVersion: API_VERSION,
    kind: 'Project',
    metadata: { name: project, namespace: FLEET_NAMESPACE },
    spec: { sourceNamespaces: [ns], sourceRepos: [`${gitea.url}/*`], destinations: [{ namespace: '*' }] },
  } as KubeObject);
  const syncPolicy = { automated: { prune: true }, syncOptions: ['CreateNamespace=true'] };
  const first = clusterNames[0] as string;
  await hub.admin.create({
    apiVersion: API_VERSION,
    kind: 'ApplicationSet',
    metadata: { name: 'web', namespace: ns },
    spec: {
      generators: [{ clusters: { selector: { matchLabels: { pv: mark } } } }],
      template: {
        metadata: { name: 'web-{{name}}' },
        spec: {
          project,
          source: { repoURL, targetRevision: 'main', path: 'apps/web' },
          destination: { name: '{{name}}', namespace: destNs },
          syncPolicy,
        },
      },
    },
  } as KubeObject);
  await hub.admin.create({
    apiVersion: API_VERSION,
    kind: 'ApplicationSet',
    metadata: { name: 'teams', namespace: ns },
    spec: {
      generators: [{ git: { repoURL, revision: 'main', directories: [{ path: 'teams/*' }] } }],
      template: {
        metadata: { name: 'team-{{path.basename}}' },
        spec: {
          project,
          source: { repoURL, targetRevision: 'main', path: '{{path}}' },
          destination: { name: first, namespace: destNs },
          syncPolicy,
        },
      },
    },
  } as KubeObject);
  await hub.admin.create({
    apiVersion: API_VERSION,
    kind: 'Application',
    metadata: { name: 'other', namespace: ns },
    spec: {
      project,
      source: { repoURL, targetRevision: 'main', path: 'apps/other' },
      destination: { name: first, namespace: destNs },
      syncPolicy,
    },
  } as KubeObject);
  controllers = await startControllers({
    kubeconfig: hub.kubeconfig,
    namespace: ns,
    cacheDir: join(dir, 'sources'),
    apps: true,
    appsets: true,
    pollIntervalMs: 1000,
  });
  const expected = clusterNames.length + 2;
  await waitFor(
    'every app synced',
    async () => {
      const apps = (await hub.admin.list<Application>(API_VERSION, 'Application', { namespace: ns })).items;
      return apps.length === expected && apps.every((a) => a.status?.sync?.status === 'Synced');
    },
    { timeoutMs: 90_000, intervalMs: 500 },
  );
  deps = {
    client: hub.admin,
    sources: new GitSources({ cacheDir: join(dir, 'preview-sources') }),
    clusters: controllers.hub.clusters,
    namespace: ns,
    renderOptions: { kustomizeBinary: toolPath('kustomize'), helmBinary: toolPath('helm') },
  };
});

afterAll(async () => {
  controllers?.stop();
  await gitea?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('fleet impact preview of a pull request', () => {
  it('names exactly the apps of the changed base on every cluster, with their diffs, and posts one comment and a status', async () => {
    const owner = gitea.admin.username;
    const repo = { owner, repo: 'fleet' };
    await push('change-base', { 'base/web/cm.yaml': cm('web-config', { color: 'green' }) });
    const created = await gitea.api<{ number: number }>('POST', `/repos/${owner}/fleet/pulls`, {
      head: 'change-base',
      base: 'main',
      title: 'Green web',
    });
    const host = gitHost({ provider: 'gitea', api: gitea.url, token: gitea.admin.token });
    const run = async (): Promise<PreviewReport | undefined> => {
      const pr = await host.getPullRequest(repo, created.number);
      return publishPreview(host, repo, pr, () =>
        previewChange(deps, { repoURL, base: pr.base, head: pr.headSha }),
      );
    };
    const report = (await run()) as PreviewReport;
    const n = clusterNames.length;
    expect(report.apps.map((a) => a.app).sort()).toEqual(clusterNames.map((c) => `${ns}/web-${c}`).sort());
    expect(report.apps.map((a) => a.cluster).sort()).toEqual([...clusterNames].sort());
    for (const a of report.apps) {
      expect(a.error).toBeUndefined();
      expect(a).toMatchObject({ appSet: 'web', change: 'changed' });
      expect(a.objects).toHaveLength(1);
      expect(a.objects[0]).toMatchObject({ ref: `ConfigMap/${destNs}/web-config`, action: 'change' });
      expect(a.objects[0]?.diff).toContain('/data/color: "blue" -> "green"');
    }
    expect(report.unchanged).toBe(2);
    expect(report.summary.line).toBe(
      `${n} apps on ${n} clusters change; 0 objects created, ${n} changed, 0 deleted`,
    );

    const comments = async (): Promise<string[]> =>
      (
        await gitea.api<{ body: string }[]>('GET', `/repos/${owner}/fleet/issues/${created.number}/comments`)
      ).map((c) => c.body);
    expect(await comments()).toHaveLength(1);
    expect((await comments())[0]).toContain(report.summary.line);
    const status = async (
      sha: string,
    ): Promise<{ state: string; statuses: { context: string; description: string }[] }> =>
      gitea.api('GET', `/repos/${owner}/fleet/commits/${sha}/status`);
    expect(await status(report.head.sha)).toMatchObject({
      state: 'success',
      statuses: [{ context: 'gitfleet/preview', description: report.summary.line }],
    });

    // A new push to the pull request: the same comment is edited, the new head gets its status.
    await push('change-base', { 'base/web/cm.yaml': cm('web-config', { color: 'red' }) }, 'change-base');
    const again = (await run()) as PreviewReport;
    expect(again.head.sha).not.toBe(report.head.sha);
    const after = await comments();
    expect(after).toHaveLength(1);
    expect(after[0]).toContain('/data/color: "blue" -> "red"');
    expect((await status(again.head.sha)).state).toBe('success');
  });

  it('lists the Applications a new directory adds, and nothing else (CLI)', async () => {
    await push('add-team', { 'teams/gamma/cm.yaml': cm('team-gamma', { team: 'gamma' }) });
    const r = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        join(repoRoot, 'src/cli/main.ts'),
        'preview',
        '--base',
        'main',
        '--head',
        'add-team',
        '--repo',
        repoURL,
        '--kubeconfig',
        hub.kubeconfig,
        '-n',
        ns,
        '--json',
        '--cache-dir',
        join(dir, 'cli-sources'),
      ],
      {
        cwd: repoRoot,
        encoding: 'utf8',
        timeout: 90_000,
        env: { ...process.env, GITFLEET_KUSTOMIZE: toolPath('kustomize'), GITFLEET_HELM: toolPath('helm') },
      },
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout) as PreviewReport;
    expect(report.apps).toMatchObject([
      {
        app: `${ns}/team-gamma`,
        appSet: 'teams',
        change: 'added',
        cluster: clusterNames[0],
        objects: [{ ref: `ConfigMap/${destNs}/team-gamma`, action: 'create' }],
      },
    ]);
    expect(report.summary.line).toBe('1 app on 1 cluster change; 1 object created, 0 changed, 0 deleted');
  });

  it('serves the preview at POST /api/v1/preview, naming to each caller only the apps it may read', async () => {
    await push('api-change', { 'base/web/cm.yaml': cm('web-config', { color: 'teal' }) });
    const first = clusterNames[0] as string;
    // A team that may read one generated app (and its set), and a user who may read nothing here.
    const authorizer: Authorizer = {
      authorize: (p, action, t) =>
        p.groups.includes(ADMIN_GROUP) ||
        (p.groups.includes(`team-${ns}`) &&
          action === 'get' &&
          (t.resource === 'applicationsets' ? t.name === 'web' : t.name === `web-${first}`))
          ? { allowed: true, reason: 'test' }
          : { allowed: false, reason: 'test: no' },
    };
    const server = await startHubServer({
      port: 0,
      webhookSecrets: {},
      onPush: () => [],
      api: {
        client: hub.admin,
        tokens: ['preview-admin-token'],
        authorizer,
        preview: {
          sources: new GitSources({ cacheDir: join(dir, 'api-sources') }),
          renderOptions: deps.renderOptions ?? {},
        },
      },
      ui: false,
      log: pino({ level: 'warn' }),
    });
    const team = (await issueUserToken(hub.admin, `team-${ns}`, [`team-${ns}`])).token;
    const nobody = (await issueUserToken(hub.admin, `nobody-${ns}`, [`nobody-${ns}`])).token;
    const post = async (token: string, body: unknown): Promise<{ status: number; json: unknown }> => {
      const r = await fetch(`http://127.0.0.1:${server.port}/api/v1/preview`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
      return { status: r.status, json: await r.json() };
    };
    try {
      const body = { repoURL, base: 'main', head: 'api-change' };
      const all = await post('preview-admin-token', body);
      expect(all.status).toBe(200);
      const report = all.json as PreviewReport;
      expect(report.apps.map((a) => a.app).sort()).toEqual(clusterNames.map((c) => `${ns}/web-${c}`).sort());
      expect(report.apps[0]?.objects[0]?.diff).toContain('/data/color: "blue" -> "teal"');
      expect(report.head.sha).toMatch(/^[0-9a-f]{40}$/);

      const mine = await post(team, body);
      expect(mine.status).toBe(200);
      const own = mine.json as PreviewReport;
      expect(own.apps.map((a) => a.app)).toEqual([`${ns}/web-${first}`]);
      expect(own.summary.line).toBe('1 app on 1 cluster change; 0 objects created, 1 changed, 0 deleted');
      expect(own.unchanged).toBe(0);
      // Nothing of the apps it may not read: names, clusters or counts.
      const text = JSON.stringify(own);
      for (const c of clusterNames.slice(1)) expect(text).not.toContain(c);
      expect(text).not.toContain('team-alpha');

      const none = await post(nobody, body);
      expect(none.status).toBe(404);
      expect(none.json).toEqual({
        error: `no Application or ApplicationSet you may read follows ${repoURL}`,
      });
      const bad = await post('preview-admin-token', { repoURL, base: '--upload-pack=x', head: 'main' });
      expect(bad.status).toBe(400);
      expect((bad.json as { error: string }).error).toMatch(/^body\.base: /);
      const missing = await post('preview-admin-token', { ...body, head: 'no-such-branch' });
      expect(missing.status).toBe(422);
    } finally {
      await server.close();
    }
  });
});
