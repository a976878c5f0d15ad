// Applications from beyond Git, through the real controller: a chart with a dependency from a
// Helm repository (HTTPS + basic auth) and from a CNCF distribution registry, Helm hooks, a new
// version in range synced and one out of range ignored, wrong credentials and an unknown CA, a
// multi-source app's refused source as a ProjectViolation, kustomize helmCharts in Git and in an
// OCI artifact, and one Git path substituted per cluster (three Clusters) with each one's values.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_VERSION, type Application } from '../../src/api/application.js';
import { FLEET_NAMESPACE } from '../../src/api/cluster.js';
import { registerCluster } from '../../src/controllers/cluster/register.js';
import { loadConnection, type KubeObject } from '../../src/kube/index.js';
import { startChartRepo, type ChartRepo } from '../harness/chart-repo.js';
import { createNamespace, uniqueName, type ClusterHandle } from '../harness/context.js';
import { startRegistry, type Registry } from '../harness/registry.js';
import { startTenant, type Tenant } from '../harness/tenant.js';
import { waitFor } from '../harness/wait.js';
import { writeChart } from './sources-fixtures.js';

// Read by the controller's shared ChartSources (created on first use in this file's process).
process.env.GITFLEET_CHART_INTERVAL_MS = '1500';
process.env.GITFLEET_CHART_CACHE = mkdtempSync(join(tmpdir(), 'gitfleet-chart-cache-'));

let t: Tenant;
let repo: ChartRepo;
let reg: Registry;
let work: string;

const HOOKS = {
  'pre.yaml':
    'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-pre\n  annotations:\n    helm.sh/hook: pre-install,pre-upgrade\n    helm.sh/hook-weight: "-1"\ndata: {phase: pre}\n',
  'post.yaml':
    'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-post\n  annotations:\n    helm.sh/hook: post-upgrade,post-install\ndata: {phase: post}\n',
  'test.yaml':
    'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-test\n  annotations:\n    helm.sh/hook: test\ndata: {phase: test}\n',
};

beforeAll(async () => {
  t = await startTenant('sources');
  work = mkdtempSync(join(tmpdir(), 'gitfleet-sources-apps-'));
  [repo, reg] = await Promise.all([
    startChartRepo(t.fleet.info.pki, join(work, 'repo')),
    startRegistry(t.fleet.info.pki, join(work, 'registry'), join(t.fleet.info.runDir, 'logs')),
  ]);
  // Chart repositories are sources like Git repositories: the Project admits them by URL.
  await t.hub.admin.patch(
    { apiVersion: API_VERSION, kind: 'Project', namespace: FLEET_NAMESPACE, name: t.project },
    { spec: { sourceRepos: ['*'] } },
  );
  for (const [name, url, user, pass] of [
    ['charts', repo.url, repo.username, repo.password],
    ['oci', `oci://${reg.host}`, reg.username, reg.password],
  ] as const)
    await t.hub.admin.create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name,
        namespace: t.ns,
        labels: { 'gitfleet.dev/secret-type': name === 'oci' ? 'repo-creds' : 'repository' },
      },
      stringData: { url, username: user, password: pass, caData: repo.caPem },
    } as KubeObject);
  await repo.publish(writeChart(join(work, 'src'), 'dep', '1.0.0'));
  await reg.pushChart(join(repo.dir, 'dep-1.0.0.tgz'), 'charts');
  await repo.publish(
    writeChart(
      join(work, 'src'),
      'web',
      '1.0.0',
      { name: 'dep', version: '^1.0.0', repository: repo.url },
      HOOKS,
    ),
  );
}, 180_000);

afterAll(async () => {
  t?.stop();
  await Promise.all([repo?.stop(), reg?.stop()]);
});

async function chartApp(
  source: Record<string, unknown>,
  destination?: Record<string, unknown>,
): Promise<{ name: string; destNs: string }> {
  const destNs = await createNamespace(t.hub.admin, 'sources-dest');
  const name = uniqueName('chart');
  await t.hub.admin.create({
    apiVersion: API_VERSION,
    kind: 'Application',
    metadata: { name, namespace: t.ns },
    spec: {
      project: t.project,
      source,
      destination: { namespace: destNs, ...destination },
      syncPolicy: { automated: { prune: true } },
    },
  } as KubeObject);
  return { name, destNs };
}

