// Gateway API traffic splitting for an in-cluster canary, against the real upstream CRDs
// (sigs.k8s.io/gateway-api v1.6.3, standard channel, installed by test/harness/gateway-api.ts): the
// apiserver validates every HTTPRoute the delivery controller writes with the upstream schema and
// CEL rules. No Gateway controller runs, so the test asserts the stored backendRefs weights step by
// step, then a promotion (the stable Service moves to the new slot, 100/0) and an abort (back to
// 100/0 with the stable slot untouched). Between the two weights an analysis step measures a web
// endpoint the test serves; its run is read back from the real embedded audit store, recorded once.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_VERSION } from '../../src/api/application.js';
import { ABORT_ANNOTATION, PROMOTE_ANNOTATION, type Canary } from '../../src/api/delivery.js';
import { openAuditStore, type AuditStore } from '../../src/governance/audit/index.js';
import type { KubeObject } from '../../src/kube/index.js';
import { testFleet } from '../harness/context.js';
import { installGatewayApi } from '../harness/gateway-api.js';
import { startTenant, type Tenant } from '../harness/tenant.js';
import { waitFor } from '../harness/wait.js';

let tenant: Tenant;
let audit: AuditStore;
let metrics: Server;
let metricsUrl = '';
const dir = mkdtempSync(join(tmpdir(), 'gitfleet-delivery-gw-'));

beforeAll(async () => {
  metrics = createServer((_req, res) => {
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ data: { errorRate: 0.01 } }));
  });
  await new Promise<void>((r) => metrics.listen(0, '127.0.0.1', () => r()));
  const addr = metrics.address();
  metricsUrl = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/rate`;
  audit = await openAuditStore(join(dir, 'audit'));
  // Before the tenant's controllers start, so the delivery controller finds HTTPRoute served at once.
  const fleet = await testFleet();
  const hub = fleet.clusters[0];
  if (!hub) throw new Error('the test fleet has no clusters');
  await installGatewayApi(hub.admin);
  tenant = await startTenant('delivery-gw', { audit });
}, 240_000);

afterAll(async () => {
  tenant?.stop();
  await new Promise((r) => metrics?.close(r));
  await audit?.close();
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

const CANARY = `apiVersion: gitfleet.dev/v1alpha1
kind: Canary
metadata: { name: web }
spec:
  targetRef: { name: web }
  replicas: 2
  service: { port: 8080 }
  strategy:
    canary:
      trafficRouting:
        gatewayAPI:
          parentRefs: [{ name: edge }]
          hostnames: [web.example.test]
      steps:
        - setWeight: 20
        - pause: {}
        - setWeight: 50
        - analysis: { templates: [{ templateName: error-rate }] }
        - pause: {}
`;

const analysisTemplate = (): string => `apiVersion: gitfleet.dev/v1alpha1
kind: AnalysisTemplate
metadata: { name: error-rate }
spec:
  metrics:
    - name: error-rate
      successCondition: "result < 0.05"
      provider:
        web: { url: "${metricsUrl}", jsonPath: "$.data.errorRate" }
