import { beforeAll, describe, expect, it } from 'vitest';
import { createNamespace, uniqueName } from '../harness/context.js';
import type { KubeClient, KubeObject } from '../../src/kube/index.js';
import { asKubeObject } from '../../src/engine/render/yaml-docs.js';
import { HOOK_ID_LABEL } from '../../src/engine/sync/generated-hooks.js';
import { adminClient, configMap, lastOf, manifests, request, runToEnd } from './engine-fixture.js';

/** Argo CD's sync-waves example shape: a PreSync Job with generateName and BeforeHookCreation. */
const generatedHook = (): KubeObject =>
  // Through render's own check, so the object carries the placeholder name render gives it.
  asKubeObject(
    {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: {
        generateName: 'upgrade-sql-schema-',
        annotations: {
          'argocd.argoproj.io/hook': 'PreSync',
          'argocd.argoproj.io/hook-delete-policy': 'BeforeHookCreation',
        },
      },
      spec: {
        backoffLimit: 0,
        template: {
          spec: { restartPolicy: 'Never', containers: [{ name: 'run', image: 'busybox' }] },
        },
      },
    },
    { file: 'hooks.yaml', line: 1 },
  );

async function waitGone(client: KubeClient, ns: string, name: string): Promise<boolean> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (!(await client.getOrUndefined({ apiVersion: 'batch/v1', kind: 'Job', namespace: ns, name })))
      return true;
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}

describe('engine: hooks with metadata.generateName', () => {
  let client: KubeClient;
  let ns: string;
  beforeAll(async () => {
    client = await adminClient();
    ns = await createNamespace(client, 'eng-gen');
  });

  it('creates a PreSync run before the wave; a second sync creates a new run and removes the first', async () => {
    const owner = `${ns}/${uniqueName('app')}`;
    const req = request(owner, ns, manifests(generatedHook(), configMap('settings', { a: '1' })));

    const first = await runToEnd(client, req);
    expect(lastOf(first).phase).toBe('Succeeded');
    const firstChanges = lastOf(first).changes;
    const job1 = firstChanges.find((c) => c.ref.kind === 'Job');
    expect(job1?.action).toBe('created');
    expect(job1?.syncPhase).toBe('PreSync');
    const name1 = job1?.ref.name ?? '';
    // The API server named it from the prefix; the placeholder was never sent.
    expect(name1).toMatch(/^upgrade-sql-schema-[a-z0-9]{5}$/);
    // The hook ran (and was awaited) before the Sync wave's ConfigMap was applied.
    const order = firstChanges.map((c) => c.ref.kind);
    expect(order.indexOf('Job')).toBeLessThan(order.indexOf('ConfigMap'));
    // Every call that waited saved the generated name, so the next call (or a restarted
    // controller) reads that very object.
    for (const r of first.filter((x) => x.phase === 'Running')) {
      expect(Object.values(r.progress.generated ?? {})).toEqual([name1]);
      expect(r.message).toContain(name1);
    }
    const live1 = await client.get({ apiVersion: 'batch/v1', kind: 'Job', namespace: ns, name: name1 });
    expect(live1.metadata.labels?.[HOOK_ID_LABEL]).toMatch(/^[0-9a-f]{16}$/);
    expect(live1.metadata.annotations?.['gitfleet.dev/owner']).toBe(owner);
    // A hook is not part of what the app owns: the inventory lists the ConfigMap only.
    expect(lastOf(first).inventory.map((e) => e.kind)).toEqual(['ConfigMap']);

    const second = await runToEnd(client, req);
    expect(lastOf(second).phase).toBe('Succeeded');
    const name2 = lastOf(second).changes.find((c) => c.ref.kind === 'Job')?.ref.name ?? '';
    expect(name2).toMatch(/^upgrade-sql-schema-/);
    expect(name2).not.toBe(name1);
    expect(await waitGone(client, ns, name1)).toBe(true);
    const runs = await client.list('batch/v1', 'Job', {
      namespace: ns,
      labelSelector: `${HOOK_ID_LABEL}=${live1.metadata.labels?.[HOOK_ID_LABEL] ?? ''}`,
    });
    expect(runs.items.filter((j) => !j.metadata.deletionTimestamp).map((j) => j.metadata.name)).toEqual([
      name2,
    ]);
  }, 120_000);
});
