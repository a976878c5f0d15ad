// Progressive delivery against real components: the Application syncs a Deployment, a Canary and
// an AnalysisTemplate from Git; a real Prometheus scrapes a metrics target whose counters the test
// sets; kwok makes the slot pods Ready. Canary pass, canary rollback at 20%, blue/green switch
// after analysis, and a controller restart in the middle of a canary.
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_VERSION } from '../../src/api/application.js';
import { PROMOTE_ANNOTATION, type Canary } from '../../src/api/delivery.js';
import type { KubeObject } from '../../src/kube/index.js';
import { startControllers, type TestControllers } from '../harness/controllers.js';
import { startMetricsTarget, type MetricsTarget } from '../harness/metrics-target.js';
import { startPrometheus, type Prometheus } from '../harness/prometheus.js';
import { startTenant, type Tenant } from '../harness/tenant.js';
import { waitFor } from '../harness/wait.js';

let tenant: Tenant;
let target: MetricsTarget;
let prometheus: Prometheus;
let receiver: Server;
let receiverPort = 0;
const received: string[] = [];
const extra: TestControllers[] = [];
const dir = mkdtempSync(join(tmpdir(), 'gitfleet-delivery-'));

beforeAll(async () => {
  tenant = await startTenant('delivery');
  target = await startMetricsTarget();
  prometheus = await startPrometheus(join(dir, 'prometheus'), join(tenant.fleet.info.runDir, 'logs'), [
    target.address,
  ]);
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      received.push(body);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
  const addr = receiver.address();
  receiverPort = typeof addr === 'object' && addr ? addr.port : 0;
  await tenant.hub.admin.create({
    apiVersion: API_VERSION,
    kind: 'NotificationRule',
    metadata: { name: 'delivery', namespace: tenant.ns },
    spec: {
      triggers: ['AnalysisFailed', 'RolledBack', 'CanaryPromoted'],
      destination: {
        webhook: {
          url: `http://127.0.0.1:${receiverPort}/hook`,
          template: '{{trigger}} {{app}}: {{message}}',
        },
      },
    },
  } as KubeObject);
});