const cm = (client: ClusterHandle['admin'], namespace: string, name: string) =>
  client.getOrUndefined<KubeObject & { data?: Record<string, string> }>({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    namespace,
    name,
  });

async function condition(name: string, type: string): Promise<string | undefined> {
  const app: Application = await t.getApp(name);
  return app.status?.conditions?.find((c) => c.type === type)?.message;
}

describe('Applications from Helm repositories and OCI', () => {
  it('installs a chart with a dependency from a Helm repository, runs its hooks, skips its test hook, and follows the range', async () => {
    const { name, destNs } = await chartApp({ repoURL: repo.url, chart: 'web', targetRevision: '^1.0.0' });
    await waitFor(
      'chart web 1.0.0 synced with its dependency and hooks',
      async () =>
        (await cm(t.hub.admin, destNs, `${name}-web`))?.data?.version === '1.0.0' &&
        (await cm(t.hub.admin, destNs, `${name}-dep`)) !== undefined &&
        (await cm(t.hub.admin, destNs, `${name}-post`)) !== undefined,
      { timeoutMs: 60_000 },
    );
    expect(await cm(t.hub.admin, destNs, `${name}-pre`)).toBeDefined();
    expect(await cm(t.hub.admin, destNs, `${name}-test`)).toBeUndefined();
    // The sync's record is written after its last step.
    const app = await waitFor('operation recorded', async () => {
      const a = await t.getApp(name);
      return a.status?.operationState?.phase === 'Succeeded' && a.status.sync?.revision ? a : undefined;
    });
    expect(app.status?.sync?.revision).toMatch(/^1\.0\.0@sha256:[a-f0-9]{64}$/);
    // Hooks ran in their phases: the pre-install hook before the release's objects, post after.
    const order = (app.status?.operationState?.resources ?? []).map((r) => r.name);
    expect(order.indexOf(`${name}-pre`)).toBeGreaterThanOrEqual(0);
    expect(order.indexOf(`${name}-pre`)).toBeLessThan(order.indexOf(`${name}-web`));
    expect(order.indexOf(`${name}-web`)).toBeLessThan(order.indexOf(`${name}-post`));

    // 1.1.0 is in range, 2.0.0 is not: the next index fetch (interval 1.5 s) brings 1.1.0 only.
    await repo.publish(
      writeChart(
        join(work, 'src'),
        'web',
        '1.1.0',
        { name: 'dep', version: '^1.0.0', repository: repo.url },
        HOOKS,
      ),
    );
    await repo.publish(
      writeChart(
        join(work, 'src'),
        'web',
        '2.0.0',
        { name: 'dep', version: '^1.0.0', repository: repo.url },
        HOOKS,
      ),
    );
    await waitFor(
      'web 1.1.0 synced',
      async () => (await cm(t.hub.admin, destNs, `${name}-web`))?.data?.version === '1.1.0',
      {
        timeoutMs: 60_000,
      },
    );
    await waitFor('revision 1.1.0 recorded', async () =>
      /^1\.1\.0@/.test((await t.getApp(name)).status?.sync?.revision ?? ''),
    );
  }, 300_000);

  it('installs the chart from OCI by tag, its dependency from oci:// too', async () => {
    // A chart whose dependency names the registry too.
    const ociChart = writeChart(join(work, 'src-oci'), 'ociweb', '1.0.0', {
      name: 'dep',
      version: '1.0.0',
      repository: `oci://${reg.host}/charts`,
    });
    await repo.publish(ociChart);
    await reg.pushChart(join(repo.dir, 'ociweb-1.0.0.tgz'), 'apps');
    const { name, destNs } = await chartApp({
      repoURL: `oci://${reg.host}/apps`,
      chart: 'ociweb',
      targetRevision: '1.0.0',
    });
    await waitFor(
      'ociweb synced from the registry',
      async () =>
        (await cm(t.hub.admin, destNs, `${name}-ociweb`)) !== undefined &&
        (await cm(t.hub.admin, destNs, `${name}-dep`)) !== undefined,
      { timeoutMs: 60_000 },
    );
    await waitFor('OCI revision recorded', async () =>
      /^1\.0\.0@sha256:[a-f0-9]{64}$/.test((await t.getApp(name)).status?.sync?.revision ?? ''),
    );
  });

  it('names wrong credentials and an unknown CA, and applies nothing', async () => {
    for (const [secret, data, want] of [
      [
        'wrong-pw',
        { username: repo.username, password: 'nope', caData: repo.caPem },
        /refused the credentials/,
      ],
      ['no-ca', { username: repo.username, password: repo.password }, /not trusted/],
    ] as const) {
      await t.hub.admin.create({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: secret, namespace: t.ns },
        stringData: data,
      } as KubeObject);
      const { name, destNs } = await chartApp({
        repoURL: repo.url,
        chart: 'web',
        targetRevision: '1.0.0',
        secretRef: { name: secret },
      });
      await waitFor(
        `SourceFailed for ${secret}`,
        async () => want.test((await condition(name, 'SourceFailed')) ?? ''),
        { timeoutMs: 120_000 },
      );
      expect(
        (await t.hub.admin.list('v1', 'ConfigMap', { namespace: destNs })).items.filter((c) =>
          c.metadata.name.startsWith(name),
        ),
      ).toEqual([]);
    }
  }, 300_000);
});

