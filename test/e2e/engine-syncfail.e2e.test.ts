import { beforeAll, describe, expect, it } from 'vitest';
import { createNamespace, uniqueName } from '../harness/context.js';
import type { KubeClient, KubeObject } from '../../src/kube/index.js';
import { configMap, hookJob, manifests, request, runToEnd, adminClient, lastOf } from './engine-fixture.js';

describe('engine: SyncFail hooks run and are awaited when a sync fails', () => {
  let client: KubeClient;
  let ns: string;
  beforeAll(async () => {
    client = await adminClient();
    ns = await createNamespace(client, 'eng-syncfail');
  });

  it('a failed PreSync hook runs the SyncFail hook, waits for it, then ends Failed with the first failure', async () => {
    const owner = `${ns}/${uniqueName('app')}`;
    const runs = await runToEnd(
      client,
      request(
        owner,
        ns,
        manifests(
          hookJob('migrate', 'PreSync', { fail: true }),
          hookJob('notify-failure', 'SyncFail'),
          configMap('app', { a: '1' }),
        ),
      ),
    );
    const last = lastOf(runs);
    expect(last.phase).toBe('Failed');
    expect(last.syncPhase).toBe('SyncFail');
    // The operation's failure is the PreSync hook's, not the SyncFail hook's.
    expect(last.message).toMatch(/^PreSync wave 0 hook: Job\/\S*\/migrate is Degraded/);
    // The SyncFail hook was awaited across calls (persisted progress), not fired and forgotten.
    const awaiting = runs.filter((r) => r.phase === 'Running' && r.syncPhase === 'SyncFail');
    expect(awaiting.length).toBeGreaterThan(0);
    expect(awaiting.every((r) => r.progress.failing?.message === last.message)).toBe(true);
    expect(runs.filter((r) => r.phase === 'Running' && r.syncPhase === 'PreSync').length).toBeGreaterThan(0);
    const hook = last.changes.find((c) => c.ref.name === 'notify-failure');
    expect(hook?.syncPhase).toBe('SyncFail');
    expect(hook?.health?.status).toBe('Healthy');
    expect(last.changes.find((c) => c.ref.name === 'migrate')?.syncPhase).toBe('PreSync');
    const job = await client.getOrUndefined<KubeObject & { status?: { succeeded?: number } }>({
      apiVersion: 'batch/v1',
      kind: 'Job',
      namespace: ns,
      name: 'notify-failure',
    });
    expect(job?.status?.succeeded).toBe(1);
    // Nothing of the Sync phase was applied.
    expect(
      await client.getOrUndefined({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'app' }),
    ).toBeUndefined();
  }, 90_000);

  it('a successful sync never runs SyncFail hooks and reports its phases', async () => {
    const owner = `${ns}/${uniqueName('app')}`;
    const runs = await runToEnd(
      client,
      request(
        owner,
        ns,
        manifests(hookJob('after', 'PostSync'), hookJob('on-fail', 'SyncFail'), configMap('ok', { a: '1' })),
      ),
    );
    const last = lastOf(runs);
    expect(last.phase).toBe('Succeeded');
    expect(last.syncPhase).toBe('PostSync');
    expect(last.changes.map((c) => `${c.ref.name}:${c.syncPhase}`).sort()).toEqual([
      'after:PostSync',
      'ok:Sync',
    ]);
    expect(
      await client.getOrUndefined({ apiVersion: 'batch/v1', kind: 'Job', namespace: ns, name: 'on-fail' }),
    ).toBeUndefined();
  }, 90_000);
});