afterAll(async () => {
  for (const c of extra) c.stop();
  tenant?.stop();
  await prometheus?.stop();
  await target?.stop();
  await new Promise((r) => receiver?.close(r));
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

const analysisTemplate = (): string => `apiVersion: gitfleet.dev/v1alpha1
kind: AnalysisTemplate
metadata: { name: error-rate }
spec:
  args: [{ name: namespace }]
  metrics:
    - name: error-rate
      interval: 1s
      count: 2
      successCondition: "result[0] < 0.05"
      provider:
        prometheus:
          address: ${prometheus.url}
          query: sum(demo_requests_total{app="{{args.namespace}}",code="500"}) / sum(demo_requests_total{app="{{args.namespace}}"})
`;

const canary = (strategy: string): string => `apiVersion: gitfleet.dev/v1alpha1
kind: Canary
metadata: { name: web }
spec:
  targetRef: { name: web }
  replicas: 4
  strategy:
${strategy}`;

const STEPS = `    canary:
      steps:
        - setWeight: 20
        - analysis: { templates: [{ templateName: error-rate }] }
        - setWeight: 60
        - pause: { duration: 1s }
`;

async function getCanary(ns: string): Promise<Canary> {
  return tenant.hub.admin.get<Canary>({
    apiVersion: API_VERSION,
    kind: 'Canary',
    namespace: ns,
    name: 'web',
  });
}

interface Deploy extends KubeObject {
  spec: { replicas: number; template: { spec: { containers: { image: string }[] } } };
}
async function slot(ns: string, s: string): Promise<Deploy> {
  return tenant.hub.admin.get<Deploy>({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    namespace: ns,
    name: `web-${s}`,
  });
}
const imageOf = (d: Deploy): string | undefined => d.spec.template.spec.containers[0]?.image;

async function waitPhase(
  ns: string,
  what: string,
  ok: (c: Canary) => boolean,
  timeoutMs = 60_000,
): Promise<Canary> {
  return waitFor(
    what,
    async () => {
      const c = await getCanary(ns);
      return ok(c) ? c : undefined;
    },
    { timeoutMs, intervalMs: 250 },
  );
}

describe('canary', () => {
  it('promotes a canary whose analysis passes, then rolls back one whose error rate crosses the threshold at 20%', async () => {
    const app = await tenant.createApp(
      {
        'app/deploy.yaml': deployment('web:v1'),
        'app/canary.yaml': canary(STEPS),
        'app/analysis.yaml': analysisTemplate(),
      },
      { path: 'app' },
    );
    const ns = app.destNs;
    target.set(ns, 1000, 0);
    const init = await waitPhase(ns, 'canary initialized', (c) => c.status?.phase === 'Initialized', 90_000);
    expect(init.status?.stableSlot).toBe('blue');
    expect(imageOf(await slot(ns, 'blue'))).toBe('web:v1');

    // v2 with no errors: 20% → analysis (2 measurements) → 60% → pause → promoted.
    await tenant.fleet.git.commit(app.repo, { 'app/deploy.yaml': deployment('web:v2') });
    const seen = new Set<number>();
    const done = await waitFor(
      'v2 promoted',
      async () => {
        const c = await getCanary(ns);
        if (c.status?.canaryWeight) seen.add(c.status.canaryWeight);
        return c.status?.phase === 'Succeeded' ? c : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 200 },
    );
    expect(done.status?.stableSlot).toBe('green');
    expect(done.status?.promotions).toHaveLength(1);
    expect(done.status?.lastAnalysis?.phase).toBe('Successful');
    expect(done.status?.lastAnalysis?.metrics[0]?.measurements.map((m) => m.verdict)).toEqual([
      'Successful',
      'Successful',
    ]);
    expect(seen.has(20)).toBe(true);
    expect(imageOf(await slot(ns, 'green'))).toBe('web:v2');
    await waitFor('old slot scaled to 0', async () => (await slot(ns, 'blue')).spec.replicas === 0);
    const targetDeploy = await tenant.hub.admin.get<Deploy>({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      namespace: ns,
      name: 'web',
    });
    expect(targetDeploy.spec.replicas).toBe(0);

    // v3 with 23% errors: rolled back at 20%, stable (green, v2) untouched.
    target.set(ns, 1000, 300);
    await waitFor('prometheus sees the errors', async () => {
      const r = await prometheus.query(`demo_requests_total{app="${ns}",code="500"}`);
      return r[0]?.value === 300;
    });
    await tenant.fleet.git.commit(app.repo, { 'app/deploy.yaml': deployment('web:v3') });
    const failed = await waitPhase(ns, 'v3 rolled back', (c) => c.status?.phase === 'Failed');
    expect(failed.status?.health).toBe('Degraded');
    expect(failed.status?.stableSlot).toBe('green');
    expect(failed.status?.message).toContain('0.23');
    expect(failed.status?.message).toContain('demo_requests_total');
    const metric = failed.status?.lastAnalysis?.metrics[0];
    expect(metric?.phase).toBe('Failed');
    expect(metric?.measurements.at(-1)?.value).toContain('0.23');
    const green = await slot(ns, 'green');
    expect(imageOf(green)).toBe('web:v2');
    expect(green.spec.replicas).toBe(4);
    await waitFor('canary slot scaled to 0', async () => (await slot(ns, 'blue')).spec.replicas === 0);
    await waitFor(
      'RolledBack and AnalysisFailed notified',
      () =>
        received.some((b) => b.includes('RolledBack')) && received.some((b) => b.includes('AnalysisFailed')),
    );
    expect(received.some((b) => b.includes('CanaryPromoted'))).toBe(true);
    // The Application shows the Canary's health: Degraded, naming its phase and step and why. The
    // Canary's status change wakes the app (its owned-objects watch), so no resync is waited for.
    const degraded = await waitFor(
      'Application Degraded, naming the Canary',
      async () => {
        const h = (await tenant.getApp(app.name)).status?.health;
        return h?.status === 'Degraded' && h.message?.includes('Canary web Failed at step 1/4')
          ? h
          : undefined;
      },
      { timeoutMs: 60_000 },
    );
    expect(degraded.message).toContain('0.23');
  });

  it('resumes at the same step after a controller restart and promotes once', async () => {
    const app = await tenant.createApp(
      {
        'app/deploy.yaml': deployment('web:v1'),
        'app/canary.yaml': canary(`    canary:
      steps:
        - setWeight: 20
        - pause: {}
        - setWeight: 50
`),
      },
      { path: 'app' },
    );
    const ns = app.destNs;
    await waitPhase(ns, 'initialized', (c) => c.status?.phase === 'Initialized', 90_000);
    await tenant.fleet.git.commit(app.repo, { 'app/deploy.yaml': deployment('web:v2') });
    const paused = await waitPhase(ns, 'paused at step 1', (c) => c.status?.phase === 'Paused');
    expect(paused.status?.currentStep).toBe(1);
    expect(paused.status?.canaryWeight).toBe(20);
    // The app follows the Canary: a pause waiting for a promote is Suspended, at that step.
    await waitFor(
      'Application Suspended at the paused step',
      async () => {
        const h = (await tenant.getApp(app.name)).status?.health;
        return (
          h?.status === 'Suspended' && !!h.message?.includes('Canary web Paused at step 1/3, weight 20%')
        );
      },
      { timeoutMs: 60_000 },
    );

    // Stop the hub and start another one on the same cluster.
    tenant.controllers.stop();
    const again = await startControllers({
      kubeconfig: tenant.hub.kubeconfig,
      namespace: tenant.ns,
      cacheDir: join(dir, 'sources-2'),
      apps: true,
      pollIntervalMs: 1000,
    });
    extra.push(again);
    // The new controller has looked at the Canary twice (it requeues a paused one every 2 s) and
    // kept it where it was: what it decides is proven, not waited out.
    await waitFor(
      'the restarted controller reconciled the Canary twice',
      () => (again.hub.delivery?.local.looked(ns, 'web') ?? 0) >= 2,
      {
        timeoutMs: 60_000,
      },
    );
    const resumed = await getCanary(ns);
    expect(resumed.status?.phase).toBe('Paused');
    expect(resumed.status?.currentStep).toBe(1);
    expect(resumed.status?.canaryWeight).toBe(20);
    expect((await slot(ns, 'green')).spec.replicas).toBe(1);

    await tenant.hub.admin.patch(
      { apiVersion: API_VERSION, kind: 'Canary', namespace: ns, name: 'web' },
      { metadata: { annotations: { [PROMOTE_ANNOTATION]: 'req-1' } } },
    );
    const done = await waitPhase(ns, 'promoted after restart', (c) => c.status?.phase === 'Succeeded');
    expect(done.status?.promotions).toHaveLength(1);
    expect(imageOf(await slot(ns, 'green'))).toBe('web:v2');
  });
});

describe('blue/green', () => {
  it('switches the active Service only after the pre-promotion analysis passed', async () => {
    const app = await tenant.createApp(
      {
        'app/deploy.yaml': deployment('web:v1'),
        'app/canary.yaml': canary(`    blueGreen:
      prePromotionAnalysis: { templates: [{ templateName: error-rate }] }
`),
        'app/analysis.yaml': analysisTemplate(),
      },
      { path: 'app' },
    );
    const ns = app.destNs;
    target.set(ns, 500, 0);
    await waitPhase(ns, 'initialized', (c) => c.status?.phase === 'Initialized', 90_000);
    const selector = async (svc: string): Promise<string | undefined> =>
      (
        await tenant.hub.admin.get<KubeObject & { spec: { selector: Record<string, string> } }>({
          apiVersion: 'v1',
          kind: 'Service',
          namespace: ns,
          name: svc,
        })
      ).spec.selector['gitfleet.dev/slot'];
    expect(await selector('web-active')).toBe('blue');
    await tenant.fleet.git.commit(app.repo, { 'app/deploy.yaml': deployment('web:v2') });
    // While the analysis runs, the preview serves v2 and the active Service still selects blue.
    const analysing = await waitPhase(ns, 'analysis running', (c) => c.status?.analysis?.phase === 'Running');
    expect(analysing.status?.stableSlot).toBe('blue');
    expect(await selector('web-active')).toBe('blue');
    expect(await selector('web-preview')).toBe('green');
    expect(imageOf(await slot(ns, 'green'))).toBe('web:v2');
    const done = await waitPhase(ns, 'switched', (c) => c.status?.phase === 'Succeeded');
    expect(done.status?.lastAnalysis?.phase).toBe('Successful');
    await waitFor('active selects green', async () => (await selector('web-active')) === 'green');
  });
});
