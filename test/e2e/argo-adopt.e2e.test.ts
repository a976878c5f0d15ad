import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_VERSION, type Application } from '../../src/api/application.js';
import type { KubeObject } from '../../src/kube/index.js';
import { createNamespace, uniqueName, type ClusterHandle } from '../harness/context.js';
import { startTenant, type Tenant } from '../harness/tenant.js';
import { waitFor } from '../harness/wait.js';

// Adoption of live objects (issue 21): objects Argo CD or Flux deployed exist first; an
// Application of the same name takes them over in place (same UIDs, the Deployment's generation,
// ReplicaSet and Pods untouched) and an object another Argo CD app tracks is refused and left alone.

let tenant: Tenant;
let hub: ClusterHandle;

beforeAll(async () => {
  tenant = await startTenant('argo-adopt');
  ({ hub } = tenant);
});

afterAll(() => {
  tenant?.stop();
});

const deployment = (
  ns: string,
  marks: { labels?: Record<string, string>; annotations?: Record<string, string> },
) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: ns, ...marks },
  spec: {
    replicas: 2,
    selector: { matchLabels: { app: 'web' } },
    template: {
      metadata: { labels: { app: 'web' } },
      spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] },
    },
  },
});
const configMap = (
  ns: string,
  name: string,
  marks: { labels?: Record<string, string>; annotations?: Record<string, string> },
) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: ns, ...marks },
  data: { color: 'blue' },
});
const service = (ns: string, marks: { labels?: Record<string, string> }) => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'web', namespace: ns, ...marks },
  spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] },
});
/** The manifest as Git has it: without another tool's marks. */
const plain = (o: { metadata: Record<string, unknown> }): Record<string, unknown> => {
  const { labels: _l, annotations: _a, namespace: _n, ...metadata } = o.metadata;
  return { ...o, metadata };
};
const yaml = (objs: unknown[]): string => objs.map((o) => JSON.stringify(o)).join('\n---\n') + '\n';

async function createApp(name: string, repo: string, destNs: string): Promise<void> {
  await hub.admin.create({
    apiVersion: API_VERSION,
    kind: 'Application',
    metadata: { name, namespace: tenant.ns },
    spec: {
      project: tenant.project,
      source: {
        repoURL: tenant.fleet.git.repoUrl(repo),
        secretRef: { name: tenant.credentials },
        path: 'app',
      },
      destination: { namespace: destNs },
      syncPolicy: { automated: { prune: true, selfHeal: true } },
    },
  } as KubeObject);
}

