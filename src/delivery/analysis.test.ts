import { createServer } from 'node:http';
import { describe, expect, it } from 'vitest';
import type { AnalysisMetric, MetricResult } from '../api/delivery.js';
import { record, runPhase, startRun } from './analysis.js';
import { resolveArgs, substitute } from './args.js';
import { jsonPath } from './providers.js';
import { advanceRun } from './run.js';
import { verdictOf } from './verdict.js';

const metric = (over: Partial<AnalysisMetric> = {}): AnalysisMetric => ({
  name: 'm',
  provider: { web: { url: 'http://x' } },
  ...over,
});

describe('verdicts', () => {
  it('follows Argo Rollouts: failure first, success, inconclusive when neither holds', () => {
    const both = metric({ successCondition: 'result < 0.05', failureCondition: 'result > 0.2' });
    expect(verdictOf(both, 0.01, 'm').verdict).toBe('Successful');
    expect(verdictOf(both, 0.5, 'm').verdict).toBe('Failed');
    expect(verdictOf(both, 0.1, 'm').verdict).toBe('Inconclusive');
    expect(verdictOf(metric({ successCondition: 'result[0] < 0.05' }), [0.3], 'm').verdict).toBe('Failed');
    expect(verdictOf(metric({ failureCondition: 'result > 1' }), 0, 'm').verdict).toBe('Successful');
    expect(verdictOf(metric({ successCondition: 'result.x' }), 3, 'm').verdict).toBe('Error');
    expect(verdictOf(metric({ successCondition: '(((' }), 3, 'm').message).toContain('successCondition');
  });
});

describe('runs', () => {
  it('counts measurements against count, failureLimit and consecutive errors', () => {
    const m = metric({ count: 3, failureLimit: 1 });
    let r = startRun([{ key: 't/m', metric: m, args: {} }], new Date()).metrics[0] as MetricResult;
    const at = new Date().toISOString();
    r = record(r, m, { value: '1', verdict: 'Failed', at });
    expect(r.phase).toBe('Running');
    r = record(r, m, { value: '1', verdict: 'Successful', at });
    r = record(r, m, { value: '1', verdict: 'Successful', at });
    expect(r.phase).toBe('Successful');
    const e = metric({ consecutiveErrorLimit: 1 });
    let x = startRun([{ key: 't/e', metric: e, args: {} }], new Date()).metrics[0] as MetricResult;
    x = record(x, e, { value: '', verdict: 'Error', at });
    x = record(x, e, { value: '', verdict: 'Error', at });
    expect(x.phase).toBe('Error');
    expect(runPhase({ phase: 'Running', startedAt: at, metrics: [r, x] })).toBe('Error');
  });

  it('measures a real web endpoint by JSON path and records value, verdict and time', async () => {
    const server = createServer((_req, res) => res.end(JSON.stringify({ data: { rate: 0.5 } })));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as { port: number }).port;
    try {
      const m = metric({
        provider: { web: { url: `http://127.0.0.1:${port}/{{args.app}}`, jsonPath: '$.data.rate' } },
        successCondition: 'result < 0.1',
      });
      const { run } = await advanceRun(undefined, [{ key: 't/m', metric: m, args: { app: 'shop' } }], () => ({
        namespace: 'ns',
        jobName: 'j',
      }));
      expect(run.phase).toBe('Failed');
      expect(run.metrics[0]?.query).toBe(`http://127.0.0.1:${port}/shop`);
      expect(run.metrics[0]?.measurements[0]).toMatchObject({ value: '0.5', verdict: 'Failed' });
    } finally {
      server.close();
    }
  });
});

describe('arguments', () => {
  it('resolves given, default and context values; a missing one names the template', () => {
    expect(
      resolveArgs('t', [{ name: 'app' }, { name: 'q', value: 'd' }], [{ name: 'q', value: 'g' }], {
        app: 'a',
      }),
    ).toMatchObject({
      app: 'a',
      q: 'g',
    });
    expect(() => resolveArgs('t', [{ name: 'svc' }], [], {})).toThrow(/AnalysisTemplate t: argument "svc"/);
    expect(substitute('x{{ args.a }}y', { a: '1' }, 'w')).toBe('x1y');
    expect(() => substitute('{{args.b}}', {}, 'metric m')).toThrow(/metric m/);
    expect(jsonPath({ a: [{ b: 2 }] }, '$.a[0].b')).toBe(2);
    expect(() => jsonPath({}, 'a.b')).toThrow(/nothing at a/);
  });
});
