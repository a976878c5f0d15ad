import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterEach, describe, expect, it } from 'vitest';

import { RenderError } from '../errors.js';
import type { Manifest } from '../manifest.js';
import { render } from './index.js';

const testdata = join(dirname(fileURLToPath(import.meta.url)), 'testdata');
const names = (ms: Manifest[]): string[] => ms.map((m) => m.object.metadata.name);

const temps: string[] = [];
afterEach(() => {
  for (const d of temps.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A temporary repository with the given files (path → content). */
function repo(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'gitfleet-render-dir-'));
  temps.push(root);
  for (const [p, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, p)), { recursive: true });
    writeFileSync(join(root, p), content);
  }
  return root;
}

async function renderError(p: Promise<unknown>): Promise<RenderError> {
  const err: unknown = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (err instanceof RenderError) return err;
  throw new Error(`expected a RenderError, got ${String(err)}`);
}

const cm = (name: string): string => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n`;

describe('render: directory', () => {
  it('renders the top-level YAML and JSON files in sorted order, flattening Lists and skipping empty documents', async () => {
    const out = await render({ root: testdata, path: 'directory' });
    expect(names(out)).toEqual(['json-sa', 'from-list-a', 'from-list-b', 'first', 'second']);
    expect(out.map((m) => m.origin)).toEqual([
      { file: 'directory/app.json', line: 1 },
      { file: 'directory/list.yaml', line: 4 },
      { file: 'directory/list.yaml', line: 8 },
      { file: 'directory/multi.yaml', line: 2 },
      { file: 'directory/multi.yaml', line: 13 },
    ]);
  });

  it('detects a plain directory when there is no kustomization or Chart.yaml', async () => {
    const explicit = await render({ root: testdata, path: 'directory', type: 'directory' });
    expect(await render({ root: testdata, path: 'directory/' })).toEqual(explicit);
  });

  it('walks subdirectories only when recursive, skipping hidden files and directories', async () => {
    const out = await render({ root: testdata, path: 'directory', directory: { recursive: true } });
    expect(names(out)).toEqual([
      'json-sa',
      'from-list-a',
      'from-list-b',
      'first',
      'second',
      'deep',
      'nested',
    ]);
    expect(out.at(-1)?.origin).toEqual({ file: 'directory/sub/nested.yaml', line: 1 });
    expect(names(out)).not.toContain('hidden-file');
    expect(names(out)).not.toContain('hidden-dir');
  });

  it('keeps only files matching include and drops files matching exclude', async () => {
    const rec = { root: testdata, path: 'directory', directory: { recursive: true } };
    const yamlOnly = await render({ ...rec, directory: { recursive: true, include: ['*.yaml'] } });
    expect(names(yamlOnly)).toEqual(['from-list-a', 'from-list-b', 'first', 'second', 'nested']);
    const subOnly = await render({ ...rec, directory: { recursive: true, include: ['sub/**'] } });
    expect(names(subOnly)).toEqual(['deep', 'nested']);
    const noSub = await render({ ...rec, directory: { recursive: true, exclude: ['sub/**', 'list.yaml'] } });
    expect(names(noSub)).toEqual(['json-sa', 'first', 'second']);
    const both = await render({
      ...rec,
      directory: { recursive: true, include: ['sub/**'], exclude: ['*.yml'] },
    });
    expect(names(both)).toEqual(['nested']);
  });

  it('renders the repository root for path "" and "."', async () => {
    const root = repo({ 'a.yaml': cm('a'), 'sub/b.yaml': cm('b') });
    expect(names(await render({ root, path: '' }))).toEqual(['a']);
    expect(names(await render({ root, path: '.', directory: { recursive: true } }))).toEqual(['a', 'b']);
    expect((await render({ root, path: '.', directory: { recursive: true } }))[1]?.origin.file).toBe(
      'sub/b.yaml',
    );
  });

  it('does not treat kustomization.yaml as a manifest in directory mode', async () => {
    const root = repo({
      'app/kustomization.yaml': 'resources: [a.yaml]\n',
      'app/a.yaml': cm('a'),
    });
    expect(names(await render({ root, path: 'app', type: 'directory' }))).toEqual(['a']);
  });

  it('names the file and line of a YAML syntax error', async () => {
    const root = repo({
      'app/ok.yaml': cm('ok'),
      'app/z-bad.yaml': `${cm('fine')}---\nkind: ConfigMap\n  bad: [\n`,
    });
    const err = await renderError(render({ root, path: 'app' }));
    expect(err.code).toBe('render.YamlSyntax');
    expect(err.file).toBe('app/z-bad.yaml');
    expect(err.line).toBeGreaterThanOrEqual(6);
    expect(err.message).toContain('app/z-bad.yaml:');
  });

  it('names the file, the line of the document and the missing field when metadata.name is absent', async () => {
    const root = repo({
      'app/objs.yaml': `${cm('ok')}---\n# a comment first\napiVersion: v1\nkind: Secret\nmetadata:\n  labels: {a: b}\n`,
    });
    const err = await renderError(render({ root, path: 'app' }));
    expect(err.code).toBe('render.InvalidManifest');
    expect(err.file).toBe('app/objs.yaml');
    expect(err.line).toBe(7);
    expect(err.message).toBe('app/objs.yaml:7: Secret has no metadata.name');
  });

  it('returns [] for a directory without manifests', async () => {
    const root = repo({ 'app/README.md': '# nothing\n', 'app/empty.yaml': '# comment only\n' });
    expect(await render({ root, path: 'app' })).toEqual([]);
  });

  it('fails when the app path does not exist or is a file', async () => {
    const root = repo({ 'a.yaml': cm('a') });
    expect((await renderError(render({ root, path: 'missing' }))).file).toBe('missing');
    expect((await renderError(render({ root, path: 'a.yaml' }))).message).toContain('not a directory');
  });

  it('stops with render.OutputTooLarge when the files exceed maxOutputBytes', async () => {
    const root = repo({
      'app/a.yaml': cm('a'),
      'app/b.yaml': `${cm('b')}data:\n  big: ${'x'.repeat(500)}\n`,
    });
    const err = await renderError(render({ root, path: 'app' }, { maxOutputBytes: 200 }));
    expect(err.code).toBe('render.OutputTooLarge');
    expect(err.file).toBe('app/b.yaml');
    expect(names(await render({ root, path: 'app' }, { maxOutputBytes: 10_000 }))).toEqual(['a', 'b']);
  });

  it('stops with render.Aborted when the signal has fired', async () => {
    const err = await renderError(
      render({ root: testdata, path: 'directory' }, { signal: AbortSignal.abort() }),
    );
    expect(err.code).toBe('render.Aborted');
  });
});

describe('Jsonnet files (Argo CD renders them; gitfleet refuses them by name)', () => {
  it('fails the render naming the .jsonnet file instead of deploying nothing', async () => {
    const root = repo({ 'app/main.jsonnet': '{ apiVersion: "v1" }', 'app/sub/x.jsonnet': '{}' });
    const err = await renderError(render({ root, path: 'app' }));
    expect(err.code).toBe('render.Unsupported');
    expect(err.message).toContain('app/main.jsonnet');
    expect(err.message).toContain('Jsonnet is not supported');
  });

  it('an excluded or non-selected .jsonnet file does not stop the YAML next to it', async () => {
    const root = repo({ 'app/main.jsonnet': '{}', 'app/cm.yaml': cm('a') });
    expect(names(await render({ root, path: 'app', directory: { exclude: ['*.jsonnet'] } }))).toEqual(['a']);
    expect(names(await render({ root, path: 'app', directory: { include: ['*.yaml'] } }))).toEqual(['a']);
  });
});