describe('adoption of objects Argo CD and Flux deployed', () => {
  it('takes over objects tracked for the same app in place, and refuses those of another app', async () => {
    const destNs = await createNamespace(hub.admin, 'argo-adopt-dest');
    const app = uniqueName('shop');
    const deploy = deployment(destNs, {
      labels: { 'app.kubernetes.io/instance': app },
      annotations: { 'argocd.argoproj.io/tracking-id': `${app}:apps/Deployment:${destNs}/web` },
    });
    const cm = configMap(destNs, 'settings', { labels: { 'app.kubernetes.io/instance': app } });
    const svc = service(destNs, {
      labels: {
        'kustomize.toolkit.fluxcd.io/name': app,
        'kustomize.toolkit.fluxcd.io/namespace': 'flux-system',
      },
    });
    const foreign = configMap(destNs, 'billing-settings', {
      annotations: { 'argocd.argoproj.io/tracking-id': `billing:/ConfigMap:${destNs}/billing-settings` },
    });
    // As Argo CD / Flux left them: applied by their own field managers.
    for (const o of [deploy, cm, svc, foreign])
      await hub.admin.apply(o as KubeObject, { fieldManager: 'argocd-controller' });
    const pods = await waitFor(
      "the Deployment's Pods",
      async () => {
        const list = await hub.admin.list('v1', 'Pod', { namespace: destNs });
        return list.items.length === 2 ? list.items : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 300 },
    );
    const ref = (kind: string, apiVersion: string, name: string) => ({
      apiVersion,
      kind,
      namespace: destNs,
      name,
    });
    const before = {
      deploy: await hub.admin.get(ref('Deployment', 'apps/v1', 'web')),
      cm: await hub.admin.get(ref('ConfigMap', 'v1', 'settings')),
      svc: await hub.admin.get(ref('Service', 'v1', 'web')),
      foreign: await hub.admin.get(ref('ConfigMap', 'v1', 'billing-settings')),
      rs: (await hub.admin.list('apps/v1', 'ReplicaSet', { namespace: destNs })).items,
    };
    expect(before.rs).toHaveLength(1);

    const repo = uniqueName('argo-adopt-repo');
    await tenant.fleet.git.createRepo(repo);
    await tenant.fleet.git.commit(repo, { 'app/all.yaml': yaml([deploy, cm, svc].map(plain)) });
    await createApp(app, repo, destNs);
    const synced = await waitFor(
      'the app Synced',
      async () => {
        const a = await tenant.getApp(app);
        return a.status?.sync?.status === 'Synced' && a.status.operationState?.phase === 'Succeeded'
          ? a
          : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 500 },
    );
    expect(synced.status?.resources?.map((r) => `${r.kind}/${r.name}`).sort()).toEqual([
      'ConfigMap/settings',
      'Deployment/web',
      'Service/web',
    ]);
    for (const key of ['deploy', 'cm', 'svc'] as const) {
      const o = before[key];
      const after = await hub.admin.get(ref(o.kind, o.apiVersion, o.metadata.name));
      expect(after.metadata.uid, `${o.kind} kept its UID`).toBe(o.metadata.uid);
      expect(after.metadata.annotations?.['gitfleet.dev/owner']).toBe(`${tenant.ns}/${app}`);
    }
    const deployAfter = await hub.admin.get(ref('Deployment', 'apps/v1', 'web'));
    // The spec is untouched and no rollout happened: same template, same revision, same ReplicaSet
    // (the Pods' owner) at the same generation. The Deployment's own generation moves by one: the
    // apiserver counts an annotation change on a Deployment as a new generation (the owner
    // annotation), which starts no rollout.
    expect(deployAfter.spec).toEqual(before.deploy.spec);
    expect(deployAfter.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('1');
    expect(deployAfter.metadata.generation).toBe(Number(before.deploy.metadata.generation) + 1);
    const rsAfter = (await hub.admin.list('apps/v1', 'ReplicaSet', { namespace: destNs })).items;
    const rsShape = (l: KubeObject[]): string[] => l.map((r) => `${r.metadata.uid}@${r.metadata.generation}`);
    expect(rsShape(rsAfter)).toEqual(rsShape(before.rs));
    const podsAfter = (await hub.admin.list('v1', 'Pod', { namespace: destNs })).items;
    const podOwners = (list: KubeObject[]): string[] =>
      list
        .map(
          (p) =>
            `${p.metadata.uid} <- ${(p.metadata.ownerReferences as { uid: string }[] | undefined)?.[0]?.uid}`,
        )
        .sort();
    expect(podOwners(podsAfter)).toEqual(podOwners(pods));
    expect(podOwners(pods)[0]).toContain(String(before.rs[0]?.metadata.uid));

    // A second app declaring the ConfigMap Argo CD tracks for `billing`: refused, left as it was.
    const intruder = uniqueName('intruder');
    const repo2 = uniqueName('argo-adopt-repo');
    await tenant.fleet.git.createRepo(repo2);
    await tenant.fleet.git.commit(repo2, {
      'app/cm.yaml': yaml([{ ...plain(foreign), data: { color: 'red' } }]),
    });
    await createApp(intruder, repo2, destNs);
    const refused = await waitFor(
      'the intruder refused',
      async () => {
        const a: Application = await tenant.getApp(intruder);
        return a.status?.operationState?.phase === 'Failed' ? a : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 500 },
    );
    expect(JSON.stringify(refused.status?.operationState)).toContain('billing');
    const foreignAfter = await hub.admin.get(ref('ConfigMap', 'v1', 'billing-settings'));
    expect(foreignAfter.metadata.resourceVersion).toBe(before.foreign.metadata.resourceVersion);
    expect(foreignAfter.metadata.annotations?.['gitfleet.dev/owner']).toBeUndefined();
  });
});
