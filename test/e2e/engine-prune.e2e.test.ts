import { beforeAll, describe, expect, it } from 'vitest';
import { createNamespace, uniqueName } from '../harness/context.js';
import type { KubeClient, KubeObject } from '../../src/kube/index.js';
import { entryOf } from '../../src/engine/inventory/inventory.js';
import { stampOwner } from '../../src/engine/plan/ownership.js';
import { deleteExactly, pruneStale } from '../../src/engine/prune/prune.js';
import { adminClient, configMap } from './engine-fixture.js';

/**
 * The prune executor driven directly against the harness' apiserver: what it deletes, what it
 * refuses and keeps, and the UID precondition that protects an object re-created under the same name.
 */
describe('engine: prune executor', () => {
  let client: KubeClient;
  let ns: string;
  beforeAll(async () => {
    client = await adminClient();
    ns = await createNamespace(client, 'eng-prune');
  });

  const inNs = (o: KubeObject): KubeObject => ({ ...o, metadata: { ...o.metadata, namespace: ns } });
  const create = (o: KubeObject): Promise<KubeObject> => client.create(inNs(o));
  const exists = async (kind: string, name: string): Promise<boolean> =>
    !!(await client.getOrUndefined({
      apiVersion: kind === 'Service' || kind === 'ConfigMap' ? 'v1' : 'apps/v1',
      kind,
      namespace: ns,
      name,
    }));
  const service = (name: string): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name },
    spec: { ports: [{ port: 80 }] },
  });

  it('deletes only what this owner owns, skips Prune=false and foreign objects, and reports each', async () => {
    const owner = `${ns}/${uniqueName('app')}`;
    const mine = await create(stampOwner(configMap('mine', { a: '1' }), owner));
    const svc = await create(stampOwner(service('mine-svc'), owner));
    const keep = await create(
      stampOwner(configMap('keep', { a: '1' }, { 'gitfleet.dev/sync-options': 'Prune=false' }), owner),
    );
    const theirs = await create(stampOwner(configMap('theirs', { a: '1' }), `${ns}/someone-else`));
    const stranger = await create(configMap('stranger', { a: '1' }));
    const gone = entryOf(inNs(configMap('never-existed', {})));
    const candidates = [mine, svc, keep, theirs, stranger].map((o) => entryOf(o)).concat(gone);

    const r = await pruneStale(client, candidates, { owner, enabled: true, dryRun: false });
    const byName = new Map(r.changes.map((c) => [c.ref.name, c]));
    expect(byName.get('mine')?.action).toBe('deleted');
    expect(byName.get('mine-svc')?.action).toBe('deleted');
    expect(byName.get('keep')).toMatchObject({ action: 'skipped', message: 'Prune=false' });
    expect(byName.get('theirs')?.action).toBe('skipped');
    expect(byName.get('theirs')?.message).toContain(`owned by ${ns}/someone-else`);
    expect(byName.get('stranger')?.message).toContain('not managed by gitfleet');
    // An object already gone is no change at all.
    expect(byName.has('never-existed')).toBe(false);
    // Prune=false objects are forgotten (not kept in the inventory), as in Argo CD.
    expect(r.kept).toEqual([]);
    expect(await exists('ConfigMap', 'mine')).toBe(false);
    expect(await exists('Service', 'mine-svc')).toBe(false);
    for (const name of ['keep', 'theirs', 'stranger']) expect(await exists('ConfigMap', name)).toBe(true);
  });

  it('with prune disabled or as a dry run, deletes nothing; disabled keeps the candidates tracked', async () => {
    const owner = `${ns}/${uniqueName('app')}`;
    const a = await create(stampOwner(configMap(uniqueName('a'), { a: '1' }), owner));
    const entries = [entryOf(a)];

    const off = await pruneStale(client, entries, { owner, enabled: false, dryRun: false });
    expect(off.changes).toMatchObject([{ action: 'skipped', message: 'requires pruning (prune is off)' }]);
    expect(off.kept).toEqual(entries);

    const dry = await pruneStale(client, entries, { owner, enabled: true, dryRun: true });
    expect(dry.changes).toMatchObject([{ action: 'deleted', message: 'dry run' }]);
    expect(await exists('ConfigMap', a.metadata.name)).toBe(true);
  });

  it('deletes in reverse apply order: a Deployment before the ServiceAccount it runs as', async () => {
    const owner = `${ns}/${uniqueName('app')}`;
    const sa = await create(
      stampOwner({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: uniqueName('sa') } }, owner),
    );
    const deploy = await create(
      stampOwner(
        {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name: uniqueName('web') },
          spec: {
            replicas: 0,
            selector: { matchLabels: { app: 'web' } },
            template: {
              metadata: { labels: { app: 'web' } },
              spec: { containers: [{ name: 'c', image: 'busybox' }] },
            },
          },
        },
        owner,
      ),
    );
    const r = await pruneStale(client, [entryOf(sa), entryOf(deploy)], {
      owner,
      enabled: true,
      dryRun: false,
    });
    expect(r.changes.map((c) => `${c.ref.kind}:${c.action}`)).toEqual([
      'Deployment:deleted',
      'ServiceAccount:deleted',
    ]);
  });

  it('deleteExactly refuses an object re-created under the same name since ownership was checked', async () => {
    const first = await create(configMap(uniqueName('recreated'), { v: '1' }));
    const ref = { apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: first.metadata.name };
    await client.delete(ref);
    const second = await create(configMap(first.metadata.name, { v: '2' }));
    expect(second.metadata.uid).not.toBe(first.metadata.uid);
    await expect(deleteExactly(client, ref, first.metadata.uid)).rejects.toThrow(/409|Precondition|UID/i);
    expect(await exists('ConfigMap', first.metadata.name)).toBe(true);
    // With the current UID it goes; a second call finds nothing and says so.
    expect(await deleteExactly(client, ref, second.metadata.uid)).toBe(true);
    expect(await deleteExactly(client, ref, second.metadata.uid)).toBe(false);
  });
});
