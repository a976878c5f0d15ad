// A tenant's repository may hold a file far larger than any render may produce. Read as an
// attacker: a kustomization that only lists such a file, or a kustomization (or Chart.yaml) that is
// itself such a file, must not make the hub read it into memory (every file gitfleet reads itself
// is judged by its size before a byte is read: src/core/read-within.ts). The files are sparse, so
// the test costs no disk; a fresh process reads them, and its peak RSS says whether they were read.
import { execFile } from 'node:child_process';
import { truncateSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { afterEach, describe, expect, it } from 'vitest';

import { PathEscapeError } from '../../src/engine/errors.js';
import { render } from '../../src/engine/render/index.js';
import { tempTrees } from '../harness/temp-tree.js';

const run = promisify(execFile);
const moduleUrl = (rel: string): string =>
  JSON.stringify(fileURLToPath(new URL(`../../src/${rel}`, import.meta.url)));
const GiB = 1024 ** 3;

/** Runs `script` (an ES module body that prints one JSON line last) in a fresh process. */
async function inChild<T>(script: string): Promise<T & { maxRssKiB: number }> {
  const { stdout } = await run(
    process.execPath,
    [
      '--import',
      'tsx',
      '--input-type=module',
      '-e',
      `${script}\nconsole.log(JSON.stringify({ ...globalThis.result, maxRssKiB: process.resourceUsage().maxRSS }));`,
    ],
    { cwd: fileURLToPath(new URL('../..', import.meta.url)), maxBuffer: 1 << 20 },
  );
  return JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as T & { maxRssKiB: number };
}
const trees = tempTrees('gitfleet-sec-reads-');
afterEach(trees.cleanup);

describe('the kustomize shortcut and a huge resource file', () => {
  it('declines a 1.5 GiB file without reading it into the process', async () => {
    const root = trees.tree({
      'app/kustomization.yaml': 'resources: [huge.yaml]\n',
      'app/huge.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: huge}\n',
    });
    truncateSync(join(root, 'app/huge.yaml'), 1.5 * GiB);
    const r = await inChild<{ declined: boolean }>(
      [
        `const { plainKustomization } = await import(${moduleUrl('engine/render/kustomize-plain.ts')});`,
        `const out = await plainKustomization({ abs: ${JSON.stringify(join(root, 'app'))}, rel: 'app' }, 'app/kustomization.yaml', 32 * 1024 * 1024);`,
        'globalThis.result = { declined: out === undefined };',
      ].join('\n'),
    );
    expect(r.declined).toBe(true);
    // Reading the file before judging its size peaked at 600 MiB; without reading it, about 85 MiB.
    expect(r.maxRssKiB).toBeLessThan(256 * 1024);
  });
});

describe('a huge kustomization or Chart.yaml', () => {
  it('is refused by name, unread, before kustomize or helm runs, and fetches nothing', async () => {
    // A valid start, then a gigabyte: whoever reads it whole pays the gigabyte.
    const root = trees.tree({
      'app/kustomization.yaml': 'resources: [../../etc]\n',
      'chart/Chart.yaml': 'apiVersion: v2\nname: big\nversion: 1.0.0\n',
    });
    truncateSync(join(root, 'app/kustomization.yaml'), 1.5 * GiB);
    truncateSync(join(root, 'chart/Chart.yaml'), 1.5 * GiB);
    const r = await inChild<{ dirs: string; charts: number; chart: string }>(
      [
        `const { kustomizationDirs } = await import(${moduleUrl('engine/render/kustomize.ts')});`,
        `const { kustomizeCharts } = await import(${moduleUrl('engine/source/kustomize-charts.ts')});`,
        `const { render } = await import(${moduleUrl('engine/render/index.ts')});`,
        `const root = ${JSON.stringify(root)};`,
        "const dirs = await kustomizationDirs(root, root + '/app').then(() => 'accepted', (e) => e.message);",
        "const charts = (await kustomizeCharts(root, 'app')).length;",
        "const chart = await render({ root, path: 'chart', type: 'helm' }).then(() => 'rendered', (e) => e.message);",
        'globalThis.result = { dirs, charts, chart };',
      ].join('\n'),
    );
    expect(r.dirs).toMatch(
      /^app\/kustomization\.yaml: 1610612736 bytes, over the 4194304 bytes gitfleet reads of one file/u,
    );
    expect(r.charts).toBe(0);
    expect(r.chart).toMatch(/chart\/Chart\.yaml.*1610612736 bytes, over the 4194304 bytes/u);
    expect(r.maxRssKiB).toBeLessThan(256 * 1024);
  });
});

describe('a kustomization that is a link to a file of the hub', () => {
  it('is refused by name and never read: its content steers nothing', async () => {
    // The "hub's file": were it read, its remote entry would be refused by its URL, naming it.
    const hub = trees.tree({ 'kustomization.yaml': 'resources: [https://hub-file.invalid/leak]\n' });
    const root = trees.tree({
      'app/kustomization.yaml': 'resources: [../base]\n',
      'base/kustomization.yaml': { link: join(hub, 'kustomization.yaml') },
    });
    const err: unknown = await render({ root, path: 'app' }).then(
      () => 'rendered',
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(PathEscapeError);
    expect(String(err)).toContain('base/kustomization.yaml');
    expect(String(err)).not.toContain('hub-file.invalid');
  });
});
