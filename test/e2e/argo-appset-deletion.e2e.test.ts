import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_VERSION, type Application } from '../../src/api/application.js';
import type { ApplicationSet } from '../../src/api/applicationset.js';
import { installCrds } from '../../src/cli/commands/install.js';
import type { KubeObject } from '../../src/kube/index.js';
import {
  createNamespace,
  testFleet,
  uniqueName,
  type ClusterHandle,
  type TestFleet,
} from '../harness/context.js';
import { startControllers, type TestControllers } from '../harness/controllers.js';
import { waitFor } from '../harness/wait.js';

// Argo CD's RollingSync `deletionOrder: Reverse` through the real controllers and apiserver
// (issue 21): deleting the ApplicationSet removes its Applications last step first, and a step's
// deletion starts only once every Application of the later steps is gone.

let fleet: TestFleet;
let hub: ClusterHandle;
let ns: string;
let controllers: TestControllers;
const cacheDir = mkdtempSync(join(tmpdir(), 'gitfleet-argo-appset-deletion-'));

beforeAll(async () => {
  fleet = await testFleet();
  hub = fleet.clusters[0] as ClusterHandle;
  await installCrds(hub.admin);
  ns = await createNamespace(hub.admin, 'argo-appset-del');
  controllers = await startControllers({
    kubeconfig: hub.kubeconfig,
    namespace: ns,
    cacheDir,
    apps: true,
    appsets: true,
    pollIntervalMs: 1000,
    fetchIntervalMs: 500,
  });
});

afterAll(() => {
  controllers?.stop();
  rmSync(cacheDir, { recursive: true, force: true });
});

const getApp = (name: string): Promise<Application | undefined> =>
  hub.admin.getOrUndefined<Application>({
    apiVersion: API_VERSION,
    kind: 'Application',
    namespace: ns,
    name,
  });

describe('Argo CD RollingSync deletionOrder: Reverse', () => {
  it('deleting the ApplicationSet deletes the last step first, then the first', async () => {
    const repo = uniqueName('del-repo');
    await fleet.git.createRepo(repo);
    await fleet.git.commit(repo, {
      'app/cm.yaml': JSON.stringify({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'v' },
        data: {},
      }),
    });
    await hub.admin.create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'del-repo', namespace: ns },
      stringData: { username: fleet.git.info.admin.username, password: fleet.git.info.admin.password },
    });
    const p = uniqueName('rev');
    const elements = [
      { app: `${p}-dev`, env: 'env-dev' },
      { app: `${p}-prod-a`, env: 'env-prod' },
      { app: `${p}-prod-b`, env: 'env-prod' },
    ];
    const set = uniqueName('reverse');
    await hub.admin.create({
      apiVersion: API_VERSION,
      kind: 'ApplicationSet',
      metadata: { name: set, namespace: ns },
      spec: {
        goTemplate: true,
        generators: [{ list: { elements } }],
        strategy: {
          type: 'RollingSync',
          deletionOrder: 'Reverse',
          rollingSync: {
            steps: [
              { matchExpressions: [{ key: 'envLabel', operator: 'In', values: ['env-dev'] }] },
              { matchExpressions: [{ key: 'envLabel', operator: 'In', values: ['env-prod'] }] },
            ],
          },
        },
        template: {
          metadata: { name: '{{.app}}', labels: { envLabel: '{{.env}}' } },
          spec: {
            source: {
              repoURL: fleet.git.repoUrl(repo),
              targetRevision: 'main',
              path: 'app',
              secretRef: { name: 'del-repo' },
            },
            destination: { name: 'in-cluster', namespace: '{{.app}}' },
            syncPolicy: { automated: { prune: true }, syncOptions: ['CreateNamespace=true'] },
          },
        },
      },
    } as KubeObject);
    await waitFor(
      'three Applications and the finalizer on the set',
      async () => {
        const apps = await Promise.all(elements.map((e) => getApp(e.app)));
        const s = await hub.admin.get<ApplicationSet>({
          apiVersion: API_VERSION,
          kind: 'ApplicationSet',
          namespace: ns,
          name: set,
        });
        return apps.every(Boolean) && (s.metadata.finalizers ?? []).length > 0;
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );
    await hub.admin.delete({ apiVersion: API_VERSION, kind: 'ApplicationSet', namespace: ns, name: set });
    // Watch the order: when the dev Application's deletion starts, no prod one may remain.
    const seen: string[] = [];
    await waitFor(
      'every Application deleted',
      async () => {
        const [dev, ...prod] = await Promise.all(elements.map((e) => getApp(e.app)));
        if (dev?.metadata.deletionTimestamp || !dev) {
          if (!seen.includes('dev deleting')) seen.push('dev deleting');
          if (prod.some(Boolean)) seen.push(`prod still present: ${prod.filter(Boolean).length}`);
        }
        if (prod.every((a) => !a) && !seen.includes('prod gone')) seen.push('prod gone');
        return !dev && prod.every((a) => !a);
      },
      { timeoutMs: 90_000, intervalMs: 100 },
    );
    expect(seen).toEqual(['prod gone', 'dev deleting']);
    await waitFor(
      'the ApplicationSet gone once its Applications are',
      async () =>
        !(await hub.admin.getOrUndefined({
          apiVersion: API_VERSION,
          kind: 'ApplicationSet',
          namespace: ns,
          name: set,
        })),
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    // Each wait above has its own timeout; on a loaded machine the test may take their sum.
  }, 240_000);
});
