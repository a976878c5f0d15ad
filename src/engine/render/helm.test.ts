import { chmodSync, cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterEach, describe, expect, it } from 'vitest';

// Tests use the harness's pinned tool builds; runtime code takes binaries from RenderOptions/env.
import { toolPath } from '../../../test/harness/tools.js';
import { PathEscapeError, RenderError } from '../errors.js';
import type { Manifest } from '../manifest.js';
import { render } from './index.js';
import type { RenderOptions } from './index.js';

const testdata = join(dirname(fileURLToPath(import.meta.url)), 'testdata');
const opts: RenderOptions = { helmBinary: toolPath('helm') };

const temps: string[] = [];
afterEach(() => {
  for (const d of temps.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A temporary repository holding a copy of testdata/helm/web at `apps/web`, plus `extra` entries. */
function repoWithWebChart(extra: Record<string, string | { link: string }> = {}): string {
  const root = mkdtempSync(join(tmpdir(), 'gitfleet-render-helm-'));
  temps.push(root);
  cpSync(join(testdata, 'helm/web'), join(root, 'apps/web'), { recursive: true });
  for (const [p, v] of Object.entries(extra)) {
    mkdirSync(dirname(join(root, p)), { recursive: true });
    if (typeof v === 'string') writeFileSync(join(root, p), v);
    else symlinkSync(v.link, join(root, p));
  }
  return root;
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => {
      throw new Error('expected the render to fail');
    },
    (e: unknown) => e,
  );
}

async function renderError(p: Promise<unknown>): Promise<RenderError> {
  const err = await rejection(p);
  if (err instanceof RenderError) return err;
  throw new Error(`expected a RenderError, got ${String(err)}`);
}

const byKind = (out: Manifest[], kind: string): Manifest | undefined =>
  out.find((m) => m.object.kind === kind);

describe('render: helm', () => {
  it('applies value files, inline values and valuesObject in order, with release name, namespace and kube version', async () => {
    const out = await render(
      {
        root: testdata,
        path: 'helm/web',
        helm: {
          releaseName: 'shop',
          namespace: 'team-a',
          valueFiles: ['env/prod.yaml'],
          values: 'color: green\nsize: large\n',
          valuesObject: { size: 'huge' },
          kubeVersion: '1.31.0',
        },
      },
      opts,
    );
    const cm = byKind(out, 'ConfigMap');
    expect(cm?.object.metadata).toEqual({ name: 'shop-settings', namespace: 'team-a' });
    // values.yaml < env/prod.yaml < inline values < valuesObject
    expect(cm?.object.data).toEqual({
      greeting: 'hello',
      replicas: '3',
      color: 'green',
      size: 'huge',
      kubeVersion: 'v1.31.0',
    });
    expect(cm?.origin).toEqual({ file: 'helm/web/templates/configmap.yaml', line: 1 });
    expect(byKind(out, 'Service')?.origin.file).toBe('helm/web/templates/service.yaml');
  });

  it('includes CRDs from crds/ and defaults the release name to the last app path segment', async () => {
    const out = await render({ root: testdata, path: 'helm/web' }, opts);
    expect(out.map((m) => m.object.kind)).toEqual(['CustomResourceDefinition', 'ConfigMap', 'Service']);
    expect(out[0]?.origin.file).toBe('helm/web/crds/widget.yaml');
    expect(byKind(out, 'Service')?.object.metadata.name).toBe('web');
    expect(byKind(out, 'ConfigMap')?.object.metadata.namespace).toBe('default');
    expect(byKind(out, 'ConfigMap')?.object.data).toMatchObject({
      replicas: '1',
      color: 'grey',
      size: 'small',
    });
  });

  it('renders vendored subcharts and maps their templates to repository paths', async () => {
    const out = await render({ root: testdata, path: 'helm/vendored' }, opts);
    expect(out.map((m) => [m.object.metadata.name, m.origin.file])).toEqual([
      ['from-subchart', 'helm/vendored/charts/common/templates/cm.yaml'],
      ['parent', 'helm/vendored/templates/cm.yaml'],
    ]);
  });

  it('refuses a chart whose dependencies are not vendored, naming Chart.yaml', async () => {
    const err = await renderError(render({ root: testdata, path: 'helm/needs-dep' }, opts));
    expect(err.code).toBe('render.HelmDependencyMissing');
    expect(err.file).toBe('helm/needs-dep/Chart.yaml');
    expect(err.message).toContain('redis');
  });

  it('names the template and line helm blames when a template fails', async () => {
    const err = await renderError(render({ root: testdata, path: 'helm/bad-template' }, opts));
    expect(err.code).toBe('render.ToolFailed');
    expect(err.file).toBe('helm/bad-template/templates/cm.yaml');
    expect(err.line).toBe(6);
    expect(err.message).toContain('value is required');
    expect(err.message).not.toContain('--debug');
  });

  it('names the template when its output lacks metadata.name', async () => {
    const root = repoWithWebChart({
      'apps/web/templates/nameless.yaml': 'apiVersion: v1\nkind: Secret\nmetadata:\n  labels: {a: b}\n',
    });
    const err = await renderError(render({ root, path: 'apps/web' }, opts));
    expect(err.code).toBe('render.InvalidManifest');
    expect(err.file).toBe('apps/web/templates/nameless.yaml');
    expect(err.message).toMatch(/Secret has no metadata\.name \(line \d+ of the helm template output\)/u);
  });

  it('resolves value files relative to the chart and allows ones elsewhere in the repository', async () => {
    const root = repoWithWebChart({ 'config/shared.yaml': 'greeting: shared\n' });
    const out = await render(
      { root, path: 'apps/web', helm: { valueFiles: ['../../config/shared.yaml'] } },
      opts,
    );
    expect(byKind(out, 'ConfigMap')?.object.data).toMatchObject({ greeting: 'shared' });
  });

  it.each([['/etc/passwd'], ['../../../etc/passwd'], ['https://example.com/values.yaml']])(
    'refuses the value file %j',
    async (file) => {
      const root = repoWithWebChart();
      const err = await rejection(render({ root, path: 'apps/web', helm: { valueFiles: [file] } }, opts));
      expect(err).toBeInstanceOf(PathEscapeError);
    },
  );

  it('refuses a value file that is a symlink to outside the repository', async () => {
    const root = repoWithWebChart({ 'apps/web/evil.yaml': { link: '/etc/hostname' } });
    const err = await rejection(
      render({ root, path: 'apps/web', helm: { valueFiles: ['evil.yaml'] } }, opts),
    );
    expect(err).toBeInstanceOf(PathEscapeError);
    expect(String(err)).toContain('apps/web/evil.yaml');
  });

  it('refuses a template symlinked to outside the repository', async () => {
    const root = repoWithWebChart({ 'apps/web/templates/leak.yaml': { link: '/etc/passwd' } });
    await expect(render({ root, path: 'apps/web' }, opts)).rejects.toBeInstanceOf(PathEscapeError);
  });

  it('names a missing value file', async () => {
    const root = repoWithWebChart();
    const err = await renderError(
      render({ root, path: 'apps/web', helm: { valueFiles: ['nope.yaml'] } }, opts),
    );
    expect(err.file).toBe('apps/web/nope.yaml');
  });

  it('refuses inline values that are not a YAML mapping before running helm', async () => {
    const err = await renderError(
      render(
        { root: testdata, path: 'helm/web', helm: { values: 'a: [1' } },
        { helmBinary: '/nonexistent/helm' },
      ),
    );
    expect(err.message).toContain('helm.values is not valid YAML');
    const notMap = await renderError(
      render({ root: testdata, path: 'helm/web', helm: { values: '- a\n' } }, opts),
    );
    expect(notMap.message).toContain('must be a YAML mapping');
  });

  it('runs helm template with an argument array, CRDs, value files in order and isolated helm homes', async () => {
    // A stand-in binary that reports how it was invoked; the real binary cannot show its env.
    const root = repoWithWebChart({
      'bin/helm': [
        '#!/bin/sh',
        "printf 'apiVersion: v1\\nkind: ConfigMap\\nmetadata:\\n  name: invocation\\ndata:\\n  args: |\\n'",
        'for a in "$@"; do printf \'    %s\\n\' "$a"; done',
        "printf '  env: |\\n'",
        "env | sort | sed 's/^/    /'",
        '',
      ].join('\n'),
    });
    chmodSync(join(root, 'bin/helm'), 0o755);
    process.env.GITFLEET_TEST_LEAK = 'must-not-reach-helm';
    try {
      const [m] = await render(
        {
          root,
          path: 'apps/web',
          helm: {
            valueFiles: ['env/prod.yaml'],
            values: 'a: 1',
            valuesObject: { b: 2 },
            kubeVersion: '1.30.0',
          },
        },
        { helmBinary: join(root, 'bin/helm') },
      );
      const data = m?.object.data as { args: string; env: string };
      const args = data.args.trim().split('\n');
      const home = /^HOME=(.*)$/mu.exec(data.env.replace(/^ +/gmu, ''))?.[1] ?? '';
      expect(home.startsWith(tmpdir())).toBe(true);
      expect(args).toEqual([
        'template',
        'web',
        expect.stringMatching(/\/apps\/web$/u),
        '--namespace',
        'default',
        '--include-crds',
        '--values',
        expect.stringMatching(/\/apps\/web\/env\/prod\.yaml$/u),
        '--values',
        `${home}/values-inline.yaml`,
        '--values',
        `${home}/values-object.json`,
        '--kube-version',
        '1.30.0',
      ]);
      expect(data.env).toContain(`HELM_CACHE_HOME=${home}/cache`);
      expect(data.env).toContain(`HELM_CONFIG_HOME=${home}/config`);
      expect(data.env).toContain(`HELM_DATA_HOME=${home}/data`);
      expect(data.env).not.toContain('GITFLEET_TEST_LEAK');
      expect(data.env).not.toContain('KUBECONFIG');
    } finally {
      delete process.env.GITFLEET_TEST_LEAK;
    }
  });

  it('reports a missing helm binary and how to build it', async () => {
    const err = await renderError(
      render({ root: testdata, path: 'helm/web' }, { helmBinary: '/nonexistent/bin/helm' }),
    );
    expect(err.code).toBe('render.ToolMissing');
    expect(err.message).toContain('run scripts/build-tools.sh');
  });

  it('kills helm and fails when its output exceeds maxOutputBytes', async () => {
    const err = await renderError(
      render({ root: testdata, path: 'helm/web' }, { ...opts, maxOutputBytes: 100 }),
    );
    expect(err.code).toBe('render.OutputTooLarge');
    expect(err.file).toBe('helm/web/Chart.yaml');
  });

  it('kills helm and fails when it runs past timeoutMs', async () => {
    const err = await renderError(render({ root: testdata, path: 'helm/web' }, { ...opts, timeoutMs: 1 }));
    expect(err.code).toBe('render.Timeout');
  });

  it('uses the chart name as the default release name when the chart is the repository root', async () => {
    const root = mkdtempSync(join(tmpdir(), 'gitfleet-render-helm-root-'));
    temps.push(root);
    cpSync(join(testdata, 'helm/web'), root, { recursive: true });
    const out = await render({ root, path: '' }, opts);
    expect(byKind(out, 'Service')?.object.metadata.name).toBe('web');
    expect(byKind(out, 'Service')?.origin.file).toBe('templates/service.yaml');
  });
});
