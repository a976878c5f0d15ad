/**
 * The chart/OCI archive cache as Prometheus series on the controller's registry: its size against
 * its bound, and how often it had to evict (a store too small for the fleet's charts downloads
 * archives again and again). Read from the cache at scrape time, so every registry that asks (hub,
 * agent, two hubs of one test process) sees the one process-wide cache.
 */
import { Counter, Gauge, type Registry } from 'prom-client';

import type { ArchiveCache } from '../../engine/source/chart-cache.js';
import { chartSources } from './chart-source.js';

/** Registers the series once per registry; `cache` defaults to the process's shared one. */
export function registerChartCacheMetrics(
  registry: Registry,
  cache: () => Pick<ArchiveCache, 'stats'> = () => chartSources().cache,
): void {
  if (registry.getSingleMetric('gitfleet_chart_cache_bytes')) return;
  // A cache that cannot be made (a bad GITFLEET_CHART_CACHE_MAX_BYTES, reported on every chart
  // app) must not break the scrape of every other series: its series are then left out.
  const stats = (): ReturnType<ArchiveCache['stats']> | undefined => {
    try {
      return cache().stats();
    } catch {
      return undefined;
    }
  };
  new Gauge({
    name: 'gitfleet_chart_cache_bytes',
    help: 'Bytes of chart and OCI archives stored in the archive cache.',
    registers: [registry],
    collect() {
      const v = stats()?.bytes;
      if (v !== undefined) this.set(v);
    },
  });
  new Gauge({
    name: 'gitfleet_chart_cache_max_bytes',
    help: 'Bound of the archive cache; past it the least recently used archives are deleted.',
    registers: [registry],
    collect() {
      const v = stats()?.maxBytes;
      if (v !== undefined) this.set(v);
    },
  });
  new Gauge({
    name: 'gitfleet_chart_cache_archives',
    help: 'Chart and OCI archives stored in the archive cache.',
    registers: [registry],
    collect() {
      const v = stats()?.archives;
      if (v !== undefined) this.set(v);
    },
  });
  // Counters mirrored from the cache's own totals (monotonic for the process's life).
  new Counter({
    name: 'gitfleet_chart_cache_evictions_total',
    help: 'Archives deleted from the archive cache to keep it within its bound.',
    registers: [registry],
    collect() {
      const v = stats()?.evictions;
      this.reset();
      if (v !== undefined) this.inc(v);
    },
  });
  new Counter({
    name: 'gitfleet_chart_cache_evicted_bytes_total',
    help: 'Bytes of archives deleted from the archive cache to keep it within its bound.',
    registers: [registry],
    collect() {
      const v = stats()?.evictedBytes;
      this.reset();
      if (v !== undefined) this.inc(v);
    },
  });
}
