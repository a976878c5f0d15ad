import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { PathEscapeError, RenderError } from '../errors.js';
import type { Manifest } from '../manifest.js';
import { RenderCache, renderCacheKey, renderCached, renderedBefore, renderFromLineage } from './index.js';
import type { RenderSpec } from './index.js';

const tree = 'a'.repeat(40);
const base: RenderSpec = {
  root: '/checkouts/abc',
  path: 'apps/web',
  type: 'helm',
  helm: {
    releaseName: 'web',
    namespace: 'prod',
    valueFiles: ['v.yaml'],
    values: 'a: 1',
    valuesObject: { b: { c: 1, d: 2 } },
  },
};

const manifest = (name: string): Manifest => ({
  object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name } },
  origin: { file: 'a.yaml', line: 1 },
});

describe('renderCacheKey', () => {
  it('is a stable hex digest for the same inputs', () => {
    expect(renderCacheKey(base, tree)).toMatch(/^[0-9a-f]{64}$/u);
    expect(renderCacheKey(structuredClone(base), tree)).toBe(renderCacheKey(base, tree));
  });

  it('changes when the inputs tree hash changes', () => {
    expect(renderCacheKey(base, 'b'.repeat(40))).not.toBe(renderCacheKey(base, tree));
  });

  it.each<[string, RenderSpec]>([
    ['path', { ...base, path: 'apps/api' }],
    ['type', { ...base, type: 'directory' }],
    ['releaseName', { ...base, helm: { ...base.helm, releaseName: 'other' } }],
    ['namespace', { ...base, helm: { ...base.helm, namespace: 'dev' } }],
    ['valueFiles', { ...base, helm: { ...base.helm, valueFiles: ['v.yaml', 'w.yaml'] } }],
    ['values', { ...base, helm: { ...base.helm, values: 'a: 2' } }],
    ['valuesObject', { ...base, helm: { ...base.helm, valuesObject: { b: { c: 1, d: 3 } } } }],
    ['kubeVersion', { ...base, helm: { ...base.helm, kubeVersion: '1.30.0' } }],
    ['directory.recursive', { ...base, directory: { recursive: true } }],
    ['directory.include', { ...base, directory: { include: ['*.yaml'] } }],
    ['directory.exclude', { ...base, directory: { exclude: ['*.yaml'] } }],
  ])('changes when %s changes', (_what, spec) => {
    expect(renderCacheKey(spec, tree)).not.toBe(renderCacheKey(base, tree));
  });

  it('ignores the checkout location, spellings of the same path, key order and written-out defaults', () => {
    const same: RenderSpec = {
      root: '/elsewhere/xyz',
      path: './apps//web/',
      type: 'helm',
      helm: {
        valuesObject: { b: { d: 2, c: 1 } },
        values: 'a: 1',
        valueFiles: ['v.yaml'],
        namespace: 'prod',
        releaseName: 'web',
      },
    };
    expect(renderCacheKey(same, tree)).toBe(renderCacheKey(base, tree));
    const dir: RenderSpec = { root: '/r', path: '' };
    expect(renderCacheKey({ ...dir, path: '.' }, tree)).toBe(renderCacheKey(dir, tree));
    expect(renderCacheKey({ ...dir, directory: {} }, tree)).toBe(
      renderCacheKey({ ...dir, directory: { recursive: false, include: [], exclude: [] } }, tree),
    );
  });

  it('refuses an escaping path like render does', () => {
    expect(() => renderCacheKey({ root: '/r', path: '../x' }, tree)).toThrow(PathEscapeError);
  });
});

