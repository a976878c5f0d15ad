/**
 * An analysis run as plain data: which metrics are due for a measurement, how a measurement
 * changes a metric's counts and phase, and the phase of the whole run. No I/O: the controller
 * takes the measurements (providers.ts) and persists the run in the owner's status, so a restart
 * resumes the run where it was.
 */
import type { AnalysisMetric, AnalysisRunStatus, Measurement, MetricResult } from '../api/delivery.js';
import { parseDuration } from './duration.js';

/** A metric of a template with its arguments resolved. */
export interface BoundMetric {
  /** `<template>/<metric>`. */
  key: string;
  metric: AnalysisMetric;
  args: Record<string, string>;
}

const KEEP_MEASUREMENTS = 10;

export function startRun(metrics: readonly BoundMetric[], now: Date): AnalysisRunStatus {
  return {
    phase: 'Running',
    startedAt: now.toISOString(),
    metrics: metrics.map((m) => ({
      name: m.key,
      phase: 'Running',
      count: 0,
      successful: 0,
      failed: 0,
      inconclusive: 0,
      errors: 0,
      consecutiveErrors: 0,
      measurements: [],
    })),
  };
}

export function intervalMs(metric: AnalysisMetric, key: string): number {
  return metric.interval ? parseDuration(metric.interval, `${key}.interval`) : 0;
}

/** Milliseconds until `m` is due (0 = now); undefined when it is finished or waits on a Job. */
export function dueInMs(result: MetricResult, bound: BoundMetric, now: Date): number | undefined {
  if (result.phase !== 'Running') return undefined;
  if (result.pendingJob) return 0;
  const last = result.measurements.at(-1);
  if (!last) return 0;
  return Math.max(0, Date.parse(last.at) + intervalMs(bound.metric, bound.key) - now.getTime());
}

/** Adds a measurement to a metric's result and decides its phase (Argo Rollouts' limits). */
export function record(result: MetricResult, metric: AnalysisMetric, m: Measurement): MetricResult {
  const r: MetricResult = { ...result, measurements: [...result.measurements, m].slice(-KEEP_MEASUREMENTS) };
  delete r.pendingJob;
  if (m.verdict === 'Error') {
    r.errors++;
    r.consecutiveErrors++;
  } else {
    r.consecutiveErrors = 0;
    r.count++;
    if (m.verdict === 'Successful') r.successful++;
    else if (m.verdict === 'Failed') r.failed++;
    else r.inconclusive++;
  }
  if (r.failed > (metric.failureLimit ?? 0)) r.phase = 'Failed';
  else if (r.inconclusive > (metric.inconclusiveLimit ?? 0)) r.phase = 'Inconclusive';
  else if (r.consecutiveErrors > (metric.consecutiveErrorLimit ?? 4)) r.phase = 'Error';
  else if (r.count >= Math.max(1, metric.count ?? 1)) r.phase = 'Successful';
  return r;
}

/** The run's phase: the worst finished metric decides; Successful only when every metric is. */
export function runPhase(run: AnalysisRunStatus): AnalysisRunStatus['phase'] {
  const phases = run.metrics.map((m) => m.phase);
  for (const p of ['Failed', 'Error', 'Inconclusive'] as const) if (phases.includes(p)) return p;
  return phases.includes('Running') ? 'Running' : 'Successful';
}

/** One line saying why a run failed: the metric, its query and the failing value. */
export function failureMessage(run: AnalysisRunStatus): string | undefined {
  const bad = run.metrics.find((m) => m.phase !== 'Running' && m.phase !== 'Successful');
  if (!bad) return undefined;
  const last =
    [...bad.measurements].reverse().find((x) => x.verdict !== 'Successful') ?? bad.measurements.at(-1);
  return `metric ${bad.name} ${bad.phase}${bad.query ? ` (query ${bad.query})` : ''}: value ${last?.value ?? 'none'}${last?.message ? `: ${last.message}` : ''}`;
}
