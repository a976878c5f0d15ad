import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterEach, describe, expect, it } from 'vitest';

// Tests use the harness's pinned tool builds; runtime code takes binaries from RenderOptions/env.
import { toolPath } from '../../../test/harness/tools.js';
import { PathEscapeError, RenderError } from '../errors.js';
import type { Manifest } from '../manifest.js';
import { EMPTY_PATH } from './exec.js';
import { render } from './index.js';
import type { RenderOptions, RenderSpec } from './index.js';

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
        // The tool's PATH holds no programs: the stand-in names its helpers absolutely.
        "/usr/bin/env | /usr/bin/sort | /usr/bin/sed 's/^/    /'",
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
      // Options as single --flag=value words, then `--`, then the release name and the chart path.
      expect(args).toEqual([
        'template',
        '--namespace=default',
        '--include-crds',
        expect.stringMatching(/^--values=\/.*\/apps\/web\/env\/prod\.yaml$/u),
        `--values=${home}/values-inline.yaml`,
        `--values=${home}/values-object.json`,
        '--kube-version=1.30.0',
        '--',
        'web',
        expect.stringMatching(/^\/.*\/apps\/web$/u),
      ]);
      expect(data.env).toContain(`PATH=${EMPTY_PATH}`);
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

  describe('no value becomes an option of helm', () => {
    const OPTION_LIKE = ['--post-renderer=PR', '--output-dir=OUT', '-o', '--kube-version=1.99.0', '--debug'];

    /** A chart at apps/web, a post-renderer script that would leave a marker, and that marker's path. */
    function setup(): { root: string; marker: string; fill: (v: string) => string } {
      const root = repoWithWebChart();
      const marker = join(root, 'post-renderer-ran');
      writeFileSync(join(root, 'pr.sh'), `#!/bin/sh\n: > '${marker}'\nexec /usr/bin/cat\n`);
      chmodSync(join(root, 'pr.sh'), 0o755);
      const fill = (v: string): string =>
        v.replace('PR', join(root, 'pr.sh')).replace('OUT', join(root, 'out'));
      return { root, marker, fill };
    }

    it.each(OPTION_LIKE)('helm.releaseName %j is refused, naming the field', async (v) => {
      const { root, marker, fill } = setup();
      const err = await renderError(render({ root, path: 'apps/web', helm: { releaseName: fill(v) } }, opts));
      expect(err.code).toBe('render.InvalidParameter');
      expect(err.message).toContain('helm.releaseName');
      expect(err.file).toBe('apps/web/Chart.yaml');
      expect(existsSync(marker)).toBe(false);
    });

    it.each(OPTION_LIKE)('helm.namespace %j is refused, naming the field', async (v) => {
      const { root, marker, fill } = setup();
      const err = await renderError(render({ root, path: 'apps/web', helm: { namespace: fill(v) } }, opts));
      expect(err.code).toBe('render.InvalidParameter');
      expect(err.message).toContain('helm.namespace');
      expect(existsSync(marker)).toBe(false);
    });

    it.each(OPTION_LIKE)('helm.kubeVersion %j is refused, naming the field', async (v) => {
      const { root, marker, fill } = setup();
      const err = await renderError(render({ root, path: 'apps/web', helm: { kubeVersion: fill(v) } }, opts));
      expect(err.code).toBe('render.InvalidParameter');
      expect(err.message).toContain('helm.kubeVersion');
      expect(existsSync(marker)).toBe(false);
    });

    it.each(OPTION_LIKE)(
      'an app path whose last segment is %j cannot be the default release name',
      async (v) => {
        const { root, marker, fill } = setup();
        const path = `apps/${fill(v).replaceAll('/', '_')}`;
        cpSync(join(root, 'apps/web'), join(root, path), { recursive: true });
        const err = await renderError(render({ root, path, helm: {} }, opts));
        expect(err.code).toBe('render.InvalidParameter');
        expect(err.message).toContain('helm.releaseName (unset, so the last segment of the app path');
        expect(existsSync(marker)).toBe(false);
        // The same chart directory renders once a valid release name is given: the path is data.
        const out = await render({ root, path, helm: { releaseName: 'web' } }, opts);
        expect(byKind(out, 'Service')?.object.metadata.name).toBe('web');
        expect(existsSync(marker)).toBe(false);
      },
    );

    it.each(OPTION_LIKE)('a value file named %j is read as a values file', async (v) => {
      const { root, marker, fill } = setup();
      const name = fill(v).replaceAll('/', '_');
      writeFileSync(join(root, 'apps/web', name), 'greeting: from-odd-file\n');
      const spec: RenderSpec = { root, path: 'apps/web', helm: { valueFiles: [name], releaseName: 'web' } };
      const out = await render(spec, opts);
      expect(byKind(out, 'ConfigMap')?.object.data).toMatchObject({ greeting: 'from-odd-file' });
      expect(existsSync(marker)).toBe(false);
      expect(existsSync(join(root, 'out'))).toBe(false);
    });

    it('inline values holding option text stay values', async () => {
      const { root, marker, fill } = setup();
      const out = await render(
        { root, path: 'apps/web', helm: { values: `greeting: "${fill('--post-renderer=PR')}"` } },
        opts,
      );
      expect(byKind(out, 'ConfigMap')?.object.data).toMatchObject({ greeting: fill('--post-renderer=PR') });
      expect(existsSync(marker)).toBe(false);
    });
  });

  it('never reads a `repository: file://` dependency outside the repository', async () => {
    const outside = mkdtempSync(join(tmpdir(), 'gitfleet-helm-outside-'));
    temps.push(outside);
    cpSync(join(testdata, 'helm/vendored/charts/common'), outside, { recursive: true });
    const chart = (repo: string): string =>
      `apiVersion: v2\nname: web\nversion: 0.1.0\ndependencies:\n  - name: common\n    version: 0.1.0\n    repository: ${repo}\n`;
    // Not vendored: refused, not fetched from the path.
    const root = repoWithWebChart({ 'apps/web/Chart.yaml': chart(`file://../../../../../..${outside}`) });
    const err = await renderError(render({ root, path: 'apps/web' }, opts));
    expect(err.code).toBe('render.HelmDependencyMissing');
    // "Vendored" through a symlink to the outside directory: a path escape.
    const linked = repoWithWebChart({
      'apps/web/Chart.yaml': chart('file://../common'),
      'apps/web/charts/common': { link: outside },
    });
    await expect(render({ root: linked, path: 'apps/web' }, opts)).rejects.toBeInstanceOf(PathEscapeError);
  });
});