describe('RenderCache', () => {
  it('returns what was set and undefined for unknown keys, including empty renders', () => {
    const c = new RenderCache();
    c.set('k', [manifest('a')]);
    c.set('empty', []);
    expect(c.get('k')).toEqual([manifest('a')]);
    expect(c.get('empty')).toEqual([]);
    expect(c.get('other')).toBeUndefined();
  });

  it('evicts the least recently used entry beyond maxEntries', () => {
    const c = new RenderCache({ maxEntries: 2 });
    c.set('a', [manifest('a')]);
    c.set('b', [manifest('b')]);
    c.get('a');
    c.set('c', [manifest('c')]);
    expect(c.size).toBe(2);
    expect(c.get('b')).toBeUndefined();
    expect(c.get('a')).toBeDefined();
    expect(c.get('c')).toBeDefined();
  });

  it('is not corrupted when the caller mutates what it stored or got back', () => {
    const c = new RenderCache();
    const stored = [manifest('a')];
    c.set('k', stored);
    const first = stored[0];
    if (first) first.object.metadata.name = 'changed-after-set';
    const got = c.get('k');
    expect(got?.[0]?.object.metadata.name).toBe('a');
    got?.push(manifest('extra'));
    expect(c.get('k')).toHaveLength(1);
  });

  it('evicts the least recently used entries beyond maxBytes, counting replaced entries once', () => {
    const probe = new RenderCache();
    probe.set('a', [manifest('a')]);
    const one = probe.bytes;
    const c = new RenderCache({ maxBytes: one * 2 });
    c.set('a', [manifest('a')]);
    c.set('a', [manifest('a')]);
    c.set('b', [manifest('b')]);
    expect(c.size).toBe(2);
    expect(c.bytes).toBe(one * 2);
    c.get('a');
    c.set('c', [manifest('c')]);
    expect(c.get('b')).toBeUndefined();
    expect(c.get('a')).toBeDefined();
    expect(c.bytes).toBe(one * 2);
  });

  it('holds renders compressed: far fewer bytes than their JSON, and the same manifests back', () => {
    const c = new RenderCache();
    const ten = Array.from({ length: 10 }, (_, j) => manifest(`app-${j}`));
    c.set('k', ten);
    expect(c.bytes).toBeGreaterThan(0);
    expect(c.bytes).toBeLessThan(JSON.stringify(ten).length / 3);
    expect(c.get('k')).toEqual(ten);
  });

  it('keeps a render of every app of a 1,000-app fleet by default (a poll round must not empty it)', () => {
    const c = new RenderCache();
    const ten = (i: number) => Array.from({ length: 10 }, (_, j) => manifest(`app-${i}-${j}`));
    for (let i = 0; i < 1000; i++) c.set(`k${i}`, ten(i));
    expect(c.size).toBe(1000);
    expect(c.get('k0')).toHaveLength(10);
  });

  it('remembers input paths by memo and starts over when the memo table is full', () => {
    const c = new RenderCache({ maxEntries: 2 });
    c.setInputs('m1', ['app', 'base']);
    expect(c.inputsOf('m1')).toEqual(['app', 'base']);
    c.setInputs('m2', ['x']);
    c.setInputs('m3', ['y']);
    expect(c.inputsOf('m1')).toBeUndefined();
    expect(c.inputsOf('m3')).toEqual(['y']);
  });

  it('refuses a maxEntries or maxBytes that is not a positive integer', () => {
    expect(() => new RenderCache({ maxEntries: 0 })).toThrow(RangeError);
    expect(() => new RenderCache({ maxEntries: 1.5 })).toThrow(RangeError);
    expect(() => new RenderCache({ maxBytes: 0 })).toThrow(RangeError);
  });
});

