// bench/sources: 100 Applications across 4 clusters from one Helm chart repository, at the source
// stage the Application controller runs (one ChartSources per hub process, as
// src/controllers/application/chart-source.ts shares it). Real chart repository server (HTTPS,
// basic auth), real helm rendering each app's release. Measures: index fetches in one interval
// (must be 1), cold time to resolve + fetch + render all 100, and the hub memory cost of the chart
// cache (archive bytes kept, heap growth). No clusters are started: applying is measured by
// bench/sync; this isolates what Helm repositories add.
//
//   npx tsx bench/sources/main.ts [--apps 100] [--clusters 4]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { render } from '../../src/engine/render/index.js';
import { ChartSources } from '../../src/engine/source/charts.js';
import { startChartRepo } from '../../test/harness/chart-repo.js';
import { createPki } from '../../test/harness/pki.js';
import { toolPath } from '../../test/harness/tools.js';
import { writeChart } from '../../test/e2e/sources-fixtures.js';

const { values } = parseArgs({
  options: { apps: { type: 'string', default: '100' }, clusters: { type: 'string', default: '4' } },
});
const apps = Number(values.apps);
const clusters = Number(values.clusters);
const work = mkdtempSync(join(tmpdir(), 'gitfleet-bench-sources-'));
const pki = createPki(join(work, 'pki'));
const repo = await startChartRepo(pki, join(work, 'repo'));
try {
  await repo.publish(writeChart(join(work, 'src'), 'dep', '1.0.0'));
  await repo.publish(
    writeChart(join(work, 'src'), 'addon', '1.2.0', { name: 'dep', version: '^1.0.0', repository: repo.url }),
  );
  const auth = { username: repo.username, password: repo.password, caData: repo.caPem };
  global.gc?.();
  const heap0 = process.memoryUsage().heapUsed;
  const sources = new ChartSources({ cacheDir: join(work, 'cache'), intervalMs: 180_000 });
  const before = repo.indexRequests();
  const t0 = performance.now();
  let objects = 0;
  // Every app of every cluster at once, as a cold hub start reconciles them.
  const jobs = Array.from({ length: apps }, async (_, i) => {
    const c = await sources.resolveChart(repo.url, 'addon', '^1.0.0', auth);
    const tree = await sources.chartTree(c, async () => auth);
    const out = await render(
      {
        root: tree.root,
        path: tree.path,
        type: 'helm',
        helm: { releaseName: `app-${i}`, namespace: `c${i % clusters}` },
      },
      { helmBinary: toolPath('helm') },
    );
    objects += out.length;
  });
  await Promise.all(jobs);
  const coldMs = Math.round(performance.now() - t0);
  const indexFetches = repo.indexRequests() - before;
  const t1 = performance.now();
  await Promise.all(
    Array.from({ length: apps }, () => sources.resolveChart(repo.url, 'addon', '^1.0.0', auth)),
  );
  const warmResolveMs = Math.round(performance.now() - t1);
  global.gc?.();
  const heapGrowth = process.memoryUsage().heapUsed - heap0;
  const cache = sources.cache.stats();
  console.log(`apps ${apps} across ${clusters} clusters, ${objects} objects rendered`);
  console.log(`index fetches in one interval: ${indexFetches} (must be 1)`);
  console.log(
    `cold: resolve + fetch + render all: ${coldMs} ms; warm re-resolve of all: ${warmResolveMs} ms`,
  );
  console.log(
    `chart cache: ${cache.archives} archives, ${cache.bytes} bytes on disk; heap growth ${Math.round(heapGrowth / 1024)} KiB`,
  );
  const result = {
    apps,
    clusters,
    objects,
    indexFetches,
    coldMs,
    warmResolveMs,
    cacheArchives: cache.archives,
    cacheBytes: cache.bytes,
    heapGrowthBytes: heapGrowth,
  };
  if (indexFetches !== 1) {
    console.error('FAIL: the index was fetched more than once in one interval');
    process.exitCode = 1;
  }
  console.log(`RESULT ${JSON.stringify(result)}`);
} finally {
  await repo.stop();
  rmSync(work, { recursive: true, force: true });
}
