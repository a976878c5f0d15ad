import { groupOf, type ObjectRef } from '../../core/object-ref.js';
import type { KubeObject } from '../../kube/types.js';
import { compareStrings } from '../../core/compare-strings.js';

/** One object an Application owns, with the version it was applied as (needed to address it). */
export interface InventoryEntry {
  group: string;
  version: string;
  kind: string;
  namespace?: string;
  name: string;
}

/**
 * A fresh entry with exactly these members (no namespace member for a cluster-scoped object). Made
 * by one literal per shape rather than by adding the namespace afterwards: an added member goes to
 * a separate backing store (about 40 bytes more for each of the thousands of entries a controller
 * keeps).
 */
export function inventoryEntry(e: InventoryEntry): InventoryEntry {
  return e.namespace === undefined
    ? { group: e.group, version: e.version, kind: e.kind, name: e.name }
    : { group: e.group, version: e.version, kind: e.kind, namespace: e.namespace, name: e.name };
}

/** Identity of an entry regardless of version: group/kind/namespace/name. */
export function entryKey(e: Pick<InventoryEntry, 'group' | 'kind' | 'namespace' | 'name'>): string {
  return `${e.group}/${e.kind}/${e.namespace ?? ''}/${e.name}`;
}

export function entryOf(obj: KubeObject): InventoryEntry {
  const slash = obj.apiVersion.indexOf('/');
  const version = slash < 0 ? obj.apiVersion : obj.apiVersion.slice(slash + 1);
  const e: InventoryEntry = {
    group: groupOf(obj.apiVersion),
    version,
    kind: obj.kind,
    name: obj.metadata.name,
  };
  if (obj.metadata.namespace) e.namespace = obj.metadata.namespace;
  return e;
}

export function refOfEntry(e: InventoryEntry): ObjectRef {
  return {
    apiVersion: e.group ? `${e.group}/${e.version}` : e.version,
    kind: e.kind,
    namespace: e.namespace,
    name: e.name,
  };
}

/** Entries of `previous` that `current` no longer holds: the prune candidates, sorted by key. */
export function staleEntries(previous: InventoryEntry[], current: InventoryEntry[]): InventoryEntry[] {
  const keep = new Set(current.map(entryKey));
  return previous
    .filter((e) => !keep.has(entryKey(e)))
    .sort((a, b) => compareStrings(entryKey(a), entryKey(b)));
}

/**
 * Union of two inventories, `a` winning on version. Used to keep objects whose prune failed
 * tracked, so the next sync tries again instead of forgetting them.
 */
export function mergeInventories(a: InventoryEntry[], b: InventoryEntry[]): InventoryEntry[] {
  const out = new Map<string, InventoryEntry>();
  for (const e of [...b, ...a]) out.set(entryKey(e), e);
  return [...out.values()].sort((x, y) => compareStrings(entryKey(x), entryKey(y)));
}

/** Compact text form for storage: one `group/version/kind/namespace/name` line per entry. */
export function encodeInventory(entries: InventoryEntry[]): string {
  return entries
    .map((e) => [e.group, e.version, e.kind, e.namespace ?? '', e.name].join('\t'))
    .sort()
    .join('\n');
}

export function decodeInventory(text: string): InventoryEntry[] {
  const out: InventoryEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const [group = '', version = '', kind = '', namespace = '', name = ''] = line.split('\t');
    if (!version || !kind || !name) continue;
    out.push(inventoryEntry({ group, version, kind, namespace: namespace || undefined, name }));
  }
  return out;
}
