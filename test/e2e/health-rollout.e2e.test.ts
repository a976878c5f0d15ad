import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_VERSION } from '../../src/api/application.js';
import type { ApplicationSet } from '../../src/api/applicationset.js';
import { FLEET_NAMESPACE } from '../../src/api/cluster.js';
import { installCrds } from '../../src/cli/commands/install.js';
import { registerCluster } from '../../src/controllers/cluster/register.js';
import { assessHealth } from '../../src/engine/health/index.js';
import { loadConnection, type KubeObject } from '../../src/kube/index.js';
import {
  createNamespace,
  testFleet,
  uniqueName,
  type ClusterHandle,
  type TestFleet,
} from '../harness/context.js';
import { startControllers, type TestControllers } from '../harness/controllers.js';
import { waitFor } from '../harness/wait.js';

// Issue 17: custom health in CEL gates a fleet roll-out. A kind gitfleet knows nothing about
// (Widget, a CRD made here) is judged by its Project's healthCheckExprs; a revision whose Widget
// the rule calls failed is Degraded on the first step's cluster, so the roll-out halts and the
// second step never receives it.

let fleet: TestFleet;
let hub: ClusterHandle;
let ns: string;
let controllers: TestControllers;
const cacheDir = mkdtempSync(join(tmpdir(), 'gitfleet-health-rollout-'));

const CRD = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'widgets.e2e.gitfleet.dev' },
  spec: {
    group: 'e2e.gitfleet.dev',
    names: { kind: 'Widget', plural: 'widgets', singular: 'widget', listKind: 'WidgetList' },
    scope: 'Namespaced',
    // No status subresource: the Widget's state comes from Git, as a stand-in for its operator.
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
      },
    ],
  },
};

const widget = (state: string): Record<string, string> => ({
  // The spec changes with the state: a revision that differs only in status is no change to apply
  // (status is not compared), so the stand-in operator's verdict travels with a spec change.
  'app/widget.yaml': `apiVersion: e2e.gitfleet.dev/v1\nkind: Widget\nmetadata: { name: w }\nspec: { revision: ${state} }\nstatus: { state: ${state} }\n`,
});

beforeAll(async () => {
  fleet = await testFleet();
  hub = fleet.clusters[0] as ClusterHandle;
  await installCrds(hub.admin);
  await hub.admin.apply(
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: FLEET_NAMESPACE } },
    { fieldManager: 'test' },
  );
  await hub.admin.apply(CRD as KubeObject, { fieldManager: 'health-rollout', force: true });
  await waitFor(
    'Widget CRD established',
    async () =>
      assessHealth(
        await hub.admin.get<KubeObject>({
          apiVersion: CRD.apiVersion,
          kind: CRD.kind,
          name: CRD.metadata.name,
        }),
      )?.status === 'Healthy',
    { timeoutMs: 60_000, intervalMs: 300 },
  );
  hub.admin.invalidateDiscovery();
  ns = await createNamespace(hub.admin, 'health-rollout');
  controllers = await startControllers({
    kubeconfig: hub.kubeconfig,
    namespace: ns,
    cacheDir,
    apps: true,
    appsets: true,
    pollIntervalMs: 1000,
    fetchIntervalMs: 500,
  });
}, 180_000);

afterAll(() => {
  controllers?.stop();
  rmSync(cacheDir, { recursive: true, force: true });
});

describe('CEL health gates a roll-out', () => {
  it("a Project's CEL rule marks a custom kind Degraded and halts the roll-out: the second step never starts", async () => {
    const mark = uniqueName('celroll');
    const names = { one: uniqueName('one'), two: uniqueName('two') };
    for (const step of ['one', 'two'] as const) {
      await registerCluster(hub.admin, {
        name: names[step],
        connection: await loadConnection({ file: hub.kubeconfig }),
        labels: { roll: mark, step },
      });
    }
    const project = uniqueName('celroll-proj');
    await hub.admin.create({
      apiVersion: API_VERSION,
      kind: 'Project',
      metadata: { name: project, namespace: FLEET_NAMESPACE },
      spec: {
        sourceNamespaces: [ns],
        sourceRepos: [`${fleet.git.info.url}/*`],
        destinations: [{ cluster: '*', namespace: '*' }],
        clusterResourceWhitelist: [{ group: '', kind: 'Namespace' }],
        healthCheckExprs: [
          {
            apiVersion: 'e2e.gitfleet.dev/v1',
            kind: 'Widget',
            failed: "status.?state.orValue('') == 'Broken'",
            current: "status.?state.orValue('') == 'Ready'",
          },
        ],
      },
    } as KubeObject);
    const repo = uniqueName('widgets');
    await fleet.git.createRepo(repo);
    await fleet.git.commit(repo, widget('Ready'));
    await hub.admin.create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'repo', namespace: ns },
      stringData: { username: fleet.git.info.admin.username, password: fleet.git.info.admin.password },
    });
    await hub.admin.create({
      apiVersion: API_VERSION,
      kind: 'ApplicationSet',
      metadata: { name: 'widgets', namespace: ns },
      spec: {
        generators: [{ clusters: { selector: { matchLabels: { roll: mark } } } }],
        template: {
          metadata: { name: 'w-{{metadata.labels.step}}' },
          spec: {
            project,
            source: {
              repoURL: fleet.git.repoUrl(repo),
              targetRevision: 'main',
              path: 'app',
              secretRef: { name: 'repo' },
            },
            destination: { name: '{{name}}', namespace: '{{name}}' },
            syncPolicy: {
              automated: { prune: true, selfHeal: true },
              syncOptions: ['CreateNamespace=true'],
              retry: { limit: 0 },
            },
          },
        },
        strategy: {
          type: 'RollingSync',
          rollingSync: {
            steps: [
              { clusterSelector: { matchLabels: { step: 'one' } } },
              { clusterSelector: { matchLabels: { step: 'two' } } },
            ],
          },
        },
      },
    } as KubeObject);
    const set = (): Promise<ApplicationSet> =>
      hub.admin.get<ApplicationSet>({
        apiVersion: API_VERSION,
        kind: 'ApplicationSet',
        namespace: ns,
        name: 'widgets',
      });
    const state = async (step: 'one' | 'two'): Promise<string | undefined> => {
      const w = await hub.admin.getOrUndefined<KubeObject & { status?: { state?: string } }>({
        apiVersion: 'e2e.gitfleet.dev/v1',
        kind: 'Widget',
        namespace: names[step],
        name: 'w',
      });
      return w?.status?.state;
    };
    await waitFor(
      'Ready Widgets on both steps',
      async () => (await state('one')) === 'Ready' && (await state('two')) === 'Ready',
      { timeoutMs: 90_000, intervalMs: 300 },
    );

    await fleet.git.commit(repo, widget('Broken'));
    const halted = await waitFor(
      'roll-out halted on step one',
      async () => {
        const s = await set();
        return s.status?.rollout?.phase === 'Halted' && s;
      },
      { timeoutMs: 90_000, intervalMs: 300 },
    );
    expect(halted.status?.rollout?.message).toContain(names.one);
    expect(halted.status?.rollout?.message).toContain('Widget');
    expect(await state('one')).toBe('Broken');
    expect(await state('two')).toBe('Ready');
    const appOne = await hub.admin.get<KubeObject & { status?: { health?: { status?: string } } }>({
      apiVersion: API_VERSION,
      kind: 'Application',
      namespace: ns,
      name: 'w-one',
    });
    expect(appOne.status?.health?.status).toBe('Degraded');
  }, 300_000);
});
