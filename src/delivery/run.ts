/**
 * Starts and advances an analysis run: binds a reference's templates (read through `getTemplate`)
 * to their arguments, takes the measurements that are due, and records value, verdict and time.
 * The run itself is plain data kept in the owner's status (Canary, ApplicationSet roll-out).
 */
import type { AnalysisRef, AnalysisRunStatus, AnalysisTemplate } from '../api/delivery.js';
import { dueInMs, record, runPhase, startRun, type BoundMetric } from './analysis.js';
import { resolveArgs, type AnalysisContext } from './args.js';
import { measure, type MeasureDeps } from './providers.js';
import { verdictOf } from './verdict.js';

export async function bindRef(
  ref: AnalysisRef,
  extraArgs: AnalysisRef['args'],
  ctx: AnalysisContext,
  getTemplate: (name: string) => Promise<AnalysisTemplate | undefined>,
): Promise<BoundMetric[]> {
  const out: BoundMetric[] = [];
  for (const t of ref.templates) {
    const tpl = await getTemplate(t.templateName);
    if (!tpl) throw new Error(`AnalysisTemplate ${t.templateName} not found`);
    const args = resolveArgs(t.templateName, tpl.spec.args, [...(extraArgs ?? []), ...(ref.args ?? [])], ctx);
    for (const m of tpl.spec.metrics) out.push({ key: `${t.templateName}/${m.name}`, metric: m, args });
  }
  return out;
}

const MAX_VALUE = 256;

function show(v: unknown): string {
  const text = typeof v === 'string' ? v : (JSON.stringify(v) ?? String(v));
  return text.length > MAX_VALUE ? `${text.slice(0, MAX_VALUE)}…` : text;
}

/**
 * Takes every due measurement of `run` (a new run when undefined) and returns the updated run
 * and when to look again. Provider failures become Error measurements, never exceptions.
 */
export async function advanceRun(
  run: AnalysisRunStatus | undefined,
  bound: readonly BoundMetric[],
  deps: (m: BoundMetric, n: number) => MeasureDeps,
  now = new Date(),
): Promise<{ run: AnalysisRunStatus; nextInMs: number | undefined }> {
  let r: AnalysisRunStatus = run ?? startRun(bound, now);
  const metrics = [...r.metrics];
  await Promise.all(
    bound.map(async (b, i) => {
      const cur = metrics[i];
      if (!cur || dueInMs(cur, b, now) !== 0) return;
      const at = new Date().toISOString();
      try {
        const d = deps(b, cur.count + cur.errors);
        const out = await measure(b, { ...d, ...(cur.pendingJob ? { pendingJob: cur.pendingJob } : {}) });
        if (out.kind === 'pending') {
          metrics[i] = { ...cur, pendingJob: out.job, ...(out.query ? { query: out.query } : {}) };
          return;
        }
        const v = verdictOf(b.metric, out.value, `metric ${b.key}`);
        metrics[i] = record({ ...cur, ...(out.query ? { query: out.query } : {}) }, b.metric, {
          value: show(out.value),
          verdict: v.verdict,
          at,
          ...(v.message ? { message: v.message } : {}),
        });
      } catch (err) {
        metrics[i] = record(cur, b.metric, {
          value: '',
          verdict: 'Error',
          at,
          message: (err instanceof Error ? err.message : String(err)).slice(0, 300),
        });
      }
    }),
  );
  r = { ...r, metrics };
  r.phase = runPhase(r);
  let next: number | undefined;
  if (r.phase === 'Running') {
    const later = new Date();
    for (const [i, b] of bound.entries()) {
      const m = metrics[i];
      if (!m) continue;
      const d = m.pendingJob ? 1000 : dueInMs(m, b, later);
      if (d !== undefined) next = Math.min(next ?? Infinity, d);
    }
  }
  return { run: r, nextInMs: next };
}