describe('multi-source Applications', () => {
  it('takes values from a Git source over the chart’s, syncs a push to the values repository, and checks every source against the Project', async () => {
    const valuesRepo = uniqueName('sources-values');
    await t.fleet.git.createRepo(valuesRepo);
    await t.fleet.git.commit(valuesRepo, { 'web/values.yaml': 'color: red\n' });
    const valuesUrl = t.fleet.git.repoUrl(valuesRepo);
    const destNs = await createNamespace(t.hub.admin, 'sources-multi');
    const name = uniqueName('multi');
    const spec = (values: string) => ({
      project: t.project,
      sources: [
        {
          repoURL: repo.url,
          chart: 'web',
          targetRevision: '1.0.0',
          helm: { valueFiles: ['$values/web/values.yaml'] },
        },
        { repoURL: values, secretRef: { name: t.credentials }, ref: 'values' },
      ],
      destination: { namespace: destNs },
      syncPolicy: { automated: { prune: true } },
    });
    await t.hub.admin.create({
      apiVersion: API_VERSION,
      kind: 'Application',
      metadata: { name, namespace: t.ns },
      spec: spec(valuesUrl),
    } as KubeObject);
    await waitFor(
      'chart web synced with color from the values repository',
      async () => (await cm(t.hub.admin, destNs, `${name}-web`))?.data?.color === 'red',
      { timeoutMs: 60_000 },
    );
    const first = await waitFor('revisions recorded', async () => {
      const r = (await t.getApp(name)).status?.sync?.revisions;
      return r?.length === 2 ? r : undefined;
    });
    expect(first[0]).toMatch(/^1\.0\.0@sha256:[a-f0-9]{64}$/);
    expect(first[1]).toMatch(/^[a-f0-9]{40}$/);

    // A push to the values repository alone syncs the new value; the chart's revision is unchanged.
    const sha = await t.fleet.git.commit(valuesRepo, { 'web/values.yaml': 'color: green\n' });
    await waitFor(
      'push to the values repository synced',
      async () => (await cm(t.hub.admin, destNs, `${name}-web`))?.data?.color === 'green',
      { timeoutMs: 60_000 },
    );
    await waitFor('new values revision recorded', async () => {
      const r = (await t.getApp(name)).status?.sync?.revisions;
      return r?.[1] === sha && r[0] === first[0];
    });

    // A values source the Project does not admit: refused before anything is fetched, nothing applied.
    const project = uniqueName('sources-narrow');
    await t.hub.admin.create({
      apiVersion: API_VERSION,
      kind: 'Project',
      metadata: { name: project, namespace: FLEET_NAMESPACE },
      spec: {
        sourceRepos: [repo.url],
        sourceNamespaces: [t.ns],
        destinations: [{ namespace: '*' }],
      },
    } as KubeObject);
    const deniedNs = await createNamespace(t.hub.admin, 'sources-multi-denied');
    const denied = uniqueName('multi');
    await t.hub.admin.create({
      apiVersion: API_VERSION,
      kind: 'Application',
      metadata: { name: denied, namespace: t.ns },
      spec: { ...spec(valuesUrl), project, destination: { namespace: deniedNs } },
    } as KubeObject);
    const refusal = await waitFor(
      'the values source is refused by the Project as a ProjectViolation',
      async () => {
        const m = await condition(denied, 'ProjectViolation');
        return m && /sources\[1\]\.repoURL .* is not in project .*sourceRepos/.test(m) ? m : undefined;
      },
      { timeoutMs: 120_000 },
    );
    // Only the refused source is named (the admitted chart is not), with its repoURL.
    expect(refusal).toContain(
      `spec.sources[1].repoURL ${valuesUrl} is not in project ${project}'s sourceRepos`,
    );
    expect(refusal).not.toContain('spec.sources[0]');
    // Refused before any fetch: no source failure, no revision, nothing applied.
    const deniedApp = await t.getApp(denied);
    expect(deniedApp.status?.conditions?.find((c) => c.type === 'SourceFailed')).toBeUndefined();
    expect(deniedApp.status?.sync?.revision).toBeUndefined();
    expect(await cm(t.hub.admin, deniedNs, `${denied}-web`)).toBeUndefined();
  }, 300_000);
});

