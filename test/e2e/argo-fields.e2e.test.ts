import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/kube/index.js';
import type { ClusterHandle, TestFleet } from '../harness/context.js';
import { startTenant, type Tenant } from '../harness/tenant.js';
import { waitFor } from '../harness/wait.js';

// Argo CD Application fields through the real CRD, controller, Git server, kustomize, helm and
// apiserver (issue 21): each lands with Argo's meaning, or the app is refused naming the field and
// nothing is applied.

let fleet: TestFleet;
let hub: ClusterHandle;
let ns: string;
let tenant: Tenant;
let getApp: Tenant['getApp'];

beforeAll(async () => {
  tenant = await startTenant('argo-fields');
  ({ fleet, hub, ns, getApp } = tenant);
});

afterAll(() => {
  tenant?.stop();
});

/** The fields of a rendered Deployment these tests read. */
interface DeployShape {
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec: {
    replicas: number;
    selector: { matchLabels: Record<string, string> };
    template: { spec: { containers: { image: string; envFrom: { configMapRef: { name: string } }[] }[] } };
  };
}
type Obj = KubeObject & { data?: Record<string, string>; spec?: DeployShape['spec'] };
const get = (kind: string, apiVersion: string, namespace: string, name: string): Promise<Obj | undefined> =>
  hub.admin.getOrUndefined({ apiVersion, kind, namespace, name }) as Promise<Obj | undefined>;

const DEPLOY = `apiVersion: apps/v1
kind: Deployment
metadata: { name: web }
spec:
  replicas: 1
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      containers:
        - name: web
          image: nginx:1.25
          envFrom: [{ configMapRef: { name: settings } }]
`;

describe('Argo CD source.kustomize', () => {
  it('namePrefix, images, commonLabels and replicas land as Argo CD would render them', async () => {
    const a = await tenant.createApp(
      {
        'app/kustomization.yaml': 'resources: [deploy.yaml, cm.yaml]\n',
        'app/deploy.yaml': DEPLOY,
        'app/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: settings }\ndata: { a: "1" }\n',
      },
      {
        path: 'app',
        kustomize: {
          namePrefix: 'prod-',
          images: ['nginx=registry.example/nginx:1.27'],
          commonLabels: { team: 'blue' },
          replicas: [{ name: 'web', count: 2 }],
        },
      },
    );
    const deploy = await waitFor(
      'prod-web applied',
      () => get('Deployment', 'apps/v1', a.destNs, 'prod-web'),
      { timeoutMs: 90_000, intervalMs: 500 },
    );
    expect(deploy.metadata.labels?.team).toBe('blue');
    expect(deploy.spec?.selector.matchLabels).toEqual({ app: 'web', team: 'blue' });
    expect(deploy.spec?.replicas).toBe(2);
    const container = deploy.spec?.template.spec.containers[0];
    expect(container?.image).toBe('registry.example/nginx:1.27');
    // The reference follows the renamed ConfigMap, as kustomize does for Argo CD.
    expect(container?.envFrom[0]?.configMapRef.name).toBe('prod-settings');
    const cm = await get('ConfigMap', 'v1', a.destNs, 'prod-settings');
    expect(cm?.metadata.labels?.team).toBe('blue');
    expect(await get('Deployment', 'apps/v1', a.destNs, 'web')).toBeUndefined();
  });
});

describe('Argo CD source.helm', () => {
  it('parameters land with their values and the release is named after the Application', async () => {
    const a = await tenant.createApp(
      {
        'charts/web/Chart.yaml': 'apiVersion: v2\nname: web\nversion: 0.1.0\n',
        'charts/web/values.yaml': 'color: blue\nreplicas: 1\n',
        'charts/web/templates/cm.yaml':
          'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-settings\ndata:\n' +
          '  color: {{ .Values.color | quote }}\n  replicas: {{ .Values.replicas | toJson | quote }}\n' +
          '  release: {{ .Release.Name }}\n',
      },
      {
        path: 'charts/web',
        helm: {
          parameters: [
            { name: 'color', value: 'green' },
            { name: 'replicas', value: '3' },
          ],
        },
      },
    );
    const cm = await waitFor(
      'the release ConfigMap',
      () => get('ConfigMap', 'v1', a.destNs, `${a.name}-settings`),
      { timeoutMs: 90_000, intervalMs: 500 },
    );
    expect(cm.data).toEqual({ color: 'green', replicas: '3', release: a.name });
    // Not the chart folder's name, which gitfleet used before.
    expect(await get('ConfigMap', 'v1', a.destNs, 'web-settings')).toBeUndefined();
  });
});

describe('Argo CD syncOptions', () => {
  it('RespectIgnoreDifferences=true: an ignored field keeps its live value when a new commit is synced', async () => {
    const cmFile = (a: string, extra = ''): string =>
      `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: tuned }\ndata: { a: "${a}"${extra} }\n`;
    const a = await tenant.createApp(
      { 'app/cm.yaml': cmFile('git1') },
      { path: 'app' },
      {
        syncPolicy: { automated: { prune: true }, syncOptions: ['RespectIgnoreDifferences=true'] },
        ignoreDifferences: [{ kind: 'ConfigMap', name: 'tuned', jsonPointers: ['/data/a'] }],
      },
    );
    await waitFor('first sync', () => get('ConfigMap', 'v1', a.destNs, 'tuned'), { timeoutMs: 90_000 });
    // Someone (an operator, an HPA-like controller) owns /data/a in the cluster from now on.
    await hub.admin.request({
      method: 'PATCH',
      path: `/api/v1/namespaces/${a.destNs}/configmaps/tuned`,
      body: { data: { a: 'hand' } },
      contentType: 'application/merge-patch+json',
    });
    await fleet.git.commit(a.repo, { 'app/cm.yaml': cmFile('git2', ', b: "new"') });
    const cm = await waitFor(
      'the new commit applied',
      async () => {
        const c = await get('ConfigMap', 'v1', a.destNs, 'tuned');
        return c?.data?.b === 'new' ? c : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 500 },
    );
    expect(cm.data).toEqual({ a: 'hand', b: 'new' });
  });
});

