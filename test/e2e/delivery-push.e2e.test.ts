// Progressive delivery on a push-mode cluster other than the hub's own: the Application deploys a
// Deployment, a Canary and an AnalysisTemplate to the fleet's second cluster, registered under a
// name of this file's own; the hub drives the Canary through that cluster's client, queries the
// real Prometheus the template names (scraping a target the test sets), and kwok makes the slot
// pods Ready there. The canary passes its analysis and reaches 100%, then becomes stable.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_VERSION } from '../../src/api/application.js';
import type { Canary } from '../../src/api/delivery.js';
import { installCrds } from '../../src/cli/commands/install.js';
import { OwnedObjectsWatch } from '../../src/controllers/application/owned-watch.js';
import { registerCluster } from '../../src/controllers/cluster/register.js';
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE, OWNER_ANNOTATION } from '../../src/engine/plan/ownership.js';
import { loadConnection, type KubeObject } from '../../src/kube/index.js';
import { createNamespace, uniqueName, type ClusterHandle } from '../harness/context.js';
import { startMetricsTarget, type MetricsTarget } from '../harness/metrics-target.js';
import { startPrometheus, type Prometheus } from '../harness/prometheus.js';
import { startTenant, type Tenant } from '../harness/tenant.js';
import { waitFor } from '../harness/wait.js';

let tenant: Tenant;
let remote: ClusterHandle;
let target: MetricsTarget;
let prometheus: Prometheus;
const cluster = uniqueName('push-canary');
const dir = mkdtempSync(join(tmpdir(), 'gitfleet-delivery-push-'));

beforeAll(async () => {
  tenant = await startTenant('delivery-push');
  remote = tenant.fleet.clusters[1] as ClusterHandle;
  await installCrds(remote.admin);
  await registerCluster(tenant.hub.admin, {
    name: cluster,
    connection: await loadConnection({ file: remote.kubeconfig }),
  });
  target = await startMetricsTarget();
  prometheus = await startPrometheus(join(dir, 'prometheus'), join(tenant.fleet.info.runDir, 'logs'), [
    target.address,
  ]);
});

