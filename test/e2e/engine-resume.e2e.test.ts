import { beforeAll, describe, expect, it } from 'vitest';
import { createNamespace, uniqueName } from '../harness/context.js';
import type { KubeClient } from '../../src/kube/index.js';
import {
  actions,
  configMap,
  deployment,
  manifests,
  request,
  runToEnd,
  step,
  adminClient,
  lastOf,
} from './engine-fixture.js';

describe('engine: waves as resumable steps', () => {
  let client: KubeClient;
  let ns: string;
  beforeAll(async () => {
    client = await adminClient();
    ns = await createNamespace(client, 'eng-resume');
  });

  it('applies a wave, returns while it progresses, and a later call resumes at the saved step', async () => {
    const owner = `${ns}/${uniqueName('app')}`;
    const req = request(
      owner,
      ns,
      manifests(
        deployment('db', { 'gitfleet.dev/sync-wave': '0' }),
        configMap('after-db', { a: '1' }, { 'gitfleet.dev/sync-wave': '1' }),
      ),
    );
    const first = await step(client, req);
    // Wave 0 applied, not yet observed: the call returns instead of waiting; wave 1 is untouched.
    expect(first.phase).toBe('Running');
    expect(first.progress.step).toBe(0);
    expect(first.progress.waitingSince).toBeTypeOf('number');
    expect(first.message).toContain('Deployment');
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'after-db' };
    expect(await client.getOrUndefined(cm)).toBeUndefined();

    // As a restarted controller: only the persisted progress and changes carry over.
    const rest = await runToEnd(client, req, { progress: first.progress, changes: first.changes });
    const last = lastOf(rest);
    expect(last.phase).toBe('Succeeded');
    expect(actions(last)).toEqual(['Deployment/db:created', 'ConfigMap/after-db:created']);
    // The resumed calls never applied the awaited wave again.
    expect(rest.some((r) => r.applied.has(`apps/Deployment/${ns}/db`))).toBe(false);
    expect(await client.getOrUndefined(cm)).toBeDefined();
  }, 60_000);

  it('does not wait for the health of the last wave', async () => {
    const owner = `${ns}/${uniqueName('app')}`;
    const r = await step(client, request(owner, ns, manifests(deployment('solo'))));
    // One wave, no hooks: Succeeded as soon as applied, while the Deployment still rolls out.
    expect(r.phase).toBe('Succeeded');
    expect(actions(r)).toEqual(['Deployment/solo:created']);
  }, 30_000);
});