describe('Argo CD syncOptions: Replace and PrunePropagationPolicy', () => {
  it('Replace=true replaces existing objects (an Update, not an Apply, by gitfleet)', async () => {
    const cmFile = (v: string): string =>
      `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: replaced }\ndata: { v: "${v}" }\n`;
    const a = await tenant.createApp(
      { 'app/cm.yaml': cmFile('1') },
      { path: 'app' },
      { syncPolicy: { automated: { prune: true }, syncOptions: ['Replace=true'] } },
    );
    await waitFor('first sync', () => get('ConfigMap', 'v1', a.destNs, 'replaced'), { timeoutMs: 90_000 });
    await fleet.git.commit(a.repo, { 'app/cm.yaml': cmFile('2') });
    const cm = await waitFor(
      'v=2',
      async () => {
        const c = await get('ConfigMap', 'v1', a.destNs, 'replaced');
        return c?.data?.v === '2' ? c : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 500 },
    );
    const managers = (cm.metadata.managedFields ?? []) as { manager?: string; operation?: string }[];
    expect(managers.some((m) => m.manager === 'gitfleet' && m.operation === 'Update')).toBe(true);
  });

  it('PrunePropagationPolicy=orphan: a pruned Deployment leaves its ReplicaSet behind', async () => {
    const deploy = DEPLOY.replace('envFrom: [{ configMapRef: { name: settings } }]', 'env: []');
    const a = await tenant.createApp(
      {
        'app/deploy.yaml': deploy,
        'app/keep.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: keep }\n',
      },
      { path: 'app' },
      { syncPolicy: { automated: { prune: true }, syncOptions: ['PrunePropagationPolicy=orphan'] } },
    );
    const rs = await waitFor(
      'the ReplicaSet of web',
      async () => (await hub.admin.list('apps/v1', 'ReplicaSet', { namespace: a.destNs })).items[0],
      { timeoutMs: 90_000, intervalMs: 500 },
    );
    await fleet.git.commit(a.repo, { 'app/deploy.yaml': null });
    await waitFor(
      'web pruned',
      async () => (await get('Deployment', 'apps/v1', a.destNs, 'web')) === undefined,
      { timeoutMs: 90_000, intervalMs: 500 },
    );
    // Orphaned, not garbage-collected: still there a while later, without its owner reference.
    await new Promise((r) => setTimeout(r, 3000));
    const after = await hub.admin.getOrUndefined({
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      namespace: a.destNs,
      name: rs.metadata.name,
    });
    expect(after?.metadata.uid).toBe(rs.metadata.uid);
    expect(after?.metadata.ownerReferences ?? []).toEqual([]);
  });
});

describe('unsupported Argo CD fields', () => {
  it('an app with source.plugin and an unknown syncOption is refused naming each; nothing is applied', async () => {
    const a = await tenant.createApp(
      { 'app/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: must-not-exist }\ndata: {}\n' },
      { path: 'app', plugin: { name: 'argocd-vault-plugin' } },
      {
        syncPolicy: { automated: { prune: true }, syncOptions: ['CreateNamespace=true', 'Prune=false'] },
      },
    );
    const message = await waitFor(
      'InvalidSpecError',
      async () =>
        (await getApp(a.name)).status?.conditions?.find((c) => c.type === 'InvalidSpecError')?.message,
      { timeoutMs: 60_000, intervalMs: 250 },
    );
    expect(message).toContain('spec.source.plugin');
    expect(message).toContain('spec.syncPolicy.syncOptions[1] (Prune=false)');
    expect(message).not.toContain('CreateNamespace');
    // The refusal is an Event on the Application too.
    await waitFor(
      'InvalidSpecError event',
      async () => {
        const events = (await hub.admin.list('v1', 'Event', { namespace: ns })).items;
        return events.some(
          (e) =>
            (e as { reason?: string }).reason === 'InvalidSpecError' &&
            (e as { involvedObject?: { name?: string } }).involvedObject?.name === a.name,
        );
      },
      { timeoutMs: 30_000 },
    );
    // Several reconciles later, still nothing in the destination.
    await new Promise((r) => setTimeout(r, 3000));
    expect(await get('ConfigMap', 'v1', a.destNs, 'must-not-exist')).toBeUndefined();
    expect((await getApp(a.name)).status?.operationState).toBeUndefined();
  });

  it('a directory of Jsonnet is a render failure naming the file, never an empty success', async () => {
    const a = await tenant.createApp(
      { 'app/main.jsonnet': '{ apiVersion: "v1", kind: "ConfigMap" }' },
      { path: 'app' },
    );
    const message = await waitFor(
      'RenderFailed',
      async () => (await getApp(a.name)).status?.conditions?.find((c) => c.type === 'RenderFailed')?.message,
      { timeoutMs: 60_000, intervalMs: 250 },
    );
    expect(message).toContain('app/main.jsonnet');
    expect(message).toContain('Jsonnet is not supported');
    expect((await getApp(a.name)).status?.sync?.status).not.toBe('Synced');
  });
});
