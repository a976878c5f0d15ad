/**
 * Argo CD's `RespectIgnoreDifferences=true`: the fields `ignoreDifferences` hides from the diff are
 * also left alone by the sync. gitfleet applies server-side, where leaving a field out of the
 * applied object would hand it back (and delete it if gitfleet was its only manager), so instead
 * the live value is written into the object to apply — the field keeps what the cluster has. A
 * field the live object lacks is dropped from what is applied. New objects are applied as Git
 * has them (there is nothing live to respect), as in Argo CD.
 */
import type { KubeObject } from '../../kube/types.js';
import { ruleMatches, type IgnoreRule } from '../diff/diff.js';
import { managedPaths } from '../diff/managed-fields.js';
import { removePointer } from '../diff/normalize.js';

/** `desired` (a copy) with every ignored pointer set to the live value, or removed when live has none. */
export function respectIgnored(
  desired: KubeObject,
  live: KubeObject,
  ignore: readonly IgnoreRule[],
  /** Pointers the rules' jqPathExpressions select in `live` (diff/jq.ts). */
  jqLive: readonly string[] = [],
): KubeObject {
  const rules = ignore.filter((r) => ruleMatches(r, desired));
  if (!rules.length) return desired;
  const pointers = rules.flatMap((r) => r.jsonPointers ?? []);
  const managers = rules.flatMap((r) => r.managedFieldsManagers ?? []);
  if (managers.length) pointers.push(...managedPaths(live, managers));
  pointers.push(...jqLive);
  const out = structuredClone(desired);
  for (const ptr of pointers) {
    const parts = segments(ptr);
    if (!parts.length) continue;
    const value = lookup(live, parts);
    if (value === undefined) removePointer(out, ptr);
    else assign(out, parts, structuredClone(value));
  }
  // removePointer blanks list slots; a list with holes must not be applied.
  return JSON.parse(
    JSON.stringify(out, (_k, v: unknown) => (Array.isArray(v) ? v.filter((x) => x !== undefined) : v)),
  ) as KubeObject;
}

function segments(pointer: string): string[] {
  if (pointer === '' || pointer === '/') return [];
  return pointer
    .replace(/^\//u, '')
    .split('/')
    .map((p) => p.replace(/~1/gu, '/').replace(/~0/gu, '~'));
}

function lookup(obj: unknown, parts: readonly string[]): unknown {
  let cur = obj;
  for (const p of parts) {
    if (Array.isArray(cur)) cur = cur[Number(p)];
    else if (cur && typeof cur === 'object' && Object.hasOwn(cur, p))
      cur = (cur as Record<string, unknown>)[p];
    else return undefined;
  }
  return cur;
}

/** Sets the value at `parts`, creating missing objects; a missing list element is left alone. */
function assign(obj: unknown, parts: readonly string[], value: unknown): void {
  let cur = obj;
  for (let i = 0; i < parts.length - 1; i++) {
    const p = parts[i] ?? '';
    if (Array.isArray(cur)) {
      cur = cur[Number(p)];
      if (cur === undefined) return;
    } else if (cur && typeof cur === 'object') {
      const rec = cur as Record<string, unknown>;
      if (!Object.hasOwn(rec, p) || typeof rec[p] !== 'object' || rec[p] === null) {
        Object.defineProperty(rec, p, { value: {}, enumerable: true, writable: true, configurable: true });
      }
      cur = rec[p];
    } else return;
  }
  const last = parts[parts.length - 1] ?? '';
  if (Array.isArray(cur)) {
    const idx = Number(last);
    if (Number.isInteger(idx) && idx >= 0 && idx < cur.length) cur[idx] = value;
  } else if (cur && typeof cur === 'object') {
    Object.defineProperty(cur, last, { value, enumerable: true, writable: true, configurable: true });
  }
}