describe('renderCached: results and failures keyed by every input', () => {
  const temps: string[] = [];
  afterEach(() => {
    for (const d of temps.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  /** A repository with an overlay and its base, and a stand-in kustomize that counts its runs. */
  function setup(script: string): { root: string; bin: string; runs: () => number } {
    const root = mkdtempSync(join(tmpdir(), 'gitfleet-render-cached-'));
    temps.push(root);
    mkdirSync(join(root, 'repo/overlay'), { recursive: true });
    mkdirSync(join(root, 'repo/base'), { recursive: true });
    writeFileSync(join(root, 'repo/overlay/kustomization.yaml'), 'resources: [../base]\n');
    writeFileSync(join(root, 'repo/base/kustomization.yaml'), 'resources: []\n');
    const counter = join(root, 'runs');
    const bin = join(root, 'kustomize');
    // Runs with an empty PATH inside the sandbox: only shell built-ins.
    writeFileSync(bin, `#!/bin/sh\necho run >> '${counter}'\n${script}\n`);
    chmodSync(bin, 0o755);
    const runs = (): number =>
      existsSync(counter) ? readFileSync(counter, 'utf8').split('\n').filter(Boolean).length : 0;
    return { root: join(root, 'repo'), bin, runs };
  }

  it('does not run the tool again for a failing input until an input (here ../base) changes', async () => {
    const { root, bin, runs } = setup("echo 'Error: map[string]interface {} alias bomb' >&2; exit 1");
    const cache = new RenderCache();
    const ids: Record<string, string> = { overlay: 'o1', base: 'b1' };
    const asked: string[] = [];
    const access = {
      cache,
      objectId: (p: string): Promise<string> => {
        asked.push(p);
        return Promise.resolve(ids[p] ?? 'missing');
      },
    };
    const spec: RenderSpec = { root, path: 'overlay' };
    const first = await renderCached(spec, { kustomizeBinary: bin }, access).catch((e: unknown) => e);
    expect(first).toBeInstanceOf(RenderError);
    expect((first as RenderError).code).toBe('render.ToolFailed');
    expect(runs()).toBe(1);
    expect(asked.sort()).toEqual(['base', 'overlay']);

    const second = await renderCached(spec, { kustomizeBinary: bin }, access).catch((e: unknown) => e);
    expect(second).toBe(first);
    expect(runs()).toBe(1);

    ids.base = 'b2';
    await renderCached(spec, { kustomizeBinary: bin }, access).catch(() => undefined);
    expect(runs()).toBe(2);
  });

  it('serves a successful render from the cache, and re-runs when ../base changes', async () => {
    const { root, bin, runs } = setup(
      "printf 'apiVersion: v1\\nkind: ConfigMap\\nmetadata:\\n  name: from-tool\\n'",
    );
    const cache = new RenderCache();
    const ids: Record<string, string> = { overlay: 'o1', base: 'b1' };
    const access = { cache, objectId: (p: string): Promise<string> => Promise.resolve(ids[p] ?? '') };
    const spec: RenderSpec = { root, path: 'overlay' };
    const a = await renderCached(spec, { kustomizeBinary: bin }, access);
    const b = await renderCached(spec, { kustomizeBinary: bin }, access);
    expect(b).toEqual(a);
    expect(a[0]?.object.metadata.name).toBe('from-tool');
    expect(runs()).toBe(1);
    ids.base = 'b2';
    await renderCached(spec, { kustomizeBinary: bin }, access);
    expect(runs()).toBe(2);
  });

  it('with a contentKey, finds the input paths once per content and parameters', async () => {
    const { root, bin, runs } = setup(
      "printf 'apiVersion: v1\\nkind: ConfigMap\\nmetadata:\\n  name: from-tool\\n'",
    );
    const cache = new RenderCache();
    const asked: string[] = [];
    const objectId = (p: string): Promise<string> => {
      asked.push(p);
      return Promise.resolve(`${p}-1`);
    };
    const spec: RenderSpec = { root, path: 'overlay', type: 'kustomize' };
    await renderCached(
      spec,
      { kustomizeBinary: bin },
      { cache, objectId, contentKey: { repoURL: 'repo', commit: 'c1' } },
    );
    // The kustomization is gone from disk: only the remembered paths can answer.
    rmSync(join(root, 'overlay/kustomization.yaml'));
    const again = await renderCached(
      spec,
      { kustomizeBinary: bin },
      { cache, objectId, contentKey: { repoURL: 'repo', commit: 'c1' } },
    );
    expect(again[0]?.object.metadata.name).toBe('from-tool');
    expect(runs()).toBe(1);
    expect(asked.sort()).toEqual(['base', 'base', 'overlay', 'overlay']);
    // Other content, or other parameters, look at the files again.
    const other = await renderCached(
      spec,
      { kustomizeBinary: bin },
      { cache, objectId, contentKey: { repoURL: 'repo', commit: 'c2' } },
    ).catch((e: unknown) => e);
    expect(other).toBeInstanceOf(Error);
    const params = await renderCached(
      { ...spec, kustomize: { namePrefix: 'x-' } },
      { kustomizeBinary: bin },
      { cache, objectId, contentKey: { repoURL: 'repo', commit: 'c1' } },
    ).catch((e: unknown) => e);
    expect(params).toBeInstanceOf(Error);
  });

  it('with a lineage, a later revision whose inputs are the same objects renders with no file read', async () => {
    const { root, bin, runs } = setup(
      "printf 'apiVersion: v1\\nkind: ConfigMap\\nmetadata:\\n  name: from-tool\\n'",
    );
    const cache = new RenderCache({ maxEntries: 1 });
    const ids: Record<string, string> = { overlay: 'o1', base: 'b1' };
    const objectId = (p: string): Promise<string> =>
      ids[p] ? Promise.resolve(ids[p]) : Promise.reject(new Error(`no ${p}`));
    const spec: RenderSpec = { root, path: 'overlay', type: 'kustomize' };
    const lineage = { repoURL: 'repo' };
    const params = { path: spec.path, type: spec.type };
    // What was read before, then whether it still answers: as the controller asks.
    const fromLineage = async (
      p: Omit<RenderSpec, 'root'>,
      l: Record<string, string>,
    ): Promise<Awaited<ReturnType<typeof renderFromLineage>>> => {
      const before = renderedBefore(p, { cache, lineage: l });
      return before ? renderFromLineage(p, before, { cache, objectId }) : undefined;
    };
    // Nothing remembered yet.
    expect(await fromLineage(params, lineage)).toBeUndefined();
    await renderCached(
      spec,
      { kustomizeBinary: bin },
      { cache, objectId, lineage, contentKey: { repoURL: 'repo', commit: 'c1' } },
    );
    // The files are gone: only what the lineage remembers can answer.
    rmSync(join(root, 'overlay'), { recursive: true, force: true });
    const same = await fromLineage(params, lineage);
    expect(same?.manifests[0]?.object.metadata.name).toBe('from-tool');
    expect(same?.ids).toEqual({ base: 'b1', overlay: 'o1' });
    expect(runs()).toBe(1);
    // Other parameters or another repository have no lineage of their own.
    expect(await fromLineage({ ...params, kustomize: { namePrefix: 'x-' } }, lineage)).toBeUndefined();
    expect(await fromLineage(params, { repoURL: 'other' })).toBeUndefined();
    // One input changed, or gone: the full render decides.
    ids.base = 'b2';
    expect(await fromLineage(params, lineage)).toBeUndefined();
    ids.base = 'b1';
    delete ids.overlay;
    expect(await fromLineage(params, lineage)).toBeUndefined();
    // The render itself evicted: not answered either.
    ids.overlay = 'o1';
    cache.set('another render', []);
    expect(await fromLineage(params, lineage)).toBeUndefined();
  });

  it('retries failures that say nothing about the input (cancelled, binary missing)', async () => {
    const { root } = setup('exit 0');
    const cache = new RenderCache();
    const access = { cache, objectId: (): Promise<string> => Promise.resolve('x') };
    const spec: RenderSpec = { root, path: 'overlay' };
    const missing = await renderCached(spec, { kustomizeBinary: '/nonexistent/kustomize' }, access).catch(
      (e: unknown) => e,
    );
    expect((missing as RenderError).code).toBe('render.ToolMissing');
    expect(cache.size).toBe(0);
  });
});
