// Fetched charts are written into copies of tenants' trees (charts/ of a Git chart, next to a
// kustomization for helmCharts). A link or `..` in the tree must not steer that write, or the read
// of a kustomization, outside the repository.
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ChartSources } from '../../src/engine/source/charts.js';
import { kustomizeCharts } from '../../src/engine/source/kustomize-charts.js';
import { assertWritableInTree } from '../../src/engine/source/tree-write.js';

const dirs: string[] = [];
const tmp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'gitfleet-chart-writes-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const helmChart = (name: string): string =>
  `helmCharts:\n- name: ${name}\n  version: 1.0.0\n  repo: https://charts.example.com\n`;

describe('chart writes stay in the repository', () => {
  it('refuses a charts/ directory that is a link out of the tree, and names it', async () => {
    const root = tmp();
    const outside = tmp();
    mkdirSync(join(root, 'app'));
    symlinkSync(outside, join(root, 'app', 'charts'));
    await expect(assertWritableInTree(root, 'app/charts/dep-1.0.0.tgz', 'https://r.example')).rejects.toThrow(
      /app\/charts\/dep-1.0.0.tgz: charts is a symbolic link/,
    );
    expect(readdirSync(outside)).toEqual([]);
  });

  it('refuses a dependency name that climbs out with ..', async () => {
    const root = tmp();
    await expect(
      assertWritableInTree(root, 'app/charts/../../../tmp/pwn-1.0.0.tgz', 'https://r.example'),
    ).rejects.toThrow(/leaves the repository/);
  });

  it('admits real directories and paths gitfleet creates', async () => {
    const root = tmp();
    mkdirSync(join(root, 'app', 'charts'), { recursive: true });
    await expect(assertWritableInTree(root, 'app/charts/dep-1.0.0.tgz', 'x')).resolves.toBeUndefined();
    await expect(assertWritableInTree(root, 'base/charts/web-1.0.0/web', 'x')).resolves.toBeUndefined();
  });

  it('does not read a kustomization reached through a link out of the tree', async () => {
    const root = tmp();
    const outside = tmp();
    writeFileSync(join(outside, 'kustomization.yaml'), helmChart('outside'));
    mkdirSync(join(root, 'app'));
    writeFileSync(join(root, 'app', 'kustomization.yaml'), `resources:\n- ../base\n${helmChart('inside')}`);
    symlinkSync(outside, join(root, 'base'));
    const found = await kustomizeCharts(root, 'app');
    expect(found.map((c) => c.name)).toEqual(['inside']);
    // A kustomization file that is itself a link out is not read either.
    rmSync(join(root, 'app', 'kustomization.yaml'));
    symlinkSync(join(outside, 'kustomization.yaml'), join(root, 'app', 'kustomization.yaml'));
    expect(await kustomizeCharts(root, 'app')).toEqual([]);
  });

  it('does not read a Chart.yaml or Chart.lock reached through a link out of the tree', async () => {
    // Outside: a chart whose dependency names a repository. Read through the tenant's link, it
    // would make the hub fetch (and write into the tree) what a file not in the repository says.
    const outside = tmp();
    const dep = 'dependencies:\n- name: dep\n  version: 1.0.0\n  repository: https://charts.example.com\n';
    writeFileSync(join(outside, 'Chart.yaml'), `apiVersion: v2\nname: outside\nversion: 1.0.0\n${dep}`);
    writeFileSync(join(outside, 'Chart.lock'), dep);
    const root = tmp();
    mkdirSync(join(root, 'app'));
    symlinkSync(join(outside, 'Chart.yaml'), join(root, 'app', 'Chart.yaml'));
    const sources = new ChartSources({ cacheDir: tmp() });
    const tree = { root, path: 'app', key: 'k1' };
    // Nothing declared is read, so nothing is fetched: the same tree comes back (the renderer
    // then refuses the escaping link by name).
    expect(await sources.withDependencies(tree, () => Promise.resolve(undefined))).toBe(tree);
    // An in-tree chart with no dependencies of its own and a lock linked out: still nothing fetched.
    rmSync(join(root, 'app', 'Chart.yaml'));
    writeFileSync(join(root, 'app', 'Chart.yaml'), 'apiVersion: v2\nname: inside\nversion: 1.0.0\n');
    symlinkSync(join(outside, 'Chart.lock'), join(root, 'app', 'Chart.lock'));
    const tree2 = { root, path: 'app', key: 'k2' };
    expect(await sources.withDependencies(tree2, () => Promise.resolve(undefined))).toBe(tree2);
  });
});
