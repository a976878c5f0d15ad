import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Application } from '../../src/api/application.js';
import { requestTerminate } from '../../src/controllers/application/terminate.js';
import { startTenant, type Tenant } from '../harness/tenant.js';
import { configMap } from './engine-fixture.js';

/** A wave-0 Deployment whose pod no node takes: Progressing until the health timeout. */
const stuck = (replicas: number): string =>
  JSON.stringify({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'db', annotations: { 'gitfleet.dev/sync-wave': '0' } },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'db' } },
      template: {
        metadata: { labels: { app: 'db' } },
        spec: { nodeSelector: { 'no-such-node': 'x' }, containers: [{ name: 'c', image: 'busybox' }] },
      },
    },
  });
const wave1 = JSON.stringify(configMap('after-db', { a: '1' }, { 'gitfleet.dev/sync-wave': '1' }));

describe('controller: a running operation is terminated, or cancelled by a new revision', () => {
  let t: Tenant;
  beforeAll(async () => {
    t = await startTenant('eng-term');
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
      if (Date.now() > deadline)
        throw new Error(`${name}: not ${what}: ${JSON.stringify(a.status?.operationState ?? {})}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  };
  const configMapIn = (ns: string) =>
    t.hub.admin.getOrUndefined({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'after-db' });

  it('gitfleet app terminate ends the operation Failed "terminated" and applies no later wave', async () => {
    // A health timeout far beyond the test: on a loaded machine the wait must end by the request.
    const { name, destNs } = await t.createApp(
      { 'db.yaml': stuck(1), 'cm.yaml': wave1 },
      {},
      { timeout: '30m' },
    );
    // The operation waits on wave 0 across reconciles, saved in status, with no worker held.
    const running = await waitFor(
      name,
      'Running at step 0',
      (a) => a.status?.operationState?.phase === 'Running',
    );
    expect(running.status?.operationState?.step?.index).toBe(0);
    expect(running.status?.operationState?.step?.waitingSince).toBeDefined();
    await requestTerminate(t.hub.admin, t.ns, name);
    const ended = await waitFor(name, 'Failed', (a) => a.status?.operationState?.phase === 'Failed');
    expect(ended.status?.operationState?.message).toBe('terminated');
    expect(ended.status?.operationState?.step).toBeUndefined();
    expect(await configMapIn(destNs)).toBeUndefined();
    // Nothing running any more: a second request is refused by name.
    await expect(requestTerminate(t.hub.admin, t.ns, name)).rejects.toThrow(/no running operation/);
  }, 90_000);

  it("a commit that leaves the app's files alone does not cancel its wait: it goes on at the new commit", async () => {
    const { name, repo } = await t.createApp(
      { 'app/db.yaml': stuck(1), 'app/cm.yaml': wave1 },
      { path: 'app' },
      { timeout: '30m' },
    );
    const running = await waitFor(
      name,
      'Running at step 0',
      (a) =>
        a.status?.operationState?.phase === 'Running' &&
        a.status.operationState.step?.waitingSince !== undefined,
    );
    const op = running.status?.operationState;
    const sha = await t.fleet.git.commit(repo, { 'README.md': 'docs only, outside the app' });
    t.controllers.apps?.refresh(`${t.ns}/${name}`);
    const moved = await waitFor(
      name,
      'Running at the new commit',
      (a) => a.status?.operationState?.revision === sha,
    );
    // The same operation (not a restarted one), still waiting on the same step since the same moment.
    expect(moved.status?.operationState?.phase).toBe('Running');
    expect(moved.status?.operationState?.startedAt).toBe(op?.startedAt);
    expect(moved.status?.operationState?.step?.index).toBe(op?.step?.index);
    expect(moved.status?.operationState?.step?.waitingSince).toBe(op?.step?.waitingSince);
    expect(moved.status?.sync?.revision).toBe(sha);
  }, 90_000);

  it('a new revision cancels the wait on the old one and syncs the new one', async () => {
    const { name, repo, destNs } = await t.createApp({ 'db.yaml': stuck(1), 'cm.yaml': wave1 }, {});
    const running = await waitFor(name, 'Running', (a) => a.status?.operationState?.phase === 'Running');
    const old = running.status?.operationState?.revision;
    // The fix: no replicas, so wave 0 becomes Available and wave 1 follows.
    await t.fleet.git.commit(repo, { 'db.yaml': stuck(0) });
    t.controllers.apps?.refresh(`${t.ns}/${name}`);
    const done = await waitFor(
      name,
      'Succeeded at the new revision',
      (a) => a.status?.operationState?.phase === 'Succeeded' && a.status.operationState.revision !== old,
    );
    expect(done.status?.operationState?.revision).not.toBe(old);
    expect(await configMapIn(destNs)).toBeDefined();
  }, 90_000);
});
