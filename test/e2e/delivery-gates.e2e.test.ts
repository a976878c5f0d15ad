// Fleet roll-out gates against real components: an ApplicationSet rolls a Git revision out
// staging → prod; the staging step requires an AnalysisTemplate (a PromQL error rate) to pass,
// measured by a real Prometheus scraping a metrics target whose counters the test sets. A low
// error rate lets prod proceed; a high one halts the roll-out before prod and, with
// `onFailure: rollback`, returns staging to the previous revision.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_VERSION, type Application } from '../../src/api/application.js';
import type { ApplicationSet } from '../../src/api/applicationset.js';
import { installCrds } from '../../src/cli/commands/install.js';
import { registerCluster } from '../../src/controllers/cluster/register.js';
import type { NotificationEvent, Notifier } from '../../src/controllers/notify/notifier.js';
import type { RolloutState } from '../../src/fleet/rollout.js';
import { loadConnection, type KubeObject } from '../../src/kube/index.js';
import {
  createNamespace,
  testFleet,
  uniqueName,
  type ClusterHandle,
  type TestFleet,
} from '../harness/context.js';
import { startControllers, type TestControllers } from '../harness/controllers.js';
import { startMetricsTarget, type MetricsTarget } from '../harness/metrics-target.js';
import { startPrometheus, type Prometheus } from '../harness/prometheus.js';
import { waitFor } from '../harness/wait.js';

let fleet: TestFleet;
let hub: ClusterHandle;
let ns: string;
let controllers: TestControllers;
let target: MetricsTarget;
let prometheus: Prometheus;
const sent: NotificationEvent[] = [];
const dir = mkdtempSync(join(tmpdir(), 'gitfleet-delivery-gates-'));

beforeAll(async () => {
  fleet = await testFleet();
  hub = fleet.clusters[0] as ClusterHandle;
  await installCrds(hub.admin);
  ns = await createNamespace(hub.admin, 'gates');
  target = await startMetricsTarget();
  prometheus = await startPrometheus(join(dir, 'prometheus'), join(fleet.info.runDir, 'logs'), [
    target.address,
  ]);
  controllers = await startControllers({
    kubeconfig: hub.kubeconfig,
    namespace: ns,
    cacheDir: join(dir, 'sources'),
    apps: true,
    appsets: true,
    pollIntervalMs: 1000,
    fetchIntervalMs: 500,
    notifier: { notify: (ev: NotificationEvent) => void sent.push(ev) } as unknown as Notifier,
  });
});

