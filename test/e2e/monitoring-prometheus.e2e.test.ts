// The shipped monitoring content against a running hub: a real Prometheus scrapes the hub's
// /metrics (with the metrics token) and evaluates deploy/monitoring/alerts.yaml; an Application
// turns Degraded, the alert fires, the fix resolves it; every query of the Grafana dashboard
// answers with data.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { API_VERSION, type Application } from '../../src/api/application.js';
import { FLEET_NAMESPACE } from '../../src/api/cluster.js';
import { installCrds } from '../../src/cli/commands/install.js';
import { ControllerMetrics, repoLabel } from '../../src/controllers/metrics.js';
import { startHubServer } from '../../src/hub/server.js';
import type { KubeObject } from '../../src/kube/index.js';
import {
  createNamespace,
  testFleet,
  uniqueName,
  type ClusterHandle,
  type TestFleet,
} from '../harness/context.js';
import { startControllers, type TestControllers } from '../harness/controllers.js';
import { installExitHooks } from '../harness/process.js';
import { startPrometheus, type Prometheus } from '../harness/prometheus.js';
import { repoRoot } from '../harness/tools.js';
import { waitFor } from '../harness/wait.js';

const GROUP = 'monitoring.gitfleet.test';
const TOKEN = 'metrics-token-for-the-e2e-test';
const dir = mkdtempSync(join(tmpdir(), 'gitfleet-monitoring-'));
let fleet: TestFleet;
let hub: ClusterHandle;
let ns: string;
let destNs: string;
let projA: string;
let projB: string;
let repoURL: string;
let controllers: TestControllers;
let server: Awaited<ReturnType<typeof startHubServer>>;
let prometheus: Prometheus;

/** A custom kind whose health the test sets by writing its status (as its controller would). */
const widgetCrd = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: `widgets.${GROUP}` },
  spec: {
    group: GROUP,
    names: { kind: 'Widget', plural: 'widgets', singular: 'widget' },
    scope: 'Namespaced',
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        subresources: { status: {} },
        schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
      },
    ],
  },
};

async function project(name: string): Promise<void> {
  await hub.admin.create({
    apiVersion: API_VERSION,
    kind: 'Project',
    metadata: { name, namespace: FLEET_NAMESPACE },
    spec: {
      sourceNamespaces: [ns],
      sourceRepos: [`${fleet.git.info.url}/*`],
      destinations: [{ namespace: '*' }],
    },
  } as KubeObject);
}

async function app(name: string, proj: string, path: string, automated: boolean): Promise<void> {
  await hub.admin.create({
    apiVersion: API_VERSION,
    kind: 'Application',
    metadata: { name, namespace: ns },
    spec: {
      project: proj,
      source: { repoURL, path, secretRef: { name: 'creds' } },
      destination: { namespace: destNs },
      ...(automated ? { syncPolicy: { automated: {} } } : {}),
    },
  } as KubeObject);
}

async function setWidgetStatus(conditions: Record<string, string>[]): Promise<void> {
  await hub.admin.request({
    method: 'PATCH',
    path: `/apis/${GROUP}/v1/namespaces/${destNs}/widgets/w/status`,
    body: { status: { conditions } },
    contentType: 'application/merge-patch+json',
  });
}

