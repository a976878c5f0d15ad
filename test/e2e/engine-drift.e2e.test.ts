import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Application } from '../../src/api/application.js';
import type { NotificationEvent, Notifier } from '../../src/controllers/notify/notifier.js';
import { startTenant, type Tenant } from '../harness/tenant.js';
import { configMap } from './engine-fixture.js';

describe('controller: DriftDetected while live objects differ from the last sync', () => {
  let t: Tenant;
  // The controller's notification port, recorded: which triggers fired, how often.
  const sent: NotificationEvent[] = [];
  beforeAll(async () => {
    t = await startTenant('eng-drift', {
      notifier: { notify: (ev: NotificationEvent) => void sent.push(ev) } as unknown as Notifier,
    });
  }, 120_000);
  afterAll(() => t?.stop());

  const waitFor = async (
    name: string,
    what: string,
    ok: (a: Application) => boolean,
  ): Promise<Application> => {
    const deadline = Date.now() + 45_000;
    for (;;) {
      const a = await t.getApp(name);
      if (ok(a)) return a;
      if (Date.now() > deadline) throw new Error(`${name}: not ${what}: ${JSON.stringify(a.status ?? {})}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  const drifted = (a: Application) =>
    a.status?.conditions?.find((c) => c.type === 'DriftDetected' && c.status === 'True');

  it('sets the condition on a hand edit, notifies once per drift, and clears it when healed', async () => {
    const { name, destNs } = await t.createApp(
      { 'cm.yaml': JSON.stringify(configMap('settings', { level: 'info' })) },
      {},
    );
    await waitFor(
      name,
      'Synced',
      (a) => a.status?.operationState?.phase === 'Succeeded' && a.status.sync?.status === 'Synced',
    );
    const edit = (level: string) =>
      t.hub.admin.request({
        method: 'PATCH',
        path: `/api/v1/namespaces/${destNs}/configmaps/settings`,
        query: { fieldManager: 'hand-edit' },
        body: { data: { level } },
        contentType: 'application/merge-patch+json',
      });
    const driftNotes = () => sent.filter((e) => e.app === name && e.trigger === 'DriftDetected');

    await edit('debug');
    const a = await waitFor(name, 'DriftDetected', (x) => !!drifted(x));
    expect(a.status?.sync?.status).toBe('OutOfSync');
    expect(drifted(a)?.message).toContain('ConfigMap');
    expect(driftNotes()).toHaveLength(1);

    // A second edit while still drifted: same drift, no second notification.
    await edit('trace');
    await waitFor(name, 'compared after the second edit', (x) =>
      (x.status?.resources ?? []).some((r) => r.name === 'settings' && (r.diff ?? '').includes('trace')),
    );
    expect(driftNotes()).toHaveLength(1);

    // Undone by hand: Synced again, the condition cleared; a new drift notifies again.
    await edit('info');
    await waitFor(name, 'healed', (x) => x.status?.sync?.status === 'Synced' && !drifted(x));
    await edit('warn');
    await waitFor(name, 'drifted again', (x) => !!drifted(x));
    expect(driftNotes()).toHaveLength(2);
  }, 120_000);
});
