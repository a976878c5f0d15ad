// Fetched charts are written into copies of tenants' trees (charts/ of a Git chart, next to a
// kustomization for helmCharts). A link or `..` in the tree must not steer that write, or the read
// of a kustomization, outside the repository.
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
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
});