beforeAll(async () => {
  installExitHooks();
  fleet = await testFleet();
  hub = fleet.clusters[0] as ClusterHandle;
  await installCrds(hub.admin);
  await hub.admin.apply(
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: FLEET_NAMESPACE } },
    { fieldManager: 'test' },
  );
  await hub.admin.apply(widgetCrd as KubeObject, { fieldManager: 'monitoring-e2e', force: true });
  ns = await createNamespace(hub.admin, 'monitoring');
  destNs = await createNamespace(hub.admin, 'monitoring-dest');
  await hub.admin.create({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'creds', namespace: ns },
    stringData: { username: fleet.git.info.admin.username, password: fleet.git.info.admin.password },
  });
  projA = uniqueName('mon-a');
  projB = uniqueName('mon-b');
  await project(projA);
  await project(projB);
  const repo = uniqueName('monitoring');
  await fleet.git.createRepo(repo);
  await fleet.git.commit(repo, {
    'widget/w.yaml': `apiVersion: ${GROUP}/v1\nkind: Widget\nmetadata:\n  name: w\nspec:\n  size: 1\n`,
    'plain/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: plain\ndata:\n  a: b\n',
  });
  repoURL = fleet.git.repoUrl(repo);
  await waitFor(
    'Widget CRD served',
    async () =>
      !!(await hub.admin
        .getOrUndefined({ apiVersion: `${GROUP}/v1`, kind: 'Widget', namespace: destNs, name: 'none' })
        .then(
          () => true,
          () => false,
        )),
    { timeoutMs: 30_000, intervalMs: 200 },
  );

  const metrics = new ControllerMetrics();
  controllers = await startControllers({
    kubeconfig: hub.kubeconfig,
    namespace: ns,
    cacheDir: join(dir, 'sources'),
    apps: true,
    pollIntervalMs: 1000,
    metrics,
  });
  server = await startHubServer({
    port: 0,
    webhookSecrets: {},
    onPush: () => [],
    metrics: metrics.registry,
    metricsToken: TOKEN,
    log: pino({ level: 'warn' }),
  });
  // The shipped rules, with the Degraded alert's `for:` shortened so the test takes seconds.
  const rules = parse(readFileSync(join(repoRoot, 'deploy', 'monitoring', 'alerts.yaml'), 'utf8')) as {
    groups: { rules: { alert?: string; for?: string }[] }[];
  };
  const degraded = rules.groups.flatMap((g) => g.rules).find((r) => r.alert === 'GitfleetAppDegraded');
  if (!degraded) throw new Error('deploy/monitoring/alerts.yaml has no GitfleetAppDegraded rule');
  degraded.for = '2s';
  writeFileSync(join(dir, 'alerts.yaml'), JSON.stringify(rules));
  prometheus = await startPrometheus(
    join(dir, 'prometheus'),
    join(fleet.info.runDir, 'logs'),
    [`127.0.0.1:${server.port}`],
    { ruleFiles: [join(dir, 'alerts.yaml')], bearerToken: TOKEN },
  );
});

