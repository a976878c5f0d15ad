import type { KubeObject } from '../../kube/types.js';

/**
 * JSON pointers of the fields that the given managers own in a live object, read from
 * `metadata.managedFields` (FieldsV1). Map keys (`f:`) become pointer segments; keyed list items
 * (`k:{...}`) are resolved to their index in the live object; set values (`v:`) are skipped.
 */
export function managedPaths(live: KubeObject, managers: string[]): string[] {
  const entries = live.metadata.managedFields ?? [];
  const out: string[] = [];
  for (const e of entries) {
    if (!e.manager || !managers.includes(e.manager) || e.fieldsType !== 'FieldsV1' || !e.fieldsV1) continue;
    walk(e.fieldsV1, live, '', out);
  }
  return out;
}

function walk(fields: Record<string, unknown>, value: unknown, path: string, out: string[]): void {
  for (const [key, sub] of Object.entries(fields)) {
    if (key === '.') continue;
    const child = sub as Record<string, unknown>;
    const leaf = Object.keys(child).length === 0 || (Object.keys(child).length === 1 && '.' in child);
    if (key.startsWith('f:')) {
      const name = key.slice(2);
      const next = `${path}/${name.replace(/~/g, '~0').replace(/\//g, '~1')}`;
      const v = isRecord(value) ? value[name] : undefined;
      if (leaf) out.push(next);
      else walk(child, v, next, out);
    } else if (key.startsWith('k:') && Array.isArray(value)) {
      let wanted: Record<string, unknown>;
      try {
        wanted = JSON.parse(key.slice(2)) as Record<string, unknown>;
      } catch {
        continue;
      }
      const idx = value.findIndex(
        (item) =>
          isRecord(item) &&
          Object.entries(wanted).every(([k, v]) => JSON.stringify(item[k]) === JSON.stringify(v)),
      );
      if (idx < 0) continue;
      if (leaf) out.push(`${path}/${idx}`);
      else walk(child, value[idx], `${path}/${idx}`, out);
    }
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
