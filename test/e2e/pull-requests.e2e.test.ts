import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_VERSION, type Application } from '../../src/api/application.js';
import { installCrds } from '../../src/cli/commands/install.js';
import { type KubeObject } from '../../src/kube/index.js';
import { createNamespace, testFleet, type ClusterHandle } from '../harness/context.js';
import { startGitea, type Gitea } from '../harness/gitea.js';
import { installExitHooks } from '../harness/process.js';
import { startControllers, type TestControllers } from '../harness/controllers.js';
import { waitFor } from '../harness/wait.js';

let gitea: Gitea;
let hub: ClusterHandle;
let ns: string;
let controllers: TestControllers;
const dir = mkdtempSync(join(tmpdir(), 'gitfleet-gitea-'));

beforeAll(async () => {
  installExitHooks();
  const fleet = await testFleet();
  hub = fleet.clusters[0] as ClusterHandle;
  gitea = await startGitea(join(dir, 'gitea'), join(fleet.info.runDir, 'logs'));
  await installCrds(hub.admin);
  ns = await createNamespace(hub.admin, 'prs');
  controllers = await startControllers({
    kubeconfig: hub.kubeconfig,
    namespace: ns,
    cacheDir: join(dir, 'sources'),
    appsets: true,
  });
});

afterAll(async () => {
  controllers?.stop();
  await gitea?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('pull request generator (real Gitea)', () => {
  it('makes one Application per open pull request with the wanted label, and removes it when the PR closes', async () => {
    const owner = gitea.admin.username;
    await gitea.api('POST', '/user/repos', { name: 'shop', auto_init: true, default_branch: 'main' });
    const label = await gitea.api<{ id: number }>('POST', `/repos/${owner}/shop/labels`, {
      name: 'preview',
      color: '#00aabb',
    });
    const open = async (
      branch: string,
      labels: number[],
    ): Promise<{ number: number; head: { sha: string } }> => {
      await gitea.api('POST', `/repos/${owner}/shop/branches`, {
        new_branch_name: branch,
        old_branch_name: 'main',
      });
      await gitea.api('POST', `/repos/${owner}/shop/contents/${branch}.txt`, {
        content: Buffer.from(branch).toString('base64'),
        branch,
        message: `add ${branch}`,
      });
      return gitea.api('POST', `/repos/${owner}/shop/pulls`, {
        head: branch,
        base: 'main',
        title: `Change ${branch}`,
        labels,
      });
    };
    const wanted = await open('Feature/New-Checkout', [label.id]);
    await open('chore-deps', []);
    await hub.admin.create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'gitea-token', namespace: ns },
      stringData: { token: gitea.admin.token },
    });
    await hub.admin.create({
      apiVersion: API_VERSION,
      kind: 'ApplicationSet',
      metadata: { name: 'previews', namespace: ns },
      spec: {
        generators: [
          {
            pullRequest: {
              gitea: {
                owner,
                repo: 'shop',
                api: gitea.url,
                tokenRef: { secretName: 'gitea-token', key: 'token' },
              },
              labels: ['preview'],
            },
          },
        ],
        template: {
          metadata: { name: 'preview-{{number}}' },
          spec: {
            source: { repoURL: `${gitea.url}/${owner}/shop.git`, targetRevision: '{{head_sha}}', path: '.' },
            destination: { namespace: 'preview-{{branch_slug}}' },
          },
        },
      },
    } as KubeObject);
    const apps = async (): Promise<Application[]> =>
      (
        await hub.admin.list<Application>(API_VERSION, 'Application', {
          namespace: ns,
          labelSelector: 'gitfleet.dev/applicationset=previews',
        })
      ).items.filter((a) => !a.metadata.deletionTimestamp);
    const made = await waitFor(
      'one preview app',
      async () => {
        const list = await apps();
        return list.length === 1 && list;
      },
      { timeoutMs: 30_000 },
    );
    expect(made[0]?.metadata.name).toBe(`preview-${wanted.number}`);
    expect(made[0]?.spec.source.targetRevision).toBe(wanted.head.sha);
    expect(made[0]?.spec.destination.namespace).toBe('preview-feature-new-checkout');

    await gitea.api('PATCH', `/repos/${owner}/shop/pulls/${wanted.number}`, { state: 'closed' });
    await waitFor('preview app removed after the PR closed', async () => (await apps()).length === 0, {
      timeoutMs: 30_000,
    });
  });
});
