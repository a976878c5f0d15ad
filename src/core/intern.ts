/**
 * One copy of each often-repeated short string. A parsed API answer holds its own copy of every
 * value: at 500 apps the hub held 36,000 copies of one namespace's name, 17,000 of ConfigMap names
 * and thousands of each kind, group and revision, spread over the Applications' status (each lists
 * its objects twice), the comparison memo and the inventories. Replacing such values with one
 * shared copy frees the others once their answer is gone.
 *
 * The table keeps what it interned until it is full, then starts over (a forgotten string only
 * costs a second copy later, never a wrong answer), so deleted objects' names cannot grow it
 * without bound.
 */
const table = new Map<string, string>();
/**
 * The bounds also bound what a tenant can make the table keep after its objects are gone (unique
 * names or label values, created and deleted): at most 50,000 strings of 128 characters, under
 * 10 MiB. A fleet of 1,000 apps of 10 objects interns about 20,000 (a name and a status message
 * per object, and a few hundred values shared by all).
 */
const MAX_ENTRIES = 50_000;
/** Longer values (messages, payloads) are seldom repeated and would fill the table. */
const MAX_LENGTH = 128;

export function intern(s: string): string {
  if (s.length > MAX_LENGTH) return s;
  const hit = table.get(s);
  if (hit !== undefined) return hit;
  if (table.size >= MAX_ENTRIES) table.clear();
  table.set(s, s);
  return s;
}

/** Whether the table holds `s` (for tests: strings have no identity a test could compare). */
export function interned(s: string): boolean {
  return table.has(s);
}

/**
 * The members whose values repeat across objects: where an object is (namespace, cluster), what
 * it is (kind, group, version, apiVersion), its name (one per object, repeated in every list that
 * names it), status words, messages, revisions and timestamps. Values of other members are left as
 * they are: resourceVersions and uids are unique and would only churn the table.
 */
const REPEATED = new Set([
  'namespace',
  'name',
  'kind',
  'group',
  'version',
  'apiVersion',
  'status',
  'health',
  'syncPhase',
  'hookPhase',
  'hookType',
  'revision',
  'targetRevision',
  'repoURL',
  'path',
  'server',
  'project',
  'phase',
  'type',
  'reason',
  'message',
  // Timestamps have a resolution of a second: a fleet synced within minutes shares a few hundred.
  'creationTimestamp',
  'lastTransitionTime',
  'lastUpdateTime',
  'lastProbeTime',
  'startedAt',
  'finishedAt',
  'reconciledAt',
  'deployedAt',
]);

/**
 * Never walked: a Secret's or ConfigMap's payload (values a hub must not keep past their object,
 * whatever their key is called), annotations (free-form) and managedFields.
 */
const SKIPPED = new Set(['data', 'stringData', 'binaryData', 'annotations', 'managedFields']);

/**
 * Interns, in place, the string values of `REPEATED` members anywhere in `value` (a parsed JSON
 * document), and the values of labels, except under `SKIPPED` members. Returns `value`. Nothing
 * but strings is replaced, each by an equal one: no reader can tell.
 */
export function internStrings<T>(value: T): T {
  walk(value, 0);
  return value;
}

function walk(v: unknown, depth: number): void {
  // JSON from the API server nests a few dozen levels at most; the bound keeps a pathological
  // object from costing a deep recursion.
  if (depth > 32 || v === null || typeof v !== 'object') return;
  if (Array.isArray(v)) {
    for (const item of v) walk(item, depth + 1);
    return;
  }
  const o = v as Record<string, unknown>;
  for (const k in o) {
    const x = o[k];
    if (typeof x === 'string') {
      if (REPEATED.has(k)) o[k] = intern(x);
    } else if (k === 'labels' && x !== null && typeof x === 'object' && !Array.isArray(x)) {
      const labels = x as Record<string, unknown>;
      for (const l in labels) {
        const lv = labels[l];
        if (typeof lv === 'string') labels[l] = intern(lv);
      }
    } else if (typeof x === 'object' && !SKIPPED.has(k)) walk(x, depth + 1);
  }
}
