/**
 * Chart and artifact sources: a Helm chart from an HTTP repository or an OCI registry, or an OCI
 * artifact of plain manifests / a Kustomize tree, turned into a read-only directory the renderers
 * read like a Git checkout. The chart's dependencies are fetched here, by gitfleet, from their
 * repositories with the credentials the caller finds for each URL, and placed in `charts/` as
 * archives: the renderer itself never touches the network (no `helm dependency build` inside it).
 * Every tree is keyed by the digests of what is in it, so the render cache keyed by those digests
 * re-renders only when an input changed.
 */
import { cp, mkdir, readdir, realpath, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { parse as parseYaml } from 'yaml';

import { FileTooLargeError, readFileWithin, TENANT_FILE_MAX_BYTES } from '../../core/read-within.js';
import { SourceError } from '../errors.js';
import { ArchiveCache, sha256, type ArchiveCacheOptions } from './chart-cache.js';
import { kustomizeCharts, type KustomizeChart } from './kustomize-charts.js';
import { PromiseMemo } from './memo.js';
import { assertWritableInTree } from './tree-write.js';
import { HelmRepositories, type HelmRepoOptions } from './helm-repo.js';
import type { RepoAuth } from './http-get.js';
import type { DeniedNetworks, Resolver } from './network.js';
import { CONTENT_LAYERS, HELM_CHART_LAYER, OciClient, parseOciUrl } from './oci.js';

export interface ChartSourceOptions {
  cacheDir: string;
  /** Index refresh interval per repository; default 3 minutes. */
  intervalMs?: number;
  timeoutMs?: number;
  denied?: DeniedNetworks;
  resolver?: Resolver;
  /** Tests only: a plain-HTTP OCI registry. */
  ociScheme?: 'https' | 'http';
  /** Bound of the archive store and an eviction hook for a metric (chart-cache.ts). */
  archives?: ArchiveCacheOptions;
}

/** A chart resolved to one archive. */
export interface ResolvedChart {
  name: string;
  version: string;
  /** Hex sha256 of the chart archive. */
  digest: string;
  /** What the app's revision shows: `<version>@sha256:<digest>` (OCI: the manifest digest). */
  revision: string;
}

/** A directory ready to render: `root` content-addressed by `key`, the chart at `path`. */
export interface SourceTree {
  root: string;
  path: string;
  /** Hex digest naming everything in the tree (the render cache's object id). */
  key: string;
}

export type AuthFor = (url: string) => Promise<RepoAuth | undefined>;

export const isOciUrl = (url: string): boolean => url.trim().startsWith('oci://');

export class ChartSources {
  readonly cache: ArchiveCache;
  readonly helm: HelmRepositories;
  readonly oci: OciClient;
  /**
   * What a tree declares (chart dependencies, kustomize helmCharts), by the tree's key and path:
   * a tree's key names its content, so every poll of an unchanged commit reads no file for it.
   */
  readonly #declared = new PromiseMemo<Dependency[]>(4096);
  readonly #kustomizeCharts = new PromiseMemo<KustomizeChart[]>(4096);

  constructor(o: ChartSourceOptions) {
    this.cache = new ArchiveCache(o.cacheDir, o.archives);
    const common = { timeoutMs: o.timeoutMs, denied: o.denied, resolver: o.resolver };
    const helmOpts: HelmRepoOptions = { cache: this.cache, ...definedOnly(common) };
    if (o.intervalMs !== undefined) helmOpts.intervalMs = o.intervalMs;
    this.helm = new HelmRepositories(helmOpts);
    this.oci = new OciClient({
      cache: this.cache,
      ...definedOnly(common),
      ...(o.ociScheme ? { scheme: o.ociScheme } : {}),
    });
  }

  /**
   * Resolves `chart` at `wanted` (a version, a semver range, or for OCI a tag or `sha256:` digest)
   * in `repoURL` and stores its archive. `force` re-reads a repository index inside its interval.
   */
  async resolveChart(
    repoURL: string,
    chart: string,
    wanted: string | undefined,
    auth: RepoAuth | undefined,
    force = false,
  ): Promise<ResolvedChart> {
    checkChartName(repoURL, chart);
    if (isOciUrl(repoURL)) {
      const ref = parseOciUrl(repoURL, chart);
      const what = `${repoURL.replace(/\/+$/u, '')}/${chart}`;
      const r = await this.oci.resolve(ref, wanted, auth, what);
      const digest = await this.oci.pullLayer(ref, r.manifest, [HELM_CHART_LAYER], auth, what);
      const version = r.tag?.replace(/_/gu, '+') ?? r.digest;
      return { name: chart, version, digest, revision: `${version}@${r.digest}` };
    }
    const p = await this.helm.pull(repoURL, chart, wanted, auth, force);
    return { ...p, revision: `${p.version}@sha256:${p.digest}` };
  }

  /**
   * The chart's tree with every dependency that names a repository (https:// or oci://) fetched
   * into its `charts/`; versions from Chart.lock when it pins them, else the newest in range.
   */
  async chartTree(c: ResolvedChart, authFor: AuthFor): Promise<SourceTree> {
    const what = `chart ${c.name} ${c.version}`;
    const key = sha256(`chart\0${c.digest}`);
    const plain = await this.cache.tree(key, (dir) => this.cache.extract(c.digest, dir, what));
    return this.withDependencies({ root: plain, path: await chartDir(plain, what), key }, authFor);
  }

  /**
   * `tree` (a chart from an archive, or a Git checkout whose app path is a chart) with every
   * dependency that names a repository (https:// or oci://) and is not vendored fetched into the
   * chart's `charts/`: versions from Chart.lock when it pins them, else the newest in range. The
   * same tree when there is nothing to fetch; else a copy keyed by the tree and the dependencies'
   * digests (built once).
   */
  async withDependencies(tree: SourceTree, authFor: AuthFor): Promise<SourceTree> {
    const chartRel = tree.path === '' || tree.path === '.' ? '' : tree.path;
    const chartFile = chartRel ? `${chartRel}/Chart.yaml` : 'Chart.yaml';
    // Not a chart, or a Chart.yaml that does not parse: nothing to fetch (the renderer reports it).
    // Only a read that succeeded is remembered: a failed one is tried again at the next render.
    const deps = await this.#declared
      .get(`${tree.key}\0${chartRel}`, () => dependencies(tree.root, chartRel, chartFile))
      .catch(() => [] as Dependency[]);
    if (deps.length === 0) return tree;
    const vendored = await readdir(join(tree.root, chartRel, 'charts')).catch(() => [] as string[]);
    const pulled: { file: string; digest: string }[] = [];
    for (const d of deps) {
      if (!d.repository || d.repository.startsWith('file://')) continue;
      if (vendored.some((f) => f === d.name || f.startsWith(`${d.name}-`))) continue;
      if (!/^(https?|oci):\/\//u.test(d.repository))
        throw new SourceError(
          d.repository,
          `${chartFile}: dependency ${d.name} names repository ${JSON.stringify(d.repository)}; gitfleet needs its URL (https:// or oci://), not a local alias`,
          { code: 'source.DependencyRepository' },
        );
      const dep = await this.resolveChart(d.repository, d.name, d.version, await authFor(d.repository));
      // The archive lands in charts/ of the copy: no link on the way, no `..` in its file name.
      await assertWritableInTree(
        tree.root,
        [chartRel, 'charts', `${d.name}-${dep.version}.tgz`].filter(Boolean).join('/'),
        d.repository,
      );
      pulled.push({ file: `${d.name}-${dep.version}.tgz`, digest: dep.digest });
    }
    if (pulled.length === 0) return tree;
    const key = sha256(
      `deps\0${tree.key}\0${chartRel}\0${pulled.map((p) => `${p.file}=${p.digest}`).join('\0')}`,
    );
    const root = await this.cache.tree(key, async (dir) => {
      await cp(tree.root, dir, { recursive: true, verbatimSymlinks: true });
      await mkdir(join(dir, chartRel, 'charts'), { recursive: true });
      for (const p of pulled) {
        const data = await this.cache.get(p.digest);
        if (!data) throw new Error(`archive ${p.digest} vanished from the cache`);
        await writeFile(join(dir, chartRel, 'charts', p.file), data);
      }
    });
    return { root, path: tree.path, key };
  }

  /**
   * `tree` with every chart its kustomizations' `helmCharts` name fetched from that entry's `repo`
   * and extracted where kustomize looks before it would pull (`charts/<name>-<version>/<name>` next
   * to the kustomization), so `kustomize build --enable-helm` inflates it with no network. A chart
   * already in the tree (vendored) is left as it is. Keyed by the tree and the charts' digests.
   */
  async withKustomizeCharts(tree: SourceTree, authFor: AuthFor): Promise<SourceTree> {
    const found = await this.#kustomizeCharts.get(`${tree.key}\0${tree.path}`, () =>
      kustomizeCharts(tree.root, tree.path),
    );
    const pulled: { dest: string; src: string; key: string }[] = [];
    for (const c of found) {
      // Where the chart will be written: real directories of the tree only (the copy keeps links).
      await assertWritableInTree(tree.root, `${c.dest}/${c.name}`, c.repo);
      if (await exists(join(tree.root, c.dest, c.name, 'Chart.yaml'))) continue;
      if (!/^(https?|oci):\/\//u.test(c.repo))
        throw new SourceError(
          c.repo,
          `${c.file}: helmCharts[${c.index}] repo must be an https:// or oci:// URL for gitfleet to fetch ${c.name}`,
          { code: 'source.DependencyRepository' },
        );
      const r = await this.resolveChart(c.repo, c.name, c.version, await authFor(c.repo));
      // With its own dependencies fetched too: kustomize runs `helm template` only.
      const t = await this.chartTree(r, authFor);
      pulled.push({ dest: join(c.dest, c.name), src: join(t.root, t.path), key: t.key });
    }
    if (pulled.length === 0) return tree;
    const key = sha256(`kcharts\0${tree.key}\0${pulled.map((p) => `${p.dest}=${p.key}`).join('\0')}`);
    const root = await this.cache.tree(key, async (dir) => {
      await cp(tree.root, dir, { recursive: true, verbatimSymlinks: true });
      for (const p of pulled) await cp(p.src, join(dir, p.dest), { recursive: true, verbatimSymlinks: true });
    });
    return { root, path: tree.path, key };
  }

  /**
   * An OCI artifact of manifests or a Kustomize tree at `wanted` (tag, range or digest): the
   * manifest digest is the revision; the tree is keyed by the content layer's digest.
   */
  async artifact(
    repoURL: string,
    wanted: string | undefined,
    auth: RepoAuth | undefined,
  ): Promise<{ revision: string; tree: SourceTree }> {
    const ref = parseOciUrl(repoURL);
    const r = await this.oci.resolve(ref, wanted, auth, repoURL);
    const layer = await this.oci.pullLayer(ref, r.manifest, CONTENT_LAYERS, auth, repoURL);
    const key = sha256(`artifact\0${layer}`);
    const root = await this.cache.tree(key, (dir) => this.cache.extract(layer, dir, repoURL));
    return { revision: r.digest, tree: { root, path: '', key } };
  }
}

function definedOnly<T extends object>(o: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]?: Exclude<T[K], undefined>;
  };
}

