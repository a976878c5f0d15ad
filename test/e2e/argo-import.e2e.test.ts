import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { FLEET_NAMESPACE } from '../../src/api/cluster.js';
import { importArgoCdCommand } from '../../src/cli/commands/import-argocd.js';
import type { KubeObject } from '../../src/kube/index.js';
import { createNamespace, uniqueName, type ClusterHandle } from '../harness/context.js';
import { startTenant, type Tenant } from '../harness/tenant.js';
import { waitFor } from '../harness/wait.js';

// `gitfleet import argocd` (issue 21) against an Argo CD installation written into a harness
// cluster as Argo writes it (its CRs and labelled Secrets, objects it deployed carrying its
// tracking ids): the imported Application syncs and adopts those objects with no change to them.

let tenant: Tenant;
let hub: ClusterHandle;

/** Argo CD's three CRDs, as plain test data: the kinds and scope, no schema (Argo's are huge). */
const argoCrd = (plural: string, kind: string): KubeObject =>
  ({
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.argoproj.io` },
    spec: {
      group: 'argoproj.io',
      scope: 'Namespaced',
      names: { plural, singular: kind.toLowerCase(), kind, listKind: `${kind}List` },
      versions: [
        {
          name: 'v1alpha1',
          served: true,
          storage: true,
          schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
        },
      ],
    },
  }) as KubeObject;

beforeAll(async () => {
  tenant = await startTenant('argo-import');
  ({ hub } = tenant);
  for (const [plural, kind] of [
    ['applications', 'Application'],
    ['applicationsets', 'ApplicationSet'],
    ['appprojects', 'AppProject'],
  ] as const)
    await hub.admin.apply(argoCrd(plural, kind), { fieldManager: 'test' });
  // A new CRD's storage answers "(re)initializing" for a moment: wait until each kind lists.
  for (const kind of ['Application', 'ApplicationSet', 'AppProject'])
    await waitFor(
      `${kind} served`,
      () =>
        hub.admin.list('argoproj.io/v1alpha1', kind).then(
          () => true,
          () => (hub.admin.invalidateDiscovery(), false),
        ),
      { timeoutMs: 30_000, intervalMs: 200 },
    );
});

afterAll(() => {
  tenant?.stop();
});

describe('gitfleet import argocd', () => {
  it('imports an install from its cluster; the app syncs with zero changes to the objects Argo CD deployed', async () => {
    const argoNs = await createNamespace(hub.admin, 'argocd');
    const destNs = await createNamespace(hub.admin, 'argo-import-dest');
    const app = uniqueName('shop');
    const project = uniqueName('team');
    const repo = uniqueName('argo-import-repo');
    const repoURL = await tenant.fleet.git.createRepo(repo);
    const deploy = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web' },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] },
        },
      },
    };
    const cm = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'settings' },
      data: { color: 'blue' },
    };
    await tenant.fleet.git.commit(repo, {
      'app/all.yaml': `${JSON.stringify(deploy)}\n---\n${JSON.stringify(cm)}\n`,
    });

    // What Argo CD left in the cluster: its objects with tracking ids, applied by its manager.
    const live: KubeObject[] = [];
    for (const o of [deploy, cm]) {
      const group = o.apiVersion.includes('/') ? o.apiVersion.split('/')[0] : '';
      const tracked = {
        ...o,
        metadata: {
          ...o.metadata,
          namespace: destNs,
          annotations: {
            'argocd.argoproj.io/tracking-id': `${app}:${group}/${o.kind}:${destNs}/${o.metadata.name}`,
          },
        },
      };
      live.push(await hub.admin.apply(tracked as KubeObject, { fieldManager: 'argocd-controller' }));
    }
    await waitFor(
      'the Pod',
      async () => (await hub.admin.list('v1', 'Pod', { namespace: destNs })).items.length === 1,
      { timeoutMs: 60_000, intervalMs: 300 },
    );
    const rsBefore = (await hub.admin.list('apps/v1', 'ReplicaSet', { namespace: destNs })).items;
    // The installation itself: AppProject, repository Secret, Applications (one Argo-only).
    const argoObjects = [
      {
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'AppProject',
        metadata: { name: project, namespace: argoNs },
        spec: {
          // Argo CD's informational description: the Project CRD keeps it.
          description: 'shop team',
          sourceRepos: [`${tenant.fleet.git.info.url}/*`],
          destinations: [{ server: 'https://kubernetes.default.svc', namespace: destNs }],
        },
      },
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: {
          name: uniqueName('repo'),
          namespace: argoNs,
          labels: { 'argocd.argoproj.io/secret-type': 'repository' },
        },
        stringData: {
          type: 'git',
          url: repoURL,
          username: tenant.fleet.git.info.admin.username,
          password: tenant.fleet.git.info.admin.password,
        },
      },
      {
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'Application',
        metadata: { name: app, namespace: argoNs, finalizers: ['resources-finalizer.argocd.argoproj.io'] },
        spec: {
          project,
          source: { repoURL, targetRevision: 'HEAD', path: 'app' },
          destination: { server: 'https://kubernetes.default.svc', namespace: destNs },
          syncPolicy: { automated: { prune: true, selfHeal: true }, syncOptions: ['CreateNamespace=true'] },
        },
        status: {},
      },
      {
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'Application',
        metadata: { name: 'with-plugin', namespace: argoNs },
        spec: {
          project,
          source: { repoURL, path: 'app', plugin: { name: 'envsubst' } },
          destination: { server: 'https://kubernetes.default.svc', namespace: destNs },
        },
      },
    ];
    for (const o of argoObjects) await hub.admin.create(o as KubeObject);

    const errors: string[] = [];
    const err = vi.spyOn(console, 'error').mockImplementation((m: unknown) => void errors.push(String(m)));
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    let code: number;
    try {
      code = await importArgoCdCommand([
        '--from-kubeconfig',
        hub.kubeconfig,
        '--from-namespace',
        argoNs,
        '--namespace',
        tenant.ns,
        '--apply',
        '--kubeconfig',
        hub.kubeconfig,
      ]);
    } finally {
      err.mockRestore();
      log.mockRestore();
    }
    // The plugin app is named, with its field, and is the only thing left behind.
    expect(code).toBe(2);
    expect(errors.filter((e) => e.startsWith('not carried over'))).toEqual([
      expect.stringMatching(
        new RegExp(`^not carried over: Application ${argoNs}/with-plugin: .*spec\\.source\\.plugin`),
      ),
    ]);
    expect(errors.join('\n')).not.toContain(tenant.fleet.git.info.admin.password);

    const imported = await waitFor(
      'the imported app Synced',
      async () => {
        const a = await tenant.getApp(app);
        return a.status?.sync?.status === 'Synced' && a.status.operationState?.phase === 'Succeeded'
          ? a
          : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 500 },
    );
    expect(imported.spec.project).toBe(project);
    expect(imported.metadata.finalizers).toEqual(['resources-finalizer.argocd.argoproj.io']);
    const projectObj = await hub.admin.get({
      apiVersion: 'gitfleet.dev/v1alpha1',
      kind: 'Project',
      namespace: FLEET_NAMESPACE,
      name: project,
    });
    expect((projectObj as { spec?: { sourceNamespaces?: string[] } }).spec?.sourceNamespaces).toEqual([
      tenant.ns,
    ]);
    for (const before of live) {
      const after = await hub.admin.get({
        apiVersion: before.apiVersion,
        kind: before.kind,
        namespace: destNs,
        name: before.metadata.name,
      });
      expect(after.metadata.uid).toBe(before.metadata.uid);
      expect(after.metadata.annotations?.['gitfleet.dev/owner']).toBe(`${tenant.ns}/${app}`);
      const body = (o: KubeObject): unknown =>
        (o as { spec?: unknown; data?: unknown }).spec ?? (o as { data?: unknown }).data;
      expect(body(after), `${before.kind} unchanged`).toEqual(body(before));
    }
    const rsAfter = (await hub.admin.list('apps/v1', 'ReplicaSet', { namespace: destNs })).items;
    const shape = (l: KubeObject[]): string[] => l.map((r) => `${r.metadata.uid}@${r.metadata.generation}`);
    expect(shape(rsAfter)).toEqual(shape(rsBefore));
    // Its waits (60 s for Argo's objects, 90 s for the import to sync) may add up on a loaded machine.
  }, 240_000);
});
