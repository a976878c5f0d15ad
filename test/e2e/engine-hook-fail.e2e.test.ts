import { beforeAll, describe, expect, it } from 'vitest';
import { createNamespace, uniqueName } from '../harness/context.js';
import type { KubeClient } from '../../src/kube/index.js';
import { configMap, hookJob, manifests, request, runToEnd, adminClient, lastOf } from './engine-fixture.js';

describe('engine: a failing PreSync hook', () => {
  let client: KubeClient;
  let ns: string;
  beforeAll(async () => {
    client = await adminClient();
    ns = await createNamespace(client, 'eng-hookfail');
  });

  it('fails the operation before anything of the Sync phase is applied', async () => {
    const owner = `${ns}/${uniqueName('app')}`;
    const runs = await runToEnd(
      client,
      request(
        owner,
        ns,
        manifests(hookJob('migrate', 'PreSync', { fail: true }), configMap('app', { a: '1' })),
      ),
    );
    const last = lastOf(runs);
    expect(last.phase).toBe('Failed');
    expect(last.message).toMatch(/PreSync wave 0 hook: Job\/\S*\/migrate is Degraded/);
    // The earlier calls waited on the hook instead of failing or going on.
    expect(runs.slice(0, -1).every((r) => r.phase === 'Running' && r.progress.step === 0)).toBe(true);
    expect(
      await client.getOrUndefined({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'app' }),
    ).toBeUndefined();
  }, 60_000);
});