afterAll(async () => {
  controllers?.stop();
  await prometheus?.stop();
  await target?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const files = (version: string): Record<string, string> => ({
  'app/cm.yaml': JSON.stringify({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'version' },
    data: { v: version },
  }),
});

describe('fleet roll-out gates', () => {
  it('a passing gate lets prod proceed; a failing one halts before prod and rolls staging back', async () => {
    const mark = uniqueName('gate');
    const names = { staging: uniqueName('staging'), prod: uniqueName('prod') };
    for (const env of ['staging', 'prod'] as const) {
      await registerCluster(hub.admin, {
        name: names[env],
        connection: await loadConnection({ file: hub.kubeconfig }),
        labels: { gate: mark, env },
      });
    }
    // The gate's query is per Application: `{{args.app}}` is filled with the staging app's name.
    const stagingApp = 'web-staging';
    target.set(stagingApp, 100, 0);
    await hub.admin.create({
      apiVersion: API_VERSION,
      kind: 'AnalysisTemplate',
      metadata: { name: 'error-rate', namespace: ns },
      spec: {
        args: [{ name: 'app' }],
        metrics: [
          {
            name: 'error-rate',
            interval: '1s',
            count: 2,
            successCondition: 'result[0] < 0.05',
            provider: {
              prometheus: {
                address: prometheus.url,
                query:
                  'sum(demo_requests_total{app="{{args.app}}",code="500"}) / sum(demo_requests_total{app="{{args.app}}"})',
              },
            },
          },
        ],
      },
    } as KubeObject);

    const repo = uniqueName('svc');
    await fleet.git.createRepo(repo);
    const v1 = await fleet.git.commit(repo, files('1'));
    await hub.admin.create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'repo', namespace: ns },
      stringData: { username: fleet.git.info.admin.username, password: fleet.git.info.admin.password },
    });
    await hub.admin.create({
      apiVersion: API_VERSION,
      kind: 'ApplicationSet',
      metadata: { name: 'web', namespace: ns },
      spec: {
        generators: [{ clusters: { selector: { matchLabels: { gate: mark } } } }],
        template: {
          metadata: { name: 'web-{{metadata.labels.env}}' },
          spec: {
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
              {
                clusterSelector: { matchLabels: { env: 'staging' } },
                analysis: { templates: [{ templateName: 'error-rate' }], onFailure: 'rollback' },
              },
              { clusterSelector: { matchLabels: { env: 'prod' } } },
            ],
          },
        },
      },
    } as KubeObject);

    const rollout = async (): Promise<RolloutState | undefined> =>
      (
        await hub.admin.get<ApplicationSet>({
          apiVersion: API_VERSION,
          kind: 'ApplicationSet',
          namespace: ns,
          name: 'web',
        })
      ).status?.rollout as RolloutState | undefined;
    const version = async (env: 'staging' | 'prod'): Promise<string | undefined> => {
      const cm = await hub.admin.getOrUndefined({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        namespace: names[env],
        name: 'version',
      });
      return (cm?.data as Record<string, string> | undefined)?.v;
    };
    const versions = async (): Promise<string> => `${await version('staging')}/${await version('prod')}`;
    const pinned = async (env: 'staging' | 'prod'): Promise<string | undefined> =>
      (
        await hub.admin.get<Application>({
          apiVersion: API_VERSION,
          kind: 'Application',
          namespace: ns,
          name: `web-${env}`,
        })
      ).spec.source?.targetRevision;
    await waitFor('v1 everywhere', async () => (await versions()) === '1/1', {
      timeoutMs: 90_000,
      intervalMs: 250,
    });
    await waitFor(
      'prometheus sees a 0% error rate for staging',
      async () => {
        const r = await prometheus.query(`sum(demo_requests_total{app="${stagingApp}"})`);
        return r[0]?.value === 100;
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );

    // v2 with a healthy error rate: staging's gate passes, prod follows.
    const v2 = await fleet.git.commit(repo, files('2'));
    const completed = await waitFor(
      'v2 rolled out past a passing gate',
      async () => {
        const r = await rollout();
        return r?.revision === v2 && r.phase === 'Completed' && (await versions()) === '2/2' && r;
      },
      { timeoutMs: 90_000, intervalMs: 250 },
    );
    expect(completed.gate).toMatchObject({ step: 0, revision: v2, phase: 'Successful' });
    // Two measurements (count 2) of the staging app's error rate, both 0 and Successful.
    const passed = completed.gate?.metrics.flatMap((m) => m.measurements) ?? [];
    expect(passed.length).toBe(2);
    for (const m of passed) expect(m.verdict).toBe('Successful');
    expect(completed.stableRevision).toBe(v2);
    expect(await pinned('prod')).toBe(v2);
    expect(v1).not.toBe(v2);

    // v3 while staging errs 50%: the gate fails on staging, the roll-out halts before prod, and
    // staging goes back to v2.
    target.set(stagingApp, 100, 100);
    await waitFor(
      'prometheus sees the errors',
      async () => {
        const r = await prometheus.query(`sum(demo_requests_total{app="${stagingApp}",code="500"})`);
        return r[0]?.value === 100;
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    const haltsBefore = sent.filter((e) => e.trigger === 'RolloutHalted').length;
    const v3 = await fleet.git.commit(repo, files('3'));
    const halted = await waitFor(
      'halted by the staging gate',
      async () => {
        const r = await rollout();
        return r?.revision === v3 && r.phase === 'Halted' && r;
      },
      { timeoutMs: 90_000, intervalMs: 250 },
    );
    expect(halted.step).toBe(0);
    expect(halted.rolledBack).toBe(true);
    expect(halted.stableRevision).toBe(v2);
    // The gate measured staging on v3 (it runs only once the step's apps are Synced and Healthy on it).
    expect(halted.gate).toMatchObject({ step: 0, revision: v3, phase: 'Failed' });
    expect(halted.message).toContain('analysis gate of step 1 Failed');
    expect(halted.message).toContain('0.5');
    expect(halted.message).toContain(`rolled back to ${v2.slice(0, 12)}`);

    // Staging returns to v2; prod never received v3.
    await waitFor(
      'staging back on v2',
      async () => (await pinned('staging')) === v2 && (await versions()) === '2/2',
      { timeoutMs: 60_000, intervalMs: 250 },
    );
    expect(await pinned('prod')).toBe(v2);
    await waitFor(
      'RolloutHalted notified',
      () => sent.filter((e) => e.trigger === 'RolloutHalted').length > haltsBefore,
      { timeoutMs: 10_000, intervalMs: 100 },
    );
    const note = sent.filter((e) => e.trigger === 'RolloutHalted').at(-1);
    expect(note?.revision).toBe(v3);
    expect(note?.message).toContain('0.5');
    // The gate's own verdict is notified too (sent before RolloutHalted, in the same reconcile).
    const failedGate = await waitFor(
      'AnalysisFailed notified for the gate',
      () => sent.find((e) => e.trigger === 'AnalysisFailed' && e.revision === v3),
      { timeoutMs: 30_000, intervalMs: 100 },
    );
    expect(failedGate).toMatchObject({ kind: 'ApplicationSet' });
    expect(failedGate.message).toContain('0.5');
    expect(sent.filter((e) => e.trigger === 'AnalysisFailed' && e.revision === v3)).toHaveLength(1);
    expect(sent.some((e) => e.trigger === 'AnalysisFailed' && e.revision === v2)).toBe(false);
    // Nothing moves afterwards: still halted, prod still on v2.
    await new Promise((r) => setTimeout(r, 2000));
    expect((await rollout())?.phase).toBe('Halted');
    expect(await versions()).toBe('2/2');
    expect(await pinned('prod')).toBe(v2);
  });
});
