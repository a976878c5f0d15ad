import { beforeAll, describe, expect, it } from 'vitest';
import { createNamespace, uniqueName } from '../harness/context.js';
import type { KubeClient } from '../../src/kube/index.js';
import { hookJob, manifests, request, runToEnd, adminClient, lastOf } from './engine-fixture.js';

describe('engine: BeforeHookCreation', () => {
  let client: KubeClient;
  let ns: string;
  beforeAll(async () => {
    client = await adminClient();
    ns = await createNamespace(client, 'eng-bhc');
  });

  it('deletes the hook left by the previous operation and creates it anew', async () => {
    const owner = `${ns}/${uniqueName('app')}`;
    const req = request(
      owner,
      ns,
      manifests(hookJob('migrate', 'PreSync', { deletePolicy: 'BeforeHookCreation' })),
    );
    const ref = { apiVersion: 'batch/v1', kind: 'Job', namespace: ns, name: 'migrate' };
    const first = await runToEnd(client, req);
    expect(lastOf(first).phase).toBe('Succeeded');
    const before = await client.get(ref);
    const second = await runToEnd(client, req);
    expect(lastOf(second).phase).toBe('Succeeded');
    const after = await client.get(ref);
    // A Job's template is immutable: only a new object (new uid) could run the hook again.
    expect(after.metadata.uid).not.toBe(before.metadata.uid);
  }, 90_000);

  it('refuses to delete a same-named object it does not own', async () => {
    const owner = `${ns}/${uniqueName('app')}`;
    await client.create({ ...hookJob('foreign', 'PreSync'), metadata: { name: 'foreign', namespace: ns } });
    const runs = await runToEnd(
      client,
      request(owner, ns, manifests(hookJob('foreign', 'PreSync', { deletePolicy: 'BeforeHookCreation' }))),
    );
    const last = lastOf(runs);
    expect(last.phase).toBe('Failed');
    expect(last.message).toContain('not managed by gitfleet');
    expect(
      await client.getOrUndefined({ apiVersion: 'batch/v1', kind: 'Job', namespace: ns, name: 'foreign' }),
    ).toBeDefined();
  }, 60_000);
});
