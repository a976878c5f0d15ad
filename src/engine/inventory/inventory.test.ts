import { describe, expect, it } from 'vitest';
import {
  decodeInventory,
  encodeInventory,
  inventoryEntry,
  mergeInventories,
  staleEntries,
  type InventoryEntry,
} from './inventory.js';

const e = (kind: string, name: string, namespace?: string, version = 'v1', group = ''): InventoryEntry => ({
  group,
  version,
  kind,
  name,
  ...(namespace ? { namespace } : {}),
});

describe('inventory', () => {
  it('round-trips through its text form', () => {
    const entries = [
      e('ConfigMap', 'a', 'ns'),
      e('ClusterRole', 'r', undefined, 'v1', 'rbac.authorization.k8s.io'),
    ];
    expect(decodeInventory(encodeInventory(entries)).sort((x, y) => x.name.localeCompare(y.name))).toEqual(
      entries.sort((x, y) => x.name.localeCompare(y.name)),
    );
  });

  it('copies an entry with exactly its members: none for an absent namespace', () => {
    const cluster = { group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'ClusterRole', name: 'r' };
    expect(Object.keys(inventoryEntry({ ...cluster, namespace: undefined }))).toEqual([
      'group',
      'version',
      'kind',
      'name',
    ]);
    const namespaced = e('ConfigMap', 'a', 'ns');
    const copy = inventoryEntry(namespaced);
    expect(copy).toEqual(namespaced);
    expect(copy).not.toBe(namespaced);
    expect(Object.keys(decodeInventory(encodeInventory([cluster]))[0] ?? {})).toEqual([
      'group',
      'version',
      'kind',
      'name',
    ]);
  });

  it('finds stale entries regardless of version', () => {
    const prev = [e('Deployment', 'web', 'ns', 'v1beta1', 'apps'), e('ConfigMap', 'old', 'ns')];
    const cur = [e('Deployment', 'web', 'ns', 'v1', 'apps')];
    expect(staleEntries(prev, cur)).toEqual([e('ConfigMap', 'old', 'ns')]);
  });

  it('keeps entries whose prune failed when merging', () => {
    expect(
      mergeInventories([e('ConfigMap', 'a', 'ns')], [e('ConfigMap', 'b', 'ns')]).map((x) => x.name),
    ).toEqual(['a', 'b']);
  });
});
