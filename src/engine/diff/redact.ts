import type { KubeObject } from '../../kube/types.js';

/**
 * Replaces every value of a Secret's `data` and `stringData` before anything leaves the engine.
 * Values that differ between the two sides get different masks, so a diff still shows *that* a
 * key changed, never *what* it holds. Non-Secrets are returned unchanged.
 */
const MASK = '++++++++';
const CHANGED_MASK = '+++++++++ (changed)';

export function redactSecretPair(
  live: KubeObject | undefined,
  desired: KubeObject | undefined,
): [KubeObject | undefined, KubeObject | undefined] {
  const isSecret = (o: KubeObject | undefined): boolean => o?.kind === 'Secret' && o.apiVersion === 'v1';
  if (!isSecret(live) && !isSecret(desired)) return [live, desired];
  const l = live ? structuredClone(live) : undefined;
  const d = desired ? structuredClone(desired) : undefined;
  const lvals = secretValues(l);
  // The live side is always the plain mask; the desired side differs exactly when the value
  // changes, so the comparison still sees the change without seeing either value.
  mask(l, () => MASK);
  mask(d, (key, v) => (lvals.has(key) && lvals.get(key) === v ? MASK : CHANGED_MASK));
  return [l, d];
}

/** Redacts a single object (for status, logs and API answers). */
export function redactSecret(obj: KubeObject): KubeObject {
  return redactSecretPair(obj, undefined)[0] ?? obj;
}

function secretValues(o: KubeObject | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (!o) return out;
  const data = o.data as Record<string, string> | undefined;
  const stringData = o.stringData as Record<string, string> | undefined;
  for (const [k, v] of Object.entries(data ?? {})) out.set(k, String(v));
  // stringData is write-only: the server folds it into data as base64.
  for (const [k, v] of Object.entries(stringData ?? {}))
    out.set(k, Buffer.from(String(v)).toString('base64'));
  return out;
}

function mask(o: KubeObject | undefined, fn: (key: string, value: string) => string): void {
  if (!o) return;
  const values = secretValues(o);
  for (const field of ['data', 'stringData'] as const) {
    const rec = o[field] as Record<string, string> | undefined;
    if (!rec) continue;
    for (const k of Object.keys(rec)) rec[k] = fn(k, values.get(k) ?? '');
  }
  // The last-applied annotation would carry the values in clear text.
  delete o.metadata.annotations?.['kubectl.kubernetes.io/last-applied-configuration'];
}