afterAll(async () => {
  controllers?.stop();
  await server?.close();
  await prometheus?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const alertOf = (name: string): string =>
  `ALERTS{alertname="GitfleetAppDegraded",alertstate="firing",namespace="${ns}",name="${name}"}`;

describe('monitoring: Prometheus, shipped alerts and dashboard against a running hub', () => {
  it('scrapes /metrics with the metrics token, which an anonymous client is refused', async () => {
    expect((await fetch(`http://127.0.0.1:${server.port}/metrics`)).status).toBe(401);
    await waitFor('target up', async () => (await prometheus.targetsUp())[0]?.health === 'up', {
      timeoutMs: 30_000,
      intervalMs: 250,
    });
    // All the shipped rules loaded (one broken rule would have kept Prometheus from starting).
    const res = (await (await fetch(`${prometheus.url}/api/v1/rules`)).json()) as {
      data: { groups: { rules: unknown[] }[] };
    };
    expect(res.data.groups.flatMap((g) => g.rules)).toHaveLength(9);
  });

  it('answers apps out of sync per project, with project, cluster and repository labels', async () => {
    await app('degraded', projA, 'widget', true);
    await app('manual-a', projA, 'plain', false);
    await app('manual-b1', projB, 'plain', false);
    await app('manual-b2', projB, 'plain', false);
    await app('broken', projB, 'no-such-path', true);

    // The API's truth, per project, is what Prometheus must answer.
    const truth = async (): Promise<Record<string, number>> => {
      const apps = await hub.admin.list<Application>(API_VERSION, 'Application', { namespace: ns });
      const out: Record<string, number> = {};
      for (const a of apps.items)
        if (a.status?.sync?.status === 'OutOfSync')
          out[a.spec.project ?? 'default'] = (out[a.spec.project ?? 'default'] ?? 0) + 1;
      return out;
    };
    let answer: Record<string, number> = {};
    await waitFor(
      'count by (project) answered as the API says',
      async () => {
        const rows = await prometheus.query(
          `count by (project) (gitfleet_app_info{namespace="${ns}",sync_status="OutOfSync"})`,
        );
        answer = Object.fromEntries(rows.map((r) => [r.metric.project ?? '', r.value]));
        const want = await truth();
        return (
          (want[projA] ?? 0) >= 1 &&
          (want[projB] ?? 0) >= 2 &&
          JSON.stringify(sorted(answer)) === JSON.stringify(sorted(want))
        );
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    expect(answer[projA]).toBe(1);
    const [info] = await prometheus.query(`gitfleet_app_info{namespace="${ns}",name="manual-a"}`);
    expect(info?.metric).toMatchObject({
      project: projA,
      dest_cluster: 'in-cluster',
      repo: repoLabel(repoURL),
    });
    expect(info?.metric.repo).not.toContain(fleet.git.info.admin.password);
  });

  it('fires the Degraded alert for an app whose object turns Degraded', async () => {
    await waitFor(
      'degraded app Synced and Healthy',
      async () =>
        (
          await prometheus.query(
            `gitfleet_app_info{namespace="${ns}",name="degraded",sync_status="Synced",health_status="Healthy"}`,
          )
        ).length === 1,
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    expect(await prometheus.query(alertOf('degraded'))).toEqual([]);
    await setWidgetStatus([
      { type: 'Stalled', status: 'True', reason: 'OutOfQuota', message: 'no capacity left' },
    ]);
    await waitFor(
      'GitfleetAppDegraded firing',
      async () => (await prometheus.query(alertOf('degraded'))).length === 1,
      {
        timeoutMs: 60_000,
        intervalMs: 500,
      },
    );
    const [alert] = await prometheus.query(alertOf('degraded'));
    expect(alert?.metric).toMatchObject({ project: projA, dest_cluster: 'in-cluster', severity: 'critical' });
    // Only the degraded app alerts.
    expect(await prometheus.query(`ALERTS{alertname="GitfleetAppDegraded",namespace="${ns}"}`)).toHaveLength(
      1,
    );
  });

  it('answers every query of the Grafana dashboard with data', async () => {
    const dashboard = JSON.parse(
      readFileSync(join(repoRoot, 'deploy', 'monitoring', 'dashboard.json'), 'utf8'),
    ) as {
      panels: { title: string; type: string; targets?: { expr: string }[] }[];
      templating: { list: { name: string; definition?: string }[] };
    };
    const exprs = dashboard.panels.flatMap((p) =>
      (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })),
    );
    expect(exprs.length).toBeGreaterThanOrEqual(15);
    const concrete = (e: string): string =>
      e
        .replaceAll('$project', '.*')
        .replaceAll('$cluster', '.*')
        .replaceAll('$__rate_interval', '30s')
        .replaceAll('$__range', '10m');
    const empty: string[] = [];
    await waitFor(
      'every dashboard query has data',
      async () => {
        empty.length = 0;
        for (const { panel, expr } of exprs)
          if ((await prometheus.query(concrete(expr))).length === 0) empty.push(`${panel}: ${expr}`);
        return empty.length === 0;
      },
      { timeoutMs: 45_000, intervalMs: 1000 },
    ).catch((e: unknown) => {
      throw new Error(`dashboard queries without data:\n${empty.join('\n')}\n${String(e)}`);
    });
    // The variables' label_values() queries: projects and clusters are listed.
    const projects = (await prometheus.query('count by (project) (gitfleet_app_info)')).map(
      (r) => r.metric.project,
    );
    expect(projects).toEqual(expect.arrayContaining([projA, projB]));
  });

  it('resolves the alert once the object is healthy again', async () => {
    await setWidgetStatus([
      { type: 'Stalled', status: 'False', reason: 'Recovered', message: '' },
      { type: 'Ready', status: 'True', reason: 'Ready', message: 'serving' },
    ]);
    await waitFor(
      'GitfleetAppDegraded resolved',
      async () => (await prometheus.query(alertOf('degraded'))).length === 0,
      {
        timeoutMs: 60_000,
        intervalMs: 500,
      },
    );
    const [info] = await prometheus.query(`gitfleet_app_info{namespace="${ns}",name="degraded"}`);
    expect(info?.metric.health_status).toBe('Healthy');
  });
});

function sorted(o: Record<string, number>): [string, number][] {
  return Object.entries(o).sort(([a], [b]) => a.localeCompare(b));
}
