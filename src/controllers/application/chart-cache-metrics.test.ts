// The archive cache's size, bound and evictions reach /metrics on the controller's registry.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

import { ArchiveCache } from '../../engine/source/chart-cache.js';
import { ControllerMetrics } from '../metrics.js';
import { registerChartCacheMetrics } from './chart-cache-metrics.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const value = (text: string, name: string): number | undefined => {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.split(' ')[1]);
};

describe('chart cache metrics', () => {
  it('exposes bytes, archives, bound and eviction totals, read at scrape time', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gitfleet-cache-metrics-'));
    dirs.push(dir);
    const cache = new ArchiveCache(dir, { maxBytes: 1000 });
    const metrics = new ControllerMetrics({ processMetrics: false });
    registerChartCacheMetrics(metrics.registry, () => cache);
    // Registering twice on one registry (two controllers of one process) is harmless.
    registerChartCacheMetrics(metrics.registry, () => cache);

    let text = await metrics.registry.metrics();
    expect(value(text, 'gitfleet_chart_cache_bytes')).toBe(0);
    expect(value(text, 'gitfleet_chart_cache_max_bytes')).toBe(1000);
    expect(value(text, 'gitfleet_chart_cache_evictions_total')).toBe(0);
    expect(text).toContain('# TYPE gitfleet_chart_cache_evictions_total counter');

    await cache.put(Buffer.alloc(400, 'a'), undefined, 'a');
    await cache.put(Buffer.alloc(400, 'b'), undefined, 'b');
    await cache.put(Buffer.alloc(400, 'c'), undefined, 'c'); // evicts a
    text = await metrics.registry.metrics();
    expect(value(text, 'gitfleet_chart_cache_bytes')).toBe(800);
    expect(value(text, 'gitfleet_chart_cache_archives')).toBe(2);
    expect(value(text, 'gitfleet_chart_cache_evictions_total')).toBe(1);
    expect(value(text, 'gitfleet_chart_cache_evicted_bytes_total')).toBe(400);

    await cache.put(Buffer.alloc(400, 'd'), undefined, 'd'); // evicts b
    text = await metrics.registry.metrics();
    // A counter: the total grows, never restarts at a scrape.
    expect(value(text, 'gitfleet_chart_cache_evictions_total')).toBe(2);
    expect(value(text, 'gitfleet_chart_cache_evicted_bytes_total')).toBe(800);
  });
});
