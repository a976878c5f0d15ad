// The apiserver's own count of the requests it served (`apiserver_request_total` from /metrics),
// by verb and resource: a figure the machine's load cannot distort, unlike the timings. Sampled
// before and after a run, the difference is what that run cost the apiserver. Requests of
// kube-controller-manager, kube-scheduler and kwok are included; they are the same for the floor
// and for gitfleet (the same Deployments roll out), so the rows that differ are gitfleet's own.
import type { KubeClient } from '../../src/kube/index.js';

/** `verb resource[/subresource][ (dry run)]` → requests served. */
export type RequestCounts = Map<string, number>;

const LINE = /^apiserver_request_total\{([^}]*)\}\s+([0-9.e+]+)$/;

export function parseRequestTotals(text: string): RequestCounts {
  const out: RequestCounts = new Map();
  for (const line of text.split('\n')) {
    const m = LINE.exec(line);
    if (!m) continue;
    const labels = new Map<string, string>();
    for (const kv of (m[1] ?? '').matchAll(/(\w+)="([^"]*)"/g)) labels.set(kv[1] ?? '', kv[2] ?? '');
    const resource = labels.get('resource') ?? '';
    if (!resource) continue; // /healthz, /metrics, discovery: not object traffic
    const sub = labels.get('subresource');
    const group = labels.get('group');
    const key = `${labels.get('verb') ?? '?'} ${group ? `${resource}.${group}` : resource}${sub ? `/${sub}` : ''}${labels.get('dry_run') ? ' (dry run)' : ''}`;
    out.set(key, (out.get(key) ?? 0) + Number(m[2]));
  }
  return out;
}

export async function sampleRequests(admin: KubeClient): Promise<RequestCounts> {
  const text = await admin.request<string>({ method: 'GET', path: '/metrics' });
  return parseRequestTotals(typeof text === 'string' ? text : '');
}

export function diffRequests(before: RequestCounts, after: RequestCounts): RequestCounts {
  const out: RequestCounts = new Map();
  for (const [k, v] of after) {
    const d = v - (before.get(k) ?? 0);
    if (d > 0) out.set(k, d);
  }
  return out;
}

export function totalRequests(c: RequestCounts): number {
  let n = 0;
  for (const v of c.values()) n += v;
  return n;
}

/** One row per verb+resource: floor, gitfleet, gitfleet per app; sorted by gitfleet's count. */
export function requestTable(floor: RequestCounts, gitfleet: RequestCounts, apps: number): string {
  const keys = [...new Set([...floor.keys(), ...gitfleet.keys()])].sort(
    (a, b) => (gitfleet.get(b) ?? 0) - (gitfleet.get(a) ?? 0) || a.localeCompare(b),
  );
  const rows = keys.map((k) => {
    const f = floor.get(k) ?? 0;
    const g = gitfleet.get(k) ?? 0;
    return [k, String(f), String(g), (g / apps).toFixed(2)];
  });
  rows.push([
    'TOTAL',
    String(totalRequests(floor)),
    String(totalRequests(gitfleet)),
    (totalRequests(gitfleet) / apps).toFixed(2),
  ]);
  const head = ['verb resource', 'floor', 'gitfleet', 'gitfleet/app'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const fmt = (r: string[]): string =>
    r.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  return [fmt(head), ...rows.map(fmt)].join('\n');
}
