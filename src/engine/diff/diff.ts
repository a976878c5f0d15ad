import { groupOf } from '../../core/object-ref.js';
import type { KubeObject } from '../../kube/types.js';
import { managedPaths } from './managed-fields.js';
import { normalizeForDiff, removePointer } from './normalize.js';
import { redactSecretPair } from './redact.js';

/** One rule of an Application's `ignoreDifferences`. */
export interface IgnoreRule {
  group?: string;
  kind: string;
  name?: string;
  namespace?: string;
  jsonPointers?: string[];
  managedFieldsManagers?: string[];
  /** Resolved to pointers per object and side by jq.ts before the diff (it runs a process). */
  jqPathExpressions?: string[];
}

/** Pointers found by `jqPathExpressions` (jq.ts), per side: a `select` may pick other indices in each. */
export interface JqPointers {
  live: readonly string[];
  predicted: readonly string[];
}

export interface DiffChange {
  /** JSON pointer of the changed value. */
  path: string;
  op: 'add' | 'remove' | 'replace';
  live?: unknown;
  desired?: unknown;
}

export interface DiffResult {
  modified: boolean;
  changes: DiffChange[];
  /** Human-readable, one line per change; Secret values are masked. */
  text: string;
}

/**
 * Compares a live object with what it would become (the server-side apply dry-run result),
 * both normalised; `ignoreDifferences` rules that match the object are removed from both sides
 * first. Secret values are redacted before comparing, so no value can reach the result.
 */
export function diffObjects(
  live: KubeObject | undefined,
  predicted: KubeObject,
  ignore: IgnoreRule[] = [],
  jq: JqPointers = { live: [], predicted: [] },
): DiffResult {
  const [l, p] = redactSecretPair(live ? normalizeForDiff(live) : undefined, normalizeForDiff(predicted));
  const rules = ignore.filter((r) => ruleMatches(r, predicted));
  const pointers = rules.flatMap((r) => r.jsonPointers ?? []);
  const managers = rules.flatMap((r) => r.managedFieldsManagers ?? []);
  if (live && managers.length) pointers.push(...managedPaths(live, managers));
  for (const ptr of pointers) {
    if (l) removePointer(l, ptr);
    if (p) removePointer(p, ptr);
  }
  if (l) for (const ptr of jq.live) removePointer(l, ptr);
  for (const ptr of jq.predicted) removePointer(p, ptr);
  const changes: DiffChange[] = [];
  compare(l, p, '', changes);
  return { modified: changes.length > 0, changes, text: changes.map(formatChange).join('\n') };
}

export function ruleMatches(rule: IgnoreRule, obj: KubeObject): boolean {
  return (
    rule.kind === obj.kind &&
    (rule.group === undefined || rule.group === groupOf(obj.apiVersion)) &&
    (rule.name === undefined || rule.name === obj.metadata.name) &&
    (rule.namespace === undefined || rule.namespace === obj.metadata.namespace)
  );
}

function escape(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

function compare(a: unknown, b: unknown, path: string, out: DiffChange[]): void {
  if (a === undefined && b === undefined) return;
  if (a === undefined) {
    out.push({ path: path || '/', op: 'add', desired: b });
    return;
  }
  if (b === undefined) {
    out.push({ path: path || '/', op: 'remove', live: a });
    return;
  }
  if (isRecord(a) && isRecord(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    for (const k of keys) compare(a[k], b[k], `${path}/${escape(k)}`, out);
    return;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    const n = Math.max(a.length, b.length);
    for (let i = 0; i < n; i++) compare(a[i], b[i], `${path}/${i}`, out);
    return;
  }
  if (JSON.stringify(a) !== JSON.stringify(b))
    out.push({ path: path || '/', op: 'replace', live: a, desired: b });
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function formatChange(c: DiffChange): string {
  const v = (x: unknown): string => {
    const s = JSON.stringify(x);
    return s.length > 200 ? `${s.slice(0, 197)}...` : s;
  };
  if (c.op === 'add') return `+ ${c.path}: ${v(c.desired)}`;
  if (c.op === 'remove') return `- ${c.path}: ${v(c.live)}`;
  return `~ ${c.path}: ${v(c.live)} -> ${v(c.desired)}`;
}
