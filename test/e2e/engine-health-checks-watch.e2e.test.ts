import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Application } from '../../src/api/application.js';
import { ControllerMetrics } from '../../src/controllers/metrics.js';
import { HealthChecksWatch } from '../../src/controllers/application/health-checks-watch.js';
import { createNamespace } from '../harness/context.js';
import { startTenant, type Tenant } from '../harness/tenant.js';
import { waitFor } from '../harness/wait.js';
import { configMap } from './engine-fixture.js';

/**
 * An app Progressing on an object outside it (`spec.healthChecks`) is woken by that object's watch,
 * not re-checked every 2 s: reconciles are counted through the controller's own per-object metric
 * (gitfleet_reconcile_duration_seconds), never timed.
 */
describe('controller: spec.healthChecks objects are watched', () => {
  let t: Tenant;
  const metrics = new ControllerMetrics({ processMetrics: false });
  beforeAll(async () => {
    // A long poll: every reconcile counted below comes from a watch event or the Progressing fallback.
    t = await startTenant('eng-hc-watch', { pollIntervalMs: 600_000, metrics });
  }, 120_000);
  afterAll(() => t?.stop());

  const reconciles = async (name: string): Promise<number> => {
    const m = await metrics.registry.getSingleMetric('gitfleet_reconcile_duration_seconds')?.get();
    // A histogram's values carry their series name (_bucket, _sum, _count).
    const v = (m?.values as ({ metricName?: string } & NonNullable<typeof m>['values'][number])[]).find(
      (x) =>
        x.metricName === 'gitfleet_reconcile_duration_seconds_count' &&
        x.labels.namespace === t.ns &&
        x.labels.name === name,
    );
    return v?.value ?? 0;
  };

  it('a Progressing external object costs a few fallback looks; its turning ready wakes the app at once', async () => {
    const extNs = await createNamespace(t.hub.admin, 'eng-hc-ext');
    // A LoadBalancer Service is Progressing until an address is published (no cloud provider here:
    // the test publishes it, as a cloud controller would).
    await t.hub.admin.create({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'edge', namespace: extNs },
      spec: { type: 'LoadBalancer', ports: [{ port: 80 }] },
    });
    const { name } = await t.createApp(
      { 'cm.yaml': JSON.stringify(configMap('settings', { level: 'info' })) },
      {},
      { healthChecks: [{ apiVersion: 'v1', kind: 'Service', name: 'edge', namespace: extNs }] },
    );
    const progressing = await waitFor(
      `${name} Synced and Progressing on the external Service`,
      async () => {
        const a: Application = await t.getApp(name);
        return a.status?.operationState?.phase === 'Succeeded' &&
          a.status.sync?.status === 'Synced' &&
          a.status.health?.status === 'Progressing'
          ? a
          : undefined;
      },
      { timeoutMs: 90_000 },
    );
    expect(progressing.status?.health?.message).toContain(`healthChecks: Service/${extNs}/edge`);

    // The address takes 20 s to come (the scenario, not a wait for the controller): a 2 s re-check
    // would reconcile ten times meanwhile; the watched app's fallback backs off from 5 s.
    const before = await reconciles(name);
    await new Promise((r) => setTimeout(r, 20_000));
    const during = (await reconciles(name)) - before;

    const atReady = await reconciles(name);
    await t.hub.admin.request({
      method: 'PATCH',
      path: `/api/v1/namespaces/${extNs}/services/edge/status`,
      body: { status: { loadBalancer: { ingress: [{ ip: '192.0.2.10' }] } } },
      contentType: 'application/merge-patch+json',
    });
    await waitFor(
      `${name} Healthy once the Service has an address`,
      async () => (await t.getApp(name)).status?.health?.status === 'Healthy',
      { timeoutMs: 90_000 },
    );
    const toHealthy = (await reconciles(name)) - atReady;
    console.log(`reconciles: ${during} while Progressing for 20 s; ${toHealthy} from ready to Healthy`);
    expect(during).toBeLessThanOrEqual(6);
    // The watch event's reconcile sees it (one more may be a fallback due at the same moment).
    expect(toHealthy).toBeGreaterThanOrEqual(1);
    expect(toHealthy).toBeLessThanOrEqual(3);
  }, 240_000);

  it('the watch wakes exactly the apps naming the object, serves it from its cache, and lets go of it', async () => {
    const extNs = await createNamespace(t.hub.admin, 'eng-hc-watch');
    const ref = { apiVersion: 'v1', kind: 'ConfigMap', namespace: extNs, name: 'gate' };
    await t.hub.admin.create({
      ...configMap('gate', { open: 'no' }),
      metadata: { name: 'gate', namespace: extNs },
    });
    const woken: string[] = [];
    const watch = new HealthChecksWatch(t.hub.admin, (owner) => woken.push(owner));
    try {
      watch.track('apps/a', [ref]);
      watch.track('apps/b', [ref]);
      watch.track('apps/c', [{ ...ref, name: 'other' }]);
      expect(watch.size).toBe(2);
      await waitFor('the watch to list', () => watch.covers('apps/a') && watch.covers('apps/c'));
      const listed = watch.lookup(ref);
      expect(listed.known && listed.object?.metadata.name).toBe('gate');
      const absent = watch.lookup({ ...ref, name: 'other' });
      expect(absent).toEqual({ known: true, object: undefined });

      woken.length = 0;
      await t.hub.admin.patch(ref, { data: { open: 'yes' } }, { type: 'merge' });
      await waitFor('both owners woken', () => woken.includes('apps/a') && woken.includes('apps/b'));
      expect(woken).not.toContain('apps/c');
      await waitFor('the cache to hold the edit', () => {
        const w = watch.lookup(ref);
        return w.known && (w.object as { data?: Record<string, string> } | undefined)?.data?.open === 'yes';
      });

      // An app that stops naming it (or is deleted) releases it; the last one stops the informer.
      watch.track('apps/a', []);
      expect(watch.size).toBe(2);
      watch.forget('apps/b');
      expect(watch.size).toBe(1);
      expect(watch.lookup(ref)).toEqual({ known: false });
    } finally {
      watch.stop();
    }
  }, 60_000);
});
