// kustomize `helmCharts` with --enable-helm: the chart is inflated by kustomize itself from where
// gitfleet's source stage put it (charts/<name>-<version>/<name>); nothing is pulled by the renderer.
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterEach, describe, expect, it } from 'vitest';

import { toolPath } from '../../../test/harness/tools.js';
import { RenderError } from '../errors.js';
import { render, type RenderOptions } from './index.js';

const testdata = join(dirname(fileURLToPath(import.meta.url)), 'testdata');
const opts: RenderOptions = { helmBinary: toolPath('helm'), kustomizeBinary: toolPath('kustomize') };
const temps: string[] = [];
afterEach(() => {
  for (const d of temps.splice(0)) rmSync(d, { recursive: true, force: true });
});

function repo(kustomization: string, withChart: boolean): string {
  const root = mkdtempSync(join(tmpdir(), 'gitfleet-kust-helm-'));
  temps.push(root);
  mkdirSync(join(root, 'app'), { recursive: true });
  writeFileSync(join(root, 'app/kustomization.yaml'), kustomization);
  if (withChart)
    cpSync(join(testdata, 'helm/web'), join(root, 'app/charts/web-0.1.0/web'), { recursive: true });
  return root;
}

const KUST =
  'helmCharts:\n  - name: web\n    repo: https://charts.example.com\n    version: 0.1.0\n    releaseName: shop\n    valuesInline: {color: red}\nnamePrefix: k-\n';

describe('kustomize helmCharts', () => {
  it('inflates a fetched chart with kustomize, then applies the kustomization over it', async () => {
    const out = await render({ root: repo(KUST, true), path: 'app' }, opts);
    const cm = out.find((m) => m.object.kind === 'ConfigMap');
    expect(cm?.object.metadata.name).toBe('k-shop-settings');
    expect(cm?.object.data).toMatchObject({ color: 'red' });
  });

  it('names a chart that was not fetched, and refuses helmGlobals and the legacy generator', async () => {
    await expect(render({ root: repo(KUST, false), path: 'app' }, opts)).rejects.toThrow(
      /helmCharts\[0\] web 0\.1\.0 was not fetched/,
    );
    const globals = render(
      { root: repo(`helmGlobals: {chartHome: /tmp}\n${KUST}`, true), path: 'app' },
      opts,
    );
    await expect(globals).rejects.toThrow(/helmGlobals is not supported/);
    await expect(globals).rejects.toBeInstanceOf(RenderError);
    await expect(
      render({ root: repo('helmChartInflationGenerator: [{chartName: web}]\n', false), path: 'app' }, opts),
    ).rejects.toThrow(/helmChartInflationGenerator is not supported/);
  });
});