describe('kustomize helmCharts', () => {
  it('fetches the chart a kustomization names and lets kustomize inflate it offline under its overlay', async () => {
    const { name, destNs } = await t.createApp(
      {
        'app/kustomization.yaml': [
          'helmCharts:',
          '  - name: web',
          `    repo: ${repo.url}`,
          '    version: 1.0.0',
          '    releaseName: kh',
          '    valuesInline: {color: purple}',
          'namePrefix: over-',
          '',
        ].join('\n'),
      },
      { path: 'app' },
    );
    await waitFor(
      'chart web inflated by kustomize with the overlay applied',
      async () => (await cm(t.hub.admin, destNs, 'over-kh-web'))?.data?.color === 'purple',
      { timeoutMs: 60_000 },
    );
    // The chart's dependency came with it (fetched into the chart's charts/ by gitfleet).
    expect(await cm(t.hub.admin, destNs, 'over-kh-dep')).toBeDefined();
    expect((await t.getApp(name)).status?.conditions?.find((c) => c.type === 'RenderFailed')).toBeUndefined();
  });
});

describe('kustomize helmCharts in an OCI artifact', () => {
  it('fetches the chart an artifact’s kustomization names, as for a Git tree, and kustomize inflates it offline', async () => {
    const repository = `manifests/${uniqueName('khelm')}`;
    const digest = await reg.pushArtifact(repository, 'v1.0.0', {
      'kustomization.yaml': [
        'helmCharts:',
        '  - name: web',
        `    repo: ${repo.url}`,
        '    version: 1.0.0',
        '    releaseName: ko',
        '    valuesInline: {color: teal}',
        'namePrefix: art-',
        '',
      ].join('\n'),
    });
    const { name, destNs } = await chartApp({
      repoURL: `oci://${reg.host}/${repository}`,
      targetRevision: 'v1.0.0',
    });
    await waitFor(
      'chart web from the artifact’s helmCharts inflated with the overlay applied',
      async () => (await cm(t.hub.admin, destNs, 'art-ko-web'))?.data?.color === 'teal',
      { timeoutMs: 120_000 },
    );
    // The chart's own dependency came with it, and the artifact's digest is the revision.
    expect(await cm(t.hub.admin, destNs, 'art-ko-dep')).toBeDefined();
    await waitFor('artifact digest recorded as the revision', async () =>
      (await t.getApp(name)).status?.sync?.revision === digest ? true : undefined,
    );

    // The same artifact under a Project that admits the artifact but not the chart's repository:
    // the pre-fetch checks every repository it would reach, as for a Git tree; nothing is applied.
    const project = uniqueName('sources-artifact-only');
    const artifactUrl = `oci://${reg.host}/${repository}`;
    await t.hub.admin.create({
      apiVersion: API_VERSION,
      kind: 'Project',
      metadata: { name: project, namespace: FLEET_NAMESPACE },
      spec: { sourceRepos: [artifactUrl], sourceNamespaces: [t.ns], destinations: [{ namespace: '*' }] },
    } as KubeObject);
    const deniedNs = await createNamespace(t.hub.admin, 'sources-artifact-denied');
    const denied = uniqueName('artifact');
    await t.hub.admin.create({
      apiVersion: API_VERSION,
      kind: 'Application',
      metadata: { name: denied, namespace: t.ns },
      spec: {
        project,
        source: { repoURL: artifactUrl, targetRevision: 'v1.0.0' },
        destination: { namespace: deniedNs },
        syncPolicy: { automated: { prune: true } },
      },
    } as KubeObject);
    await waitFor(
      'the helmCharts repository refused by the Project as a ProjectViolation',
      async () =>
        ((await condition(denied, 'ProjectViolation')) ?? '').includes(
          `chart repository ${repo.url} (a chart dependency or kustomize helmCharts entry) is not in project ${project}'s sourceRepos`,
        ),
      { timeoutMs: 120_000 },
    );
    expect(await cm(t.hub.admin, deniedNs, 'art-ko-web')).toBeUndefined();
  }, 300_000);
});