afterAll(async () => {
  tenant?.stop();
  await prometheus?.stop();
  await target?.stop();
  await tenant?.hub.admin
    .delete({ apiVersion: API_VERSION, kind: 'Cluster', namespace: 'gitfleet-system', name: cluster })
    .catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

const deployment = (image: string): string => `apiVersion: apps/v1
kind: Deployment
metadata: { name: web }
spec:
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      containers: [{ name: web, image: "${image}" }]
`;

// `cluster` is the analysis argument the hub fills in with the destination's registered name.
const analysisTemplate = (): string => `apiVersion: gitfleet.dev/v1alpha1
kind: AnalysisTemplate
metadata: { name: error-rate }
spec:
  args: [{ name: cluster }]
  metrics:
    - name: error-rate
      interval: 1s
      count: 2
      # The target is served by this test's own busy process: under CI load a 1 s scrape can time
      # out, and Prometheus answers [] until the next good scrape. Those measurements are errors,
      # not failures; tolerate a run of them instead of rolling back after the default 4.
      consecutiveErrorLimit: 30
      successCondition: "result[0] < 0.05"
      provider:
        prometheus:
          address: ${prometheus.url}
          query: sum(demo_requests_total{app="{{args.cluster}}",code="500"}) / sum(demo_requests_total{app="{{args.cluster}}"})
`;

const canary = `apiVersion: gitfleet.dev/v1alpha1
kind: Canary
metadata: { name: web }
spec:
  targetRef: { name: web }
  replicas: 4
  strategy:
    canary:
      steps:
        - setWeight: 25
        - analysis: { templates: [{ templateName: error-rate }] }
        - setWeight: 50
`;

interface Deploy extends KubeObject {
  spec: { replicas: number; template: { spec: { containers: { image: string }[] } } };
}

describe('canary on a push-mode cluster', () => {
  it('is driven by the hub through that cluster, queries the Prometheus its template names, and reaches 100%', async () => {
    const destNs = await createNamespace(remote.admin, 'delivery-push-dest');
    const app = await tenant.createApp(
      {
        'app/deploy.yaml': deployment('web:v1'),
        'app/canary.yaml': canary,
        'app/analysis.yaml': analysisTemplate(),
      },
      { path: 'app' },
      { destination: { name: cluster, namespace: destNs } },
    );
    target.set(cluster, 1000, 0);
    const getCanary = (): Promise<Canary | undefined> =>
      remote.admin.getOrUndefined<Canary>({
        apiVersion: API_VERSION,
        kind: 'Canary',
        namespace: destNs,
        name: 'web',
      });
    const slot = (s: string): Promise<Deploy> =>
      remote.admin.get<Deploy>({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        namespace: destNs,
        name: `web-${s}`,
      });
    let last: Canary | undefined;
    const phase = (what: string, ok: (c: Canary) => boolean, timeoutMs = 90_000): Promise<Canary> =>
      waitFor(
        what,
        async () => {
          last = await getCanary();
          return last && ok(last) ? last : undefined;
        },
        { timeoutMs, intervalMs: 250 },
      ).catch((e: unknown) => {
        throw new Error(`${(e as Error).message}\nlast canary status: ${JSON.stringify(last?.status)}`);
      });

    const init = await phase(
      'canary initialized on the remote cluster',
      (c) => c.status?.phase === 'Initialized',
      120_000,
    );
    expect(init.status?.stableSlot).toBe('blue');
    // Nothing of it is on the hub's own cluster: the hub drove it through the registered cluster.
    expect(
      await tenant.hub.admin.getOrUndefined({
        apiVersion: API_VERSION,
        kind: 'Canary',
        namespace: destNs,
        name: 'web',
      }),
    ).toBeUndefined();

    await tenant.fleet.git.commit(app.repo, { 'app/deploy.yaml': deployment('web:v2') });
    const seen = new Set<number>();
    const done = await phase('v2 promoted on the remote cluster', (c) => {
      if (c.status?.canaryWeight) seen.add(c.status.canaryWeight);
      return c.status?.phase === 'Succeeded';
    });
    expect(done.status?.stableSlot).toBe('green');
    expect(done.status?.promotions).toHaveLength(1);
    expect(seen.has(25)).toBe(true);
    // The analysis asked the real Prometheus about this cluster's series: the query names it.
    const metric = done.status?.lastAnalysis?.metrics[0];
    expect(done.status?.lastAnalysis?.phase).toBe('Successful');
    // Two successes, and nothing but scrape gaps (Error, never Failed) between them under load.
    const verdicts = metric?.measurements.map((m) => m.verdict) ?? [];
    expect(verdicts.filter((v) => v === 'Successful')).toEqual(['Successful', 'Successful']);
    expect(verdicts.filter((v) => v !== 'Successful' && v !== 'Error')).toEqual([]);
    expect(metric?.query).toContain(`app="${cluster}"`);
    expect((await slot('green')).spec.template.spec.containers[0]?.image).toBe('web:v2');
    await waitFor('old slot scaled to 0', async () => (await slot('blue')).spec.replicas === 0, {
      timeoutMs: 60_000,
    });
    // The Application on the hub reports the remote Canary's health once it is stable.
    await waitFor(
      'Application Healthy',
      async () => (await tenant.getApp(app.name)).status?.health?.status === 'Healthy',
      {
        timeoutMs: 60_000,
      },
    );
    expect(tenant.controllers.hub.delivery?.cluster(cluster)).toBeDefined();
  });
});

describe("a Canary's status change", () => {
  it('wakes its Application through the owned-objects watch (a status write alone, nothing else)', async () => {
    // The same watch the Application controller runs per destination: metadata only, by the
    // managed-by label; its callback enqueues the owner. A status write must reach it, since the
    // delivery controller changes nothing else while a roll-out moves.
    const ns = await createNamespace(tenant.hub.admin, 'delivery-wake');
    // No hub drives apps of this namespace, so only the test writes the Canary.
    const owner = `${uniqueName('nobody')}/wake-app`;
    const ref = { apiVersion: API_VERSION, kind: 'Canary', namespace: ns, name: 'web' };
    // Each wake-up with the resourceVersion the watch held when it woke the owner.
    const woken: string[] = [];
    const watch = new OwnedObjectsWatch(tenant.hub.admin, (o) =>
      woken.push(`${o}@${watch.resourceVersion(ref)}`),
    );
    try {
      const created = await tenant.hub.admin.create<Canary>({
        ...ref,
        metadata: {
          name: 'web',
          namespace: ns,
          labels: { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE },
          annotations: { [OWNER_ANNOTATION]: owner },
        },
        spec: { targetRef: { name: 'web' }, strategy: { canary: { steps: [{ setWeight: 20 }] } } },
      } as Canary);
      watch.ensure([
        { group: 'gitfleet.dev', version: 'v1alpha1', kind: 'Canary', namespace: ns, name: 'web' },
      ]);
      // Listed: the watch holds the Canary's resourceVersion, so what follows is a change it sees.
      await waitFor(
        'the watch holds the Canary',
        () => watch.resourceVersion(ref) === created.metadata.resourceVersion,
        {
          timeoutMs: 60_000,
        },
      );
      const written = await tenant.hub.admin.replaceStatus<Canary>(ref, {
        phase: 'Paused',
        health: 'Suspended',
        currentStep: 1,
        canaryWeight: 20,
        message: 'paused at step 1: waiting for promote',
      });
      await waitFor(
        'the owner woken by the status write',
        () => woken.includes(`${owner}@${written.metadata.resourceVersion}`),
        {
          timeoutMs: 60_000,
        },
      );
    } finally {
      watch.stop();
    }
  });
});