function checkChartName(repoURL: string, chart: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/u.test(chart))
    throw new SourceError(repoURL, `chart name ${JSON.stringify(chart)} is not a chart name`, {
      code: 'source.InvalidChart',
    });
}

/** The one top-level directory of an extracted chart archive. */
async function chartDir(root: string, what: string): Promise<string> {
  const entries = (await readdir(root, { withFileTypes: true })).filter((e) => e.isDirectory());
  const first = entries[0];
  if (entries.length !== 1 || !first)
    throw new SourceError(what, 'chart archive does not hold exactly one chart directory', {
      code: 'source.BadArchive',
    });
  return first.name;
}

interface Dependency {
  name: string;
  version?: string;
  repository?: string;
}

async function dependencies(treeRoot: string, chartRel: string, file: string): Promise<Dependency[]> {
  // Read as the filesystem resolves them, never through a link out of the tree (the renderer then
  // refuses that link): the files of the hub or of another tenant's checkout would steer fetches.
  const root = await realpath(treeRoot);
  const dir = join(root, chartRel);
  // A Git app path that is not a chart (plain YAML, Kustomize) has no chart dependencies.
  const text = await readFileWithin(join(dir, 'Chart.yaml'), TENANT_FILE_MAX_BYTES, file, { root }).catch(
    (e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT' || e.code === 'source.PathEscape') return undefined;
      throw e;
    },
  );
  if (text === undefined) return [];
  const chart = parseYaml(text, { maxAliasCount: 100 }) as {
    dependencies?: unknown;
  } | null;
  const lockText = await readFileWithin(
    join(dir, 'Chart.lock'),
    TENANT_FILE_MAX_BYTES,
    file.replace(/Chart\.yaml$/u, 'Chart.lock'),
    { root },
  ).catch((e: unknown) => {
    // An absent, unreadable or escaping lock is no lock; one too large is refused, not taken for none.
    if (e instanceof FileTooLargeError) throw e;
    return 'null';
  });
  const lock = parseYaml(lockText, {
    maxAliasCount: 100,
  }) as {
    dependencies?: unknown;
  } | null;
  const list = (x: unknown): Dependency[] =>
    Array.isArray(x)
      ? x.flatMap((d: unknown) => {
          const r = d as { name?: unknown; version?: unknown; repository?: unknown };
          if (typeof r.name !== 'string') return [];
          return [
            {
              name: r.name,
              ...(typeof r.version === 'string' ? { version: r.version } : {}),
              ...(typeof r.repository === 'string' ? { repository: r.repository.trim() } : {}),
            },
          ];
        })
      : [];
  const locked = list(lock?.dependencies);
  return list(chart?.dependencies).map((d) => {
    const l = locked.find((x) => x.name === d.name && x.repository === d.repository);
    if (d.name.includes('/') || d.name.includes('..'))
      throw new SourceError(file, `dependency name ${JSON.stringify(d.name)} is not a chart name`);
    return l?.version ? { ...d, version: l.version } : d;
  });
}

const exists = (p: string): Promise<boolean> =>
  stat(p).then(
    () => true,
    () => false,
  );