describe('per-cluster substitution', () => {
  it('renders one Git path for three Clusters, each with its own labels and values, and a missing variable applies nothing', async () => {
    const regions = ['eu-west', 'us-east', 'ap-south'];
    // Three Cluster objects over the fleet's two apiservers: the third is another registration of
    // the first, so every app gets its own destination namespace and each Cluster's objects are
    // told apart by where they land.
    const servers = [0, 1, 0].map((i) => t.fleet.clusters[i] as ClusterHandle);
    const names = regions.map(() => uniqueName('edge'));
    const namespaces = regions.map(() => uniqueName('sources-subst'));
    for (const [i, c] of servers.entries())
      await registerCluster(t.hub.admin, {
        name: names[i] ?? '',
        connection: await loadConnection({ file: c.kubeconfig }),
        labels: { region: regions[i] ?? '' },
      });
    const files = {
      'base/cm.yaml':
        'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: where}\ndata:\n  region: ${cluster_region}\n  tier: ${tier:=standard}\n  cluster: ${cluster_name}\n',
      'broken/cm.yaml':
        'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: broken}\ndata: {zone: "${cluster_zone}"}\n',
    };
    // The third cluster's tier comes from a ConfigMap on the hub (Flux's substituteFrom).
    const vars = uniqueName('cluster-vars');
    await t.hub.admin.create({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: vars, namespace: t.ns },
      data: { tier: 'silver' },
    } as KubeObject);
    const postBuilds = [
      { substitute: {} },
      { substitute: { tier: 'gold' } },
      { substituteFrom: [{ kind: 'ConfigMap', name: vars }] },
    ];
    const syncPolicy = { automated: { prune: true }, syncOptions: ['CreateNamespace=true'] };
    const first = await t.createApp(
      files,
      { path: 'base' },
      {
        postBuild: postBuilds[0],
        destination: { name: names[0], namespace: namespaces[0] },
        syncPolicy,
      },
    );
    const repoUrl = t.fleet.git.repoUrl(first.repo);
    for (const i of [1, 2])
      await t.hub.admin.create({
        apiVersion: API_VERSION,
        kind: 'Application',
        metadata: { name: uniqueName('app'), namespace: t.ns },
        spec: {
          project: t.project,
          source: { repoURL: repoUrl, secretRef: { name: t.credentials }, path: 'base' },
          destination: { name: names[i], namespace: namespaces[i] },
          postBuild: postBuilds[i],
          syncPolicy,
        },
      } as KubeObject);
    const tiers = ['standard', 'gold', 'silver'];
    for (const [i, c] of servers.entries()) {
      const ns = namespaces[i] ?? '';
      const data = await waitFor(
        `ConfigMap where in ${ns} on ${c.name} with region ${regions[i]}`,
        async () => {
          const d = (await cm(c.admin, ns, 'where').catch(() => undefined))?.data;
          return d?.region === regions[i] ? d : undefined;
        },
        { timeoutMs: 120_000 },
      );
      expect(data).toEqual({ region: regions[i], tier: tiers[i], cluster: names[i] });
    }

    const broken = uniqueName('app');
    const brokenNs = await createNamespace(t.hub.admin, 'sources-broken');
    await t.hub.admin.create({
      apiVersion: API_VERSION,
      kind: 'Application',
      metadata: { name: broken, namespace: t.ns },
      spec: {
        project: t.project,
        source: { repoURL: repoUrl, secretRef: { name: t.credentials }, path: 'broken' },
        destination: { name: names[0], namespace: brokenNs },
        postBuild: {},
        syncPolicy: { automated: { prune: true } },
      },
    } as KubeObject);
    await waitFor(
      'RenderFailed naming file and variable',
      async () => {
        const m = await condition(broken, 'RenderFailed');
        return m !== undefined && /broken\/cm\.yaml/.test(m) && /cluster_zone/.test(m);
      },
      { timeoutMs: 120_000 },
    );
    expect(await cm(t.hub.admin, brokenNs, 'broken')).toBeUndefined();
  }, 300_000);
});