`;

interface Route extends KubeObject {
  spec: {
    parentRefs: { name: string }[];
    hostnames?: string[];
    rules: { backendRefs: { name: string; port: number; weight: number }[] }[];
  };
}
interface Deploy extends KubeObject {
  spec: { replicas: number; template: { spec: { containers: { image: string }[] } } };
}

describe('canary with Gateway API traffic routing', () => {
  it('shifts HTTPRoute weights step by step, promotes, then aborts back to stable', async () => {
    const app = await tenant.createApp(
      {
        'app/deploy.yaml': deployment('web:v1'),
        'app/canary.yaml': CANARY,
        'app/analysis.yaml': analysisTemplate(),
      },
      { path: 'app' },
    );
    const ns = app.destNs;
    const admin = tenant.hub.admin;
    const ref = (kind: string, name: string, apiVersion: string) => ({
      apiVersion,
      kind,
      namespace: ns,
      name,
    });
    const getCanary = () => admin.get<Canary>(ref('Canary', 'web', API_VERSION));
    const route = () => admin.getOrUndefined<Route>(ref('HTTPRoute', 'web', 'gateway.networking.k8s.io/v1'));
    const weights = (r: Route | undefined) =>
      r?.spec.rules[0]?.backendRefs.map((b) => `${b.name}=${b.weight}`).join(',');
    const stableSelects = async () =>
      (
        await admin.get<KubeObject & { spec: { selector: Record<string, string> } }>(
          ref('Service', 'web-stable', 'v1'),
        )
      ).spec.selector['gitfleet.dev/slot'];
    const image = async (slot: string) =>
      (await admin.get<Deploy>(ref('Deployment', `web-${slot}`, 'apps/v1'))).spec.template.spec.containers[0]
        ?.image;
    /** Waits until the Canary is in `phase` at `step` and the stored route carries `w`. */
    const at = async (what: string, phase: string, step: number | undefined, w: string) =>
      waitFor(
        what,
        async () => {
          const c = await getCanary();
          if (c.status?.phase !== phase || (step !== undefined && c.status.currentStep !== step))
            return false;
          const r = await route();
          return weights(r) === w ? { c, r: r as Route } : false;
        },
        { timeoutMs: 120_000, intervalMs: 250 },
      );

    // v1 is the first version: stable takes everything.
    const init = await at(
      'v1 initialized, route 100/0',
      'Initialized',
      undefined,
      'web-stable=100,web-canary=0',
    );
    expect(init.r.spec.parentRefs).toMatchObject([{ name: 'edge', kind: 'Gateway' }]);
    expect(init.r.spec.hostnames).toEqual(['web.example.test']);
    expect(init.r.spec.rules[0]?.backendRefs.every((b) => b.port === 8080)).toBe(true);
    expect((init.r.metadata.ownerReferences as Record<string, unknown>[] | undefined)?.[0]).toMatchObject({
      kind: 'Canary',
      name: 'web',
    });
    expect(init.c.status?.stableSlot).toBe('blue');

    // v2: 20% → promote → 50% → promote → stable.
    await tenant.fleet.git.commit(app.repo, { 'app/deploy.yaml': deployment('web:v2') });
    const p1 = await at('v2 paused at 20%', 'Paused', 1, 'web-stable=80,web-canary=20');
    expect(p1.c.status?.canaryWeight).toBe(20);
    expect(await image('green')).toBe('web:v2');
    const promote = (id: string) =>
      admin.patch(ref('Canary', 'web', API_VERSION), {
        metadata: { annotations: { [PROMOTE_ANNOTATION]: id } },
      });
    await promote('gw-1');
    // 50%, the analysis passes, then a pause at 50%.
    const p2 = await at('v2 analysed, paused at 50%', 'Paused', 4, 'web-stable=50,web-canary=50');
    expect(p2.c.status?.lastAnalysis?.phase).toBe('Successful');
    await promote('gw-2');
    const done = await at('v2 promoted, route 100/0', 'Succeeded', undefined, 'web-stable=100,web-canary=0');
    expect(done.c.status?.stableSlot).toBe('green');
    expect(done.c.status?.promotions).toHaveLength(1);
    await waitFor('web-stable selects green', async () => (await stableSelects()) === 'green', {
      timeoutMs: 60_000,
    });
    // The analysis run is in the audit trail once, with the Application's synced revision.
    const revision = (await tenant.getApp(app.name)).status?.sync?.revision ?? '';
    const analysed = async () =>
      (await audit.query({ app: `${tenant.ns}/${app.name}` })).filter((e) => e.operation === 'analysis');
    const [run] = await waitFor('analysis run audited', async () => {
      const rs = await analysed();
      return rs.length > 0 ? rs : undefined;
    });
    expect(run).toMatchObject({
      result: 'Succeeded',
      cluster: 'in-cluster',
      namespace: ns,
      project: tenant.project,
      revision,
    });
    expect(run?.message).toContain(`Canary ${ns}/web step 3: analysis error-rate Successful`);
    expect(run?.objects).toEqual([
      {
        kind: 'AnalysisMetric',
        namespace: ns,
        name: 'error-rate/error-rate',
        action: 'skipped',
        verdict: 'Successful',
        query: metricsUrl,
        values: ['0.01 (Successful)'],
      },
    ]);

    // v3: 20%, then aborted: the route goes back to 100/0 and stable (green, v2) is untouched.
    await tenant.fleet.git.commit(app.repo, { 'app/deploy.yaml': deployment('web:v3') });
    await at('v3 paused at 20%', 'Paused', 1, 'web-stable=80,web-canary=20');
    expect(await image('blue')).toBe('web:v3');
    await admin.patch(ref('Canary', 'web', API_VERSION), {
      metadata: { annotations: { [ABORT_ANNOTATION]: 'gw-abort-1' } },
    });
    const aborted = await at('v3 aborted, route 100/0', 'Aborted', undefined, 'web-stable=100,web-canary=0');
    expect(aborted.c.status?.stableSlot).toBe('green');
    expect(await stableSelects()).toBe('green');
    expect(await image('green')).toBe('web:v2');
    await waitFor(
      'aborted canary slot scaled to 0',
      async () => (await admin.get<Deploy>(ref('Deployment', 'web-blue', 'apps/v1'))).spec.replicas === 0,
      { timeoutMs: 60_000 },
    );
    // The run was written when its status write succeeded, so it is there once, not per reconcile.
    expect(await analysed()).toHaveLength(1);
  }, 420_000);
});
