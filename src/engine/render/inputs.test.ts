import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { PathEscapeError, RenderError } from '../errors.js';
import { renderCacheKey, renderInputs } from './index.js';
import type { RenderSpec } from './index.js';

const temps: string[] = [];
afterEach(() => {
  for (const d of temps.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A temporary repository: string values are files, `{ link }` values are symlinks. */
function repo(entries: Record<string, string | { link: string }>): string {
  const root = mkdtempSync(join(tmpdir(), 'gitfleet-render-inputs-'));
  temps.push(root);
  write(root, entries);
  return root;
}

function write(root: string, entries: Record<string, string | { link: string }>): void {
  for (const [p, v] of Object.entries(entries)) {
    mkdirSync(dirname(join(root, p)), { recursive: true });
    rmSync(join(root, p), { force: true });
    if (typeof v === 'string') writeFileSync(join(root, p), v);
    else symlinkSync(v.link, join(root, p));
  }
}

async function failure(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => {
      throw new Error('expected a failure');
    },
    (e: unknown) => e,
  );
}

const cm = (name: string): string => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n`;
const chart = 'apiVersion: v2\nname: web\nversion: 0.1.0\n';

/** The cache key of `spec` at the repository's current HEAD, object ids from git itself. */
async function keyAtHead(spec: RenderSpec): Promise<string> {
  const git = (...args: string[]): string =>
    execFileSync('git', ['-C', spec.root, ...args], { encoding: 'utf8' }).trim();
  git('add', '-A');
  git('-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '--allow-empty', '-m', 'c');
  const ids: Record<string, string> = {};
  for (const p of await renderInputs(spec)) ids[p] = git('rev-parse', p === '' ? 'HEAD^{tree}' : `HEAD:${p}`);
  return renderCacheKey(spec, ids);
}

function gitRepo(entries: Record<string, string | { link: string }>): string {
  const root = repo(entries);
  execFileSync('git', ['init', '-q', root]);
  return root;
}

describe('renderInputs: what a render reads', () => {
  it('kustomize: the overlay and every base and component it reaches, not the rest of the repository', async () => {
    const root = repo({
      'apps/web/overlays/prod/kustomization.yaml': 'resources: [../../base, ../../../../shared/cms]\n',
      'apps/web/base/kustomization.yaml': 'resources: [cm.yaml]\ncomponents: [../../../components/labels]\n',
      'apps/web/base/cm.yaml': cm('a'),
      'shared/cms/kustomization.yaml': 'resources: [cm.yaml]\n',
      'shared/cms/cm.yaml': cm('b'),
      'components/labels/kustomization.yaml': 'kind: Component\n',
      'unrelated/cm.yaml': cm('c'),
    });
    expect(await renderInputs({ root, path: 'apps/web/overlays/prod' })).toEqual([
      'apps/web/base',
      'apps/web/overlays/prod',
      'components/labels',
      'shared/cms',
    ]);
  });

  it('helm: the chart directory and each value file, wherever it lives', async () => {
    const root = repo({
      'charts/web/Chart.yaml': chart,
      'charts/web/values.yaml': 'a: 1\n',
      'values/prod.yaml': 'a: 2\n',
      'unrelated/x.yaml': 'a: 3\n',
    });
    const spec: RenderSpec = { root, path: 'charts/web', helm: { valueFiles: ['../../values/prod.yaml'] } };
    expect(await renderInputs(spec)).toEqual(['charts/web', 'values/prod.yaml']);
  });

  it('directory: the app directory, and the targets of symlinks in it', async () => {
    const root = repo({
      'apps/a/cm.yaml': cm('a'),
      'apps/a/shared': { link: '../../shared' },
      'shared/cm.yaml': cm('s'),
    });
    expect(await renderInputs({ root, path: 'apps/a', directory: { recursive: true } })).toEqual([
      'apps/a',
      'shared',
    ]);
  });

  it('falls back to the whole repository when the app is the root', async () => {
    const root = repo({ 'kustomization.yaml': 'resources: [cm.yaml]\n', 'cm.yaml': cm('a') });
    expect(await renderInputs({ root, path: '' })).toEqual(['']);
  });
});

describe('renderCacheKey over renderInputs (Git object ids of every input)', () => {
  it('kustomize: changes when ../base changes, not when an unrelated folder does', async () => {
    const root = gitRepo({
      'overlay/kustomization.yaml': 'resources: [../base]\n',
      'base/kustomization.yaml': 'resources: [cm.yaml]\n',
      'base/cm.yaml': cm('a'),
      'other/cm.yaml': cm('o'),
    });
    const spec: RenderSpec = { root, path: 'overlay' };
    const k1 = await keyAtHead(spec);
    write(root, { 'other/cm.yaml': cm('o2') });
    expect(await keyAtHead(spec)).toBe(k1);
    write(root, { 'base/cm.yaml': cm('b') });
    expect(await keyAtHead(spec)).not.toBe(k1);
  });

  it('helm: changes when a value file outside the chart directory changes', async () => {
    const root = gitRepo({
      'chart/Chart.yaml': chart,
      'values/prod.yaml': 'replicas: 1\n',
      'other/x.yaml': 'x: 1\n',
    });
    const spec: RenderSpec = { root, path: 'chart', helm: { valueFiles: ['../values/prod.yaml'] } };
    const k1 = await keyAtHead(spec);
    write(root, { 'other/x.yaml': 'x: 2\n' });
    expect(await keyAtHead(spec)).toBe(k1);
    write(root, { 'values/prod.yaml': 'replicas: 3\n' });
    expect(await keyAtHead(spec)).not.toBe(k1);
  });

  it('directory: changes when a symlinked directory outside the app path changes', async () => {
    const root = gitRepo({
      'app/cm.yaml': cm('a'),
      'app/shared': { link: '../shared' },
      'shared/cm.yaml': cm('s'),
    });
    const spec: RenderSpec = { root, path: 'app', directory: { recursive: true } };
    const k1 = await keyAtHead(spec);
    write(root, { 'shared/cm.yaml': cm('s2') });
    expect(await keyAtHead(spec)).not.toBe(k1);
  });
});

describe('symlinks: only what the app reads is checked', () => {
  const monorepo = (extra: Record<string, string | { link: string }> = {}): string =>
    repo({
      'team-b/secrets': { link: '/etc' },
      'apps/kust/kustomization.yaml': 'resources: [../../bases/web]\n',
      'bases/web/kustomization.yaml': 'resources: [cm.yaml]\n',
      'bases/web/cm.yaml': cm('web'),
      'apps/chart/Chart.yaml': chart,
      'apps/plain/cm.yaml': cm('plain'),
      ...extra,
    });

  it('an escaping symlink in another folder fails no app (kustomize, helm, directory)', async () => {
    const root = monorepo();
    await expect(renderInputs({ root, path: 'apps/kust' })).resolves.toEqual(['apps/kust', 'bases/web']);
    await expect(renderInputs({ root, path: 'apps/chart' })).resolves.toEqual(['apps/chart']);
    await expect(renderInputs({ root, path: 'apps/plain' })).resolves.toEqual(['apps/plain']);
  });

  it('an escaping symlink in a base the overlay reaches is refused, naming the link', async () => {
    const root = monorepo({ 'bases/web/files/passwd': { link: '/etc/passwd' } });
    const err = await failure(renderInputs({ root, path: 'apps/kust' }));
    expect(err).toBeInstanceOf(PathEscapeError);
    expect(String(err)).toContain('bases/web/files/passwd');
  });

  it('an escaping symlink inside the chart (e.g. a vendored subchart) is refused', async () => {
    const root = monorepo({ 'apps/chart/charts/common': { link: '/usr/share' } });
    const err = await failure(renderInputs({ root, path: 'apps/chart' }));
    expect(err).toBeInstanceOf(PathEscapeError);
    expect(String(err)).toContain('apps/chart/charts/common');
  });

  it('an escaping symlink reached through an in-repository symlink is refused', async () => {
    const root = monorepo({ 'apps/plain/more': { link: '../../team-b' } });
    const err = await failure(renderInputs({ root, path: 'apps/plain', directory: { recursive: true } }));
    expect(err).toBeInstanceOf(PathEscapeError);
    expect(String(err)).toContain('team-b/secrets');
  });
});

describe('kustomize remote resources are refused before kustomize runs', () => {
  const remotes = [
    'https://github.com/org/repo//deploy?ref=v1',
    'http://10.0.0.1/base',
    'git::https://example.com/org/repo.git//base',
    'ssh://git@example.com/org/repo.git',
    'file:///var/cache/gitfleet/mirrors/other-tenant',
    'git@github.com:org/repo.git',
    'github.com/org/repo//deploy?ref=main',
    'example.com/org/repo/base',
  ];
  it.each(remotes)('resources: %s', async (entry) => {
    const root = repo({ 'app/kustomization.yaml': `resources:\n  - ${JSON.stringify(entry)}\n` });
    const err = await failure(renderInputs({ root, path: 'app' }));
    expect(err).toBeInstanceOf(RenderError);
    expect((err as RenderError).code).toBe('render.RemoteResource');
    expect((err as RenderError).file).toBe('app/kustomization.yaml');
    expect(String(err)).toContain(entry);
  });

  it('in a base reached from the overlay, naming the base kustomization', async () => {
    const root = repo({
      'app/kustomization.yaml': 'resources: [../base]\n',
      'base/kustomization.yaml': 'bases: ["https://example.com/x"]\n',
    });
    const err = (await failure(renderInputs({ root, path: 'app' }))) as RenderError;
    expect(err.code).toBe('render.RemoteResource');
    expect(err.file).toBe('base/kustomization.yaml');
  });

  it.each([
    [
      'configMapGenerator files',
      'configMapGenerator:\n  - name: x\n    files: ["k=http://169.254.169.254/latest"]\n',
    ],
    ['patches path', 'patches:\n  - path: https://example.com/p.yaml\n'],
    ['openapi path', 'openapi:\n  path: http://127.0.0.1:2379/v3/kv\n'],
    [
      'helmCharts valuesFile',
      'helmCharts:\n  - name: x\n    version: 1.0.0\n    valuesFile: https://charts.example.com/v.yaml\n',
    ],
    [
      'helmCharts chart not fetched',
      'helmCharts:\n  - name: x\n    version: 1.0.0\n    repo: https://c.example\n',
    ],
  ])('URLs in file fields: %s', async (_what, kustomization) => {
    const root = repo({ 'app/kustomization.yaml': kustomization });
    const err = (await failure(renderInputs({ root, path: 'app' }))) as RenderError;
    expect(err.code).toBe('render.RemoteResource');
    expect(err.file).toBe('app/kustomization.yaml');
  });

  it('an absolute path or one leaving the repository is a path escape, not a fetch', async () => {
    const root = repo({ 'app/kustomization.yaml': 'resources: [/var/cache/gitfleet/checkouts/x]\n' });
    expect(await failure(renderInputs({ root, path: 'app' }))).toBeInstanceOf(PathEscapeError);
  });

  it('a missing local entry not shaped like a URL is left for kustomize to report', async () => {
    const root = repo({ 'app/kustomization.yaml': 'resources: [missing-dir, missing.yaml]\n' });
    await expect(renderInputs({ root, path: 'app' })).resolves.toEqual(['app']);
  });

  it('inline transformer configuration is not mistaken for a path', async () => {
    const root = repo({
      'app/kustomization.yaml':
        'resources: [cm.yaml]\ntransformers:\n  - |-\n    apiVersion: builtin\n    kind: LabelTransformer\n    metadata:\n      name: l\n    labels: {a: b}\n    fieldSpecs: [{path: metadata/labels, create: true}]\n',
      'app/cm.yaml': cm('a'),
    });
    await expect(renderInputs({ root, path: 'app' })).resolves.toEqual(['app']);
  });
});
