import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Application } from '../../src/api/application.js';
import { ControllerMetrics } from '../../src/controllers/metrics.js';
import { startTenant, type Tenant } from '../harness/tenant.js';
import { configMap } from './engine-fixture.js';

/**
 * A settled app's polls stop at the fetch when they find the commit its last full look compared
 * (continuation.ts QuietRecord): counted by the reconcile histogram's `quiet` outcome. A new commit
 * found by a poll, a hand edit and a change of the Application still get the full comparison.
 */
describe('controller: quiet polls of a settled app', () => {
  let t: Tenant;
  const metrics = new ControllerMetrics({ processMetrics: false });
  beforeAll(async () => {
    // Polls every second, no webhook: every new commit below is found by a poll.
    t = await startTenant('eng-quiet', { pollIntervalMs: 1000, metrics });
  }, 120_000);
  afterAll(() => t?.stop());

  const looks = async (outcome: 'ok' | 'quiet'): Promise<number> => {
    const m = await metrics.registry.getSingleMetric('gitfleet_app_reconcile_duration_seconds')?.get();
    const v = (m?.values as ({ metricName?: string } & NonNullable<typeof m>['values'][number])[]).find(
      (x) => x.metricName === 'gitfleet_app_reconcile_duration_seconds_count' && x.labels.outcome === outcome,
    );
    return v?.value ?? 0;
  };
  const waitFor = async (what: string, ok: () => Promise<boolean>, ms = 45_000): Promise<void> => {
    const deadline = Date.now() + ms;
    while (!(await ok())) {
      if (Date.now() > deadline) throw new Error(`not ${what} within ${ms} ms`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  it('stops polls at the fetch while nothing changed, and still applies a commit, heals a hand edit and follows a spec change', async () => {
    const { name, repo, destNs } = await t.createApp(
      { 'cm.yaml': JSON.stringify(configMap('settings', { level: 'info' })) },
      {},
      { syncPolicy: { automated: { prune: true, selfHeal: true } } },
    );
    const app = (): Promise<Application> => t.getApp(name);
    const level = async (): Promise<string | undefined> =>
      (
        (
          await t.hub.admin.getOrUndefined({
            apiVersion: 'v1',
            kind: 'ConfigMap',
            namespace: destNs,
            name: 'settings',
          })
        )?.data as Record<string, string> | undefined
      )?.level;
    const settled = async (): Promise<boolean> => {
      const a = await app();
      return a.status?.sync?.status === 'Synced' && a.status.health?.status === 'Healthy';
    };
    await waitFor('Synced and Healthy', settled);

    // Quiet: one app polled every second. Once a poll has stopped at the fetch (the look that saw
    // it turn Healthy may have been the Deployment's wake, the next poll then looks in full), the
    // polls stop there; none compares or writes.
    const first = await looks('quiet');
    await waitFor('a quiet poll', async () => (await looks('quiet')) > first, 10_000);
    const quiet0 = await looks('quiet');
    const full0 = await looks('ok');
    const status0 = JSON.stringify((await app()).status);
    await sleep(5000);
    expect(await looks('quiet')).toBeGreaterThanOrEqual(quiet0 + 3);
    expect(await looks('ok')).toBe(full0);
    expect(JSON.stringify((await app()).status)).toBe(status0);

    // A commit found by a poll: compared and applied (no push webhook in this test).
    await t.fleet.git.commit(repo, {
      'cm.yaml': JSON.stringify(configMap('settings', { level: 'debug' })),
    });
    await waitFor('the commit applied', async () => (await level()) === 'debug');
    // Counted when the look ends, a moment after its apply.
    await waitFor('the commit looked at in full', async () => (await looks('ok')) > full0, 10_000);

    // A hand edit: the object's watch wakes the app, not a poll, and selfHeal undoes it.
    await waitFor('settled at the new commit', settled);
    await t.hub.admin.request({
      method: 'PATCH',
      path: `/api/v1/namespaces/${destNs}/configmaps/settings`,
      query: { fieldManager: 'hand-edit' },
      body: { data: { level: 'trace' } },
      contentType: 'application/merge-patch+json',
    });
    await waitFor('the hand edit healed', async () => (await level()) === 'debug');

    // A spec change (a new target namespace for nothing, a label): compared in full at once.
    await waitFor('settled after healing', settled);
    const full1 = await looks('ok');
    await t.hub.admin.request({
      method: 'PATCH',
      path: `/apis/gitfleet.dev/v1alpha1/namespaces/${t.ns}/applications/${name}`,
      body: { metadata: { labels: { team: 'quiet' } } },
      contentType: 'application/merge-patch+json',
    });
    await waitFor('a full look after the label', async () => (await looks('ok')) > full1, 10_000);
  }, 120_000);
});
