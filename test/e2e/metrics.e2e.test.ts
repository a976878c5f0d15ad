import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_VERSION } from '../../src/api/application.js';
import { installCrds } from '../../src/cli/commands/install.js';
import { ControllerMetrics } from '../../src/controllers/metrics.js';
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
import { waitFor } from '../harness/wait.js';

let fleet: TestFleet;
let hub: ClusterHandle;
let ns: string;
let controllers: TestControllers;
let server: Awaited<ReturnType<typeof startHubServer>>;
let prometheus: Prometheus;
const dir = mkdtempSync(join(tmpdir(), 'gitfleet-metrics-'));

beforeAll(async () => {
  installExitHooks();
  fleet = await testFleet();
  hub = fleet.clusters[0] as ClusterHandle;
  await installCrds(hub.admin);
  ns = await createNamespace(hub.admin, 'metrics');
  const metrics = new ControllerMetrics();
  controllers = await startControllers({
    kubeconfig: hub.kubeconfig,
    namespace: ns,
    cacheDir: join(dir, 'sources'),
    apps: true,
    metrics,
  });
  server = await startHubServer({
    port: 0,
    webhookSecrets: {},
    onPush: () => [],
    metrics: metrics.registry,
    log: pino({ level: 'warn' }),
  });
  prometheus = await startPrometheus(join(dir, 'prometheus'), join(fleet.info.runDir, 'logs'), [
    `127.0.0.1:${server.port}`,
  ]);
});

afterAll(async () => {
  controllers?.stop();
  await server?.close();
  await prometheus?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('metrics', () => {
  it('are scraped by a real Prometheus: app state, syncs, drift detected and healed', async () => {
    const repo = uniqueName('metrics');
    const destNs = await createNamespace(hub.admin, 'metrics-dest');
    await fleet.git.createRepo(repo);
    await fleet.git.commit(repo, {
      'cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: watched\ndata:\n  a: b\n',
    });
    await hub.admin.create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'creds', namespace: ns },
      stringData: { username: fleet.git.info.admin.username, password: fleet.git.info.admin.password },
    });
    await hub.admin.create({
      apiVersion: API_VERSION,
      kind: 'Application',
      metadata: { name: 'observed', namespace: ns },
      spec: {
        source: { repoURL: fleet.git.repoUrl(repo), secretRef: { name: 'creds' } },
        destination: { namespace: destNs },
        syncPolicy: { automated: { selfHeal: true } },
      },
    } as KubeObject);

    const one = async (expr: string): Promise<number | undefined> => (await prometheus.query(expr))[0]?.value;
    await waitFor(
      'app Synced+Healthy in Prometheus',
      async () =>
        (await one(
          `gitfleet_app_info{namespace="${ns}",name="observed",sync_status="Synced",health_status="Healthy"}`,
        )) === 1,
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    expect(
      await one(`sum(gitfleet_app_sync_total{namespace="${ns}",name="observed",phase="Succeeded"})`),
    ).toBeGreaterThanOrEqual(1);
    expect(await one('sum(gitfleet_app_reconcile_duration_seconds_count)')).toBeGreaterThanOrEqual(1);
    expect(await one('gitfleet_git_fetch_duration_seconds_count')).toBeGreaterThanOrEqual(1);
    // One series per app: no stale OutOfSync/Missing series left next to the current one.
    expect((await prometheus.query(`gitfleet_app_info{namespace="${ns}",name="observed"}`)).length).toBe(1);

    await hub.admin.apply(
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'watched', namespace: destNs },
        data: { a: 'edited' },
      },
      { fieldManager: 'kubectl-edit', force: true },
    );
    await waitFor(
      'drift detected and healed, scraped',
      async () =>
        ((await one('gitfleet_drift_healed_total')) ?? 0) >= 1 &&
        ((await one('gitfleet_drift_detected_total')) ?? 0) >= 1,
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    const cm = await hub.admin.get({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      namespace: destNs,
      name: 'watched',
    });
    expect((cm.data as Record<string, string>).a).toBe('b');
  });
});
