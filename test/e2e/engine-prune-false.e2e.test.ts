import { beforeAll, describe, expect, it } from 'vitest';
import { createNamespace, uniqueName } from '../harness/context.js';
import type { KubeClient } from '../../src/kube/index.js';
import { InventoryStore } from '../../src/engine/inventory/store.js';
import { actions, configMap, manifests, request, step, adminClient } from './engine-fixture.js';

describe('engine: Prune=false', () => {
  let client: KubeClient;
  let ns: string;
  beforeAll(async () => {
    client = await adminClient();
    ns = await createNamespace(client, 'eng-prunefalse');
  });

  it('prunes what Git dropped except the objects marked Prune=false', async () => {
    const owner = `${ns}/${uniqueName('app')}`;
    const keep = configMap('keep', { a: '1' }, { 'argocd.argoproj.io/sync-options': 'Prune=false' });
    const first = await step(
      client,
      request(owner, ns, manifests(keep, configMap('drop', { a: '1' }), configMap('stay', { a: '1' }))),
    );
    expect(first.phase).toBe('Succeeded');
    const second = await step(client, request(owner, ns, manifests(configMap('stay', { a: '1' }))));
    expect(second.phase).toBe('Succeeded');
    expect(actions(second)).toContain('ConfigMap/drop:deleted');
    const get = (name: string) =>
      client.getOrUndefined({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name });
    expect(await get('drop')).toBeUndefined();
    expect(await get('keep')).toBeDefined();
    // Unchanged objects cost no apply: the second call reports stay unchanged.
    expect(actions(second)).toContain('ConfigMap/stay:unchanged');
    const inv = (await new InventoryStore(client).load(owner)).map((e) => e.name);
    expect(inv).toContain('stay');
    expect(inv).not.toContain('drop');
  }, 60_000);
});
