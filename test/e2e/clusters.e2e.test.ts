import { describe, expect, it } from 'vitest';
import { KubeApiError, type KubeObject } from '../../src/kube/index.js';
import { conditionTrue } from '../harness/cluster.js';
import { createNamespace, serviceAccountClient, testFleet, type ClusterHandle } from '../harness/context.js';
import { waitFor } from '../harness/wait.js';

function deployment(ns: string, name: string, replicas: number): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: ns },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'app', image: 'nginx:1.27' }] },
      },
    },
  };
}

async function podsOf(c: ClusterHandle, ns: string, app: string): Promise<KubeObject[]> {
  return (await c.admin.list('v1', 'Pod', { namespace: ns, labelSelector: `app=${app}` })).items;
}

describe('test clusters', () => {
  it('roll a Deployment out to Available with Ready Pods on two different clusters', async () => {
    const { clusters } = await testFleet();
    expect(clusters.length).toBeGreaterThanOrEqual(2);
    const [a, b] = clusters as [ClusterHandle, ClusterHandle];
    expect(a.server).not.toBe(b.server);

    await Promise.all(
      [a, b].map(async (c) => {
        const ns = await createNamespace(c.admin, 'rollout');
        await c.admin.apply(deployment(ns, 'web', 3), { fieldManager: 'gitfleet-test' });
        const live = await waitFor(
          `${c.name}: Deployment web Available`,
          async () => {
            const d = await c.admin.get({
              apiVersion: 'apps/v1',
              kind: 'Deployment',
              namespace: ns,
              name: 'web',
            });
            return (
              conditionTrue(d, 'Available') &&
              (d.status as { readyReplicas?: number }).readyReplicas === 3 &&
              d
            );
          },
          { timeoutMs: 60_000 },
        );
        expect((live.status as { availableReplicas?: number }).availableReplicas).toBe(3);
        const pods = await podsOf(c, ns, 'web');
        expect(pods).toHaveLength(3);
        for (const p of pods) {
          expect(conditionTrue(p, 'Ready')).toBe(true);
          expect((p.spec as { nodeName?: string }).nodeName).toMatch(new RegExp(`^kwok-${c.name}-`));
        }
      }),
    );
  });

  it('run a Job to completion', async () => {
    const { clusters } = await testFleet();
    const c = clusters[0] as ClusterHandle;
    const ns = await createNamespace(c.admin, 'job');
    await c.admin.create({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'once', namespace: ns },
      spec: {
        template: {
          spec: {
            restartPolicy: 'Never',
            containers: [{ name: 'run', image: 'busybox', command: ['true'] }],
          },
        },
      },
    });
    const job = await waitFor(
      'Job once Complete',
      async () => {
        const j = await c.admin.get({ apiVersion: 'batch/v1', kind: 'Job', namespace: ns, name: 'once' });
        return conditionTrue(j, 'Complete') && j;
      },
      { timeoutMs: 60_000 },
    );
    expect((job.status as { succeeded?: number }).succeeded).toBe(1);
  });

  it('refuse an apply by a ServiceAccount without RBAC, and allow it once a Role grants it', async () => {
    const { clusters } = await testFleet();
    const c = clusters[0] as ClusterHandle;
    const ns = await createNamespace(c.admin, 'rbac');
    await c.admin.create({
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'deployer', namespace: ns },
    });
    const sa = await serviceAccountClient(c, ns, 'deployer');
    const cm: KubeObject = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'settings', namespace: ns },
      data: { a: '1' },
    };

    const refused = await sa.apply(cm, { fieldManager: 'gitfleet-test' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(KubeApiError);
    expect((refused as KubeApiError).status).toBe(403);
    expect((refused as KubeApiError).message).toContain(`system:serviceaccount:${ns}:deployer`);
    expect(
      await c.admin.getOrUndefined({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'settings' }),
    ).toBeUndefined();

    await c.admin.create({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'configmaps', namespace: ns },
      rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'patch', 'create'] }],
    });
    await c.admin.create({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'deployer', namespace: ns },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'configmaps' },
      subjects: [{ kind: 'ServiceAccount', name: 'deployer', namespace: ns }],
    });
    const applied = await waitFor('the RoleBinding to take effect', () =>
      sa.apply(cm, { fieldManager: 'gitfleet-test' }),
    );
    expect(applied.data).toEqual({ a: '1' });
    sa.close();
  });
});
