import { beforeAll, describe, expect, it } from 'vitest';
import { createNamespace, uniqueName } from '../harness/context.js';
import type { KubeClient, KubeObject } from '../../src/kube/index.js';
import { applyTask, compareObject, type ApplyObjectOptions } from '../../src/engine/apply/apply-object.js';
import { stampOwner } from '../../src/engine/plan/ownership.js';
import type { SyncTask } from '../../src/engine/plan/plan.js';
import { adminClient, configMap } from './engine-fixture.js';

/** Counts a client's requests by method while `fn` runs (every KubeClient call goes through `request`). */
async function counted<T>(
  client: KubeClient,
  fn: () => Promise<T>,
): Promise<{ value: T; counts: Record<string, number> }> {
  const counts: Record<string, number> = {};
  const inner = client.request.bind(client);
  client.request = ((spec: Parameters<KubeClient['request']>[0]) => {
    counts[spec.method] = (counts[spec.method] ?? 0) + 1;
    return inner(spec);
  }) as KubeClient['request'];
  try {
    return { value: await fn(), counts };
  } finally {
    client.request = Object.getPrototypeOf(client).request.bind(client) as KubeClient['request'];
  }
}

/**
 * The apply executor (compareObject, applyTask) driven directly against the harness' apiserver:
 * what each case costs in requests and what it leaves in the cluster.
 */
describe('engine: apply executor', () => {
  let client: KubeClient;
  let ns: string;
  let owner: string;
  beforeAll(async () => {
    client = await adminClient();
    ns = await createNamespace(client, 'eng-apply');
    owner = `${ns}/${uniqueName('app')}`;
  });

  const task = (o: KubeObject, options: Record<string, string> = {}): SyncTask => ({
    object: stampOwner({ ...o, metadata: { ...o.metadata, namespace: ns } }, owner),
    origin: { file: 'cm.yaml', line: 1 },
    phase: 'Sync',
    wave: 0,
    hook: false,
    deletePolicies: [],
    options: new Map(Object.entries(options)),
  });
  const opts = (extra: Partial<ApplyObjectOptions> = {}): ApplyObjectOptions => ({
    owner,
    forceConflicts: false,
    takeover: false,
    ignore: [],
    dryRun: false,
    ...extra,
  });
  const live = (name: string) =>
    client.getOrUndefined<KubeObject & { data?: Record<string, string> }>({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      namespace: ns,
      name,
    });

  it('creates an absent object after one GET (no dry-run), then finds it unchanged and writes nothing', async () => {
    const t = task(configMap(uniqueName('fresh'), { level: 'info' }));
    const cmp = await counted(client, () => compareObject(client, t, opts()));
    expect(cmp.value).toMatchObject({ live: undefined, modified: true, unverified: true });
    expect(cmp.counts).toEqual({ GET: 1 });

    const created = await applyTask(client, t, opts(), cmp.value);
    expect(created.entry.action).toBe('created');
    expect(created.live?.metadata.uid).toBeDefined();

    const again = await counted(client, () => applyTask(client, t, opts()));
    expect(again.value.entry.action).toBe('unchanged');
    // GET + server-side apply dry-run, and no write.
    expect(again.counts).toEqual({ GET: 1, PATCH: 1 });
    // With this reconcile's comparison passed in: no request at all.
    const known = await compareObject(client, t, opts());
    const free = await counted(client, () => applyTask(client, t, opts(), known));
    expect(free.value.entry.action).toBe('unchanged');
    expect(free.counts).toEqual({});
  });

  it('heals a hand edit of a field Git declares, even when another manager owns it now', async () => {
    const name = uniqueName('edited');
    const t = task(configMap(name, { level: 'info' }));
    await applyTask(client, t, opts());
    await client.request({
      method: 'PATCH',
      path: `/api/v1/namespaces/${ns}/configmaps/${name}`,
      query: { fieldManager: 'kubectl-edit' },
      body: { data: { level: 'debug' } },
      contentType: 'application/merge-patch+json',
    });
    const cmp = await compareObject(client, t, opts());
    expect(cmp.modified).toBe(true);
    expect(cmp.diff).toContain('debug');
    const r = await applyTask(client, t, opts(), cmp);
    expect(r.entry.action).toBe('configured');
    expect((await live(name))?.data?.level).toBe('info');
  });

  it('a dry run admits a new object without creating it', async () => {
    const name = uniqueName('dry');
    const r = await applyTask(client, task(configMap(name, { a: '1' })), opts({ dryRun: true }));
    expect(r.entry).toMatchObject({ action: 'created', message: 'dry run' });
    expect(await live(name)).toBeUndefined();
  });

  it('refuses, by name, an object it does not manage and leaves it; Takeover adopts it, forced where another manager set a field', async () => {
    const name = uniqueName('unmanaged');
    await client.create({ ...configMap(name, { owner: 'a human' }), metadata: { name, namespace: ns } });
    const r = await applyTask(client, task(configMap(name, { owner: 'git' })), opts());
    expect(r.entry.action).toBe('failed');
    expect(r.entry.message).toContain(`ConfigMap/${ns}/${name}`);
    expect(r.entry.message).toContain('Takeover=true');
    expect((await live(name))?.data?.owner).toBe('a human');
    // Takeover=true adopts it; a field another manager set still conflicts unless forced.
    const conflict = await applyTask(
      client,
      task(configMap(name, { owner: 'git' }), { Takeover: 'true' }),
      opts(),
    );
    expect(conflict.entry.action).toBe('failed');
    expect(conflict.entry.message).toMatch(/conflict/i);
    expect((await live(name))?.data?.owner).toBe('a human');
    const adopted = await applyTask(
      client,
      task(configMap(name, { owner: 'git' }), { Takeover: 'true', ForceConflicts: 'true' }),
      opts(),
    );
    expect(adopted.entry.action).toBe('configured');
    expect((await live(name))?.data?.owner).toBe('git');
  });

  it('compares with a watch cache copy without a GET', async () => {
    const t = task(configMap(uniqueName('cached'), { a: '1' }));
    const { live: applied } = await applyTask(client, t, opts());
    if (!applied) throw new Error('nothing applied');
    const r = await counted(client, () => compareObject(client, t, opts(), applied));
    expect(r.value.modified).toBe(false);
    expect(r.counts).toEqual({ PATCH: 1 });
  });
});
