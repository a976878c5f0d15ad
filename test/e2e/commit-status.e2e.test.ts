// Commit status per deployed commit, in the product: the hub's own composition root (startHub)
// gives the Notifier the Git host adapters, so a NotificationRule with the commitStatus
// destination marks the synced commit in a real Gitea: pending while a sync runs (waits on a
// PreSync hook Job that never runs), failure when it failed, success once a sync succeeded.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_VERSION, type Application } from '../../src/api/application.js';
import { FLEET_NAMESPACE } from '../../src/api/cluster.js';
import type { KubeObject } from '../../src/kube/index.js';
import { createNamespace, uniqueName } from '../harness/context.js';
import { startGitea, type Gitea } from '../harness/gitea.js';
import { installExitHooks } from '../harness/process.js';
import { startTenant, type Tenant } from '../harness/tenant.js';
import { waitFor } from '../harness/wait.js';

const dir = mkdtempSync(join(tmpdir(), 'gitfleet-cstatus-'));
let tenant: Tenant;
let gitea: Gitea;
let sha: string;

interface GiteaStatus {
  context: string;
  status: string;
  description: string;
}

const hookJob = JSON.stringify({
  apiVersion: 'batch/v1',
  kind: 'Job',
  metadata: { name: 'migrate', annotations: { 'gitfleet.dev/hook': 'PreSync' } },
  spec: {
    backoffLimit: 0,
    activeDeadlineSeconds: 2,
    template: {
      spec: {
        restartPolicy: 'Never',
        nodeSelector: { 'no-such-node': 'x' },
        containers: [{ name: 'run', image: 'busybox' }],
      },
    },
  },
});
const cm = (name: string): string =>
  JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { a: 'b' } });

/** Every status Gitea holds for the commit under `context` (newest first), as states. */
async function states(context: string): Promise<string[]> {
  const owner = gitea.admin.username;
  const all = await gitea.api<GiteaStatus[]>('GET', `/repos/${owner}/fleet/commits/${sha}/statuses?limit=50`);
  return all.filter((s) => s.context === context).map((s) => s.status);
}

beforeAll(async () => {
  installExitHooks();
  tenant = await startTenant('cstatus');
  gitea = await startGitea(join(dir, 'gitea'), join(tenant.fleet.info.runDir, 'logs'));
  const owner = gitea.admin.username;
  await gitea.api('POST', '/user/repos', { name: 'fleet', default_branch: 'main', auto_init: true });
  const files = {
    'good/cm.yaml': cm('good'),
    'bad/cm.yaml': cm('after-migrate'),
    'bad/job.yaml': hookJob,
  };
  for (const [path, text] of Object.entries(files))
    await gitea.api('POST', `/repos/${owner}/fleet/contents/${path}`, {
      content: Buffer.from(text).toString('base64'),
      branch: 'main',
      message: `add ${path}`,
    });
  sha = (await gitea.api<{ commit: { id: string } }>('GET', `/repos/${owner}/fleet/branches/main`)).commit.id;
  const { hub, ns } = tenant;
  await hub.admin.create({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'gitea-token', namespace: ns },
    stringData: { token: gitea.admin.token },
  });
  await hub.admin.create({
    apiVersion: API_VERSION,
    kind: 'NotificationRule',
    metadata: { name: 'commit-status', namespace: ns },
    spec: {
      triggers: ['SyncRunning', 'SyncSucceeded', 'SyncFailed'],
      destination: {
        commitStatus: {
          provider: 'gitea',
          api: gitea.url,
          tokenSecretRef: { name: 'gitea-token', key: 'token' },
          context: 'gitfleet/{{app}}',
        },
      },
    },
  } as KubeObject);
  // The tenant's Project admits only the harness' Git server; this one admits Gitea.
  const project = uniqueName('cstatus-proj');
  await hub.admin.create({
    apiVersion: API_VERSION,
    kind: 'Project',
    metadata: { name: project, namespace: FLEET_NAMESPACE },
    spec: { sourceNamespaces: [ns], sourceRepos: [`${gitea.url}/*`], destinations: [{ namespace: '*' }] },
  } as KubeObject);
  for (const name of ['good', 'bad'])
    await hub.admin.create({
      apiVersion: API_VERSION,
      kind: 'Application',
      metadata: { name, namespace: ns },
      spec: {
        project,
        source: { repoURL: `${gitea.url}/${owner}/fleet.git`, targetRevision: 'main', path: name },
        destination: { namespace: await createNamespace(hub.admin, `cstatus-${name}`) },
        syncPolicy: { automated: { prune: true }, retry: { limit: 0 } },
      },
    } as KubeObject);
});

afterAll(async () => {
  tenant?.stop();
  await gitea?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('commit status per deployed commit', () => {
  it('marks the synced commit pending then success, and failure for a failing sync', async () => {
    await waitFor(
      'gitfleet/good success',
      async () => {
        const s = await states('gitfleet/good');
        if (s[0] === 'success') return true;
        throw new Error(`statuses of gitfleet/good: ${s.join(', ') || 'none'}`);
      },
      { timeoutMs: 90_000, intervalMs: 500 },
    );
    const good = await tenant.hub.admin.get<Application>({
      apiVersion: API_VERSION,
      kind: 'Application',
      namespace: tenant.ns,
      name: 'good',
    });
    expect(good.status?.sync?.revision).toBe(sha);
    await waitFor(
      'gitfleet/bad failure',
      async () => {
        const s = await states('gitfleet/bad');
        if (s.includes('failure')) return true;
        throw new Error(`statuses of gitfleet/bad: ${s.join(', ') || 'none'}`);
      },
      { timeoutMs: 90_000, intervalMs: 500 },
    );
    // Gitea keeps every status it was sent (newest first): the sync was reported pending while
    // its PreSync hook ran, before it failed. (A one-step sync like good's never shows Running.)
    const bad = await states('gitfleet/bad');
    expect(bad.at(-1)).toBe('pending');
    expect(bad).not.toContain('success');
  });
});
