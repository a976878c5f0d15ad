import type { Application } from '../../api/application.js';
import type { KubeClient } from '../../kube/client.js';
import type { Manifest } from '../../engine/manifest.js';
import {
  renderCached,
  renderFromLineage,
  renderedBefore,
  type RenderCache,
  type RenderOptions,
  type RenderSpec,
} from '../../engine/render/index.js';
import type { GitSources } from '../../engine/source/index.js';
import { sourceCredentials, type CredentialReads } from '../credentials.js';
import { decryptApp } from './decryption.js';
import {
  gitChartWithDependencies,
  isNonGitSource,
  nonGitTree,
  postBuild,
  resolveNonGit,
} from './chart-source.js';
import type { ControllerMetrics } from '../metrics.js';
import {
  assertSourcesAdmitted,
  isRefOnly,
  multiSources,
  splitRevisions,
  withSource,
} from './multi-source.js';

/**
 * The prepare stage's source and render steps: what Git holds for an Application, turned into
 * manifests. Neither touches the destination; a failure in either changes nothing there. Source
 * kinds (Helm/OCI, several sources) and decryption add their steps here, behind these two calls.
 */
export interface PrepareDeps {
  /** Client of the management cluster: credentials Secrets live there. */
  client: KubeClient;
  controllerNamespace: string;
  sources: GitSources;
  renderOptions?: RenderOptions;
  renderCache: RenderCache;
  metrics?: ControllerMetrics;
  /** Decoded `secretRef` credentials, read again only when their Secret changes. */
  credentialReads?: CredentialReads;
}

/** The revision an Application's source resolved to. */
export interface ResolvedSource {
  /** The commit the app's targetRevision names now. */
  sha: string;
}

/**
 * Fetches the app's repository (with the app's credentials) and resolves its targetRevision.
 * `forceSince` is the moment of a push or refresh: a fetch that started after it is required, so
 * one fetch serves every app of the repository that the push concerns.
 */
export async function resolveAppSource(
  deps: PrepareDeps,
  app: Application,
  forceSince: number | undefined,
): Promise<ResolvedSource> {
  const many = multiSources(app);
  if (many) {
    // Every source admitted before any is fetched; then each resolved as a one-source app would be.
    await assertSourcesAdmitted(deps.client, deps.controllerNamespace, app, many);
    const revs: string[] = [];
    for (const s of many) revs.push((await resolveAppSource(deps, withSource(app, s), forceSince)).sha);
    return { sha: revs.join(',') };
  }
  const src = app.spec.source;
  // Helm repository / OCI: the chart's version and digest (or the artifact's digest) is the revision.
  if (isNonGitSource(src))
    return { sha: await resolveNonGit(deps.client, deps.controllerNamespace, app, forceSince !== undefined) };
  const creds = await sourceCredentials(
    deps.client,
    app.metadata.namespace ?? '',
    src,
    deps.controllerNamespace,
    deps.credentialReads,
  );
  const stopFetch = deps.metrics?.gitFetchTimer(src.repoURL);
  const fetched = await deps.sources
    .fetch(src.repoURL, creds, forceSince === undefined ? {} : { force: true, since: forceSince })
    .catch((e: unknown) => {
      deps.metrics?.gitFetchFailed(src.repoURL);
      throw e;
    });
  if (fetched) stopFetch?.();
  const sha = (await deps.sources.resolve(src.repoURL, src.targetRevision ?? 'HEAD', creds)).sha;
  return { sha };
}

/**
 * What the last render of a one-source Git app read: the Git object id, at `sha`, of every path the
 * renderer read (the render cache's key). A commit that leaves all of them alone renders the same
 * manifests (push-triage.ts).
 */
export interface RenderInputs {
  repoURL: string;
  sha: string;
  ids: Record<string, string>;
}

/**
 * Renders the app's source at `sha` into manifests (cached by the Git objects the renderer reads).
 * `onInputs` hears what a one-source Git app's render read; other sources are not described.
 */
export async function renderApp(
  deps: PrepareDeps,
  app: Application,
  sha: string,
  onInputs?: (inputs: RenderInputs) => void,
): Promise<Manifest[]> {
  const many = multiSources(app);
  if (!many) return renderOne(deps, app, sha, undefined, onInputs);
  // Multi-source: the ref sources' checkouts are lent to the others' `$ref/…` value files; every
  // rendered source's output is concatenated, in source order.
  const revs = splitRevisions(sha, many.length);
  const refRoots: Record<string, string> = {};
  const refKeys: string[] = [];
  for (const [i, s] of many.entries()) {
    if (!s.ref) continue;
    refRoots[s.ref] = await deps.sources.checkout(s.repoURL, revs[i] ?? '');
    refKeys.push(`${s.ref}@${revs[i] ?? ''}`);
  }
  const refs = { roots: refRoots, key: refKeys.join('+') };
  const out: Manifest[] = [];
  for (const [i, s] of many.entries())
    if (!isRefOnly(s)) out.push(...(await renderOne(deps, withSource(app, s), revs[i] ?? '', refs)));
  return out;
}

/** Files of `ref` sources for `$ref/…` value files, and their revisions for the render cache key. */
interface Refs {
  roots: Record<string, string>;
  key: string;
}

async function renderOne(
  deps: PrepareDeps,
  app: Application,
  sha: string,
  refs?: Refs,
  onInputs?: (inputs: RenderInputs) => void,
): Promise<Manifest[]> {
  const src = app.spec.source;
  const nonGit = isNonGitSource(src);
  // One Git source alone: its last render may answer for this commit (fromLastRender).
  const lineage = !nonGit && !refs ? lineageOf(src.repoURL) : undefined;
  if (lineage) {
    const reused = await fromLastRender(deps, app, src.repoURL, sha, onInputs);
    if (reused) return reused;
  }
  // A chart or artifact tree, or the Git checkout with its chart's repository dependencies fetched
  // (by gitfleet, not the renderer); `extra` is the digest of what is not in Git.
  const tree = nonGit
    ? await nonGitTree(deps.client, deps.controllerNamespace, app, sha)
    : await gitChartWithDependencies(deps.client, deps.controllerNamespace, app, {
        root: await deps.sources.checkout(src.repoURL, sha),
        path: src.path ?? '',
        key: sha,
      });
  const { root, path } = tree;
  // Value files read from other sources: their revisions are part of every input's key.
  const refKey = refs?.key ? `+${refs.key}` : '';
  const extra = `${tree.key === sha ? '' : `+${tree.key}`}${refKey}`;
  const spec: RenderSpec = { root, ...renderParams(app, path, refs) };
  // Keyed by the Git object ids of everything the renderer reads (a ../base, a value file
  // elsewhere); a failed render is remembered under the same key and not re-run until one changes.
  // Only Git alone is described: a chart's repository dependencies or another source's files are
  // inputs no tree hash of this repository covers.
  const read: Record<string, string> | undefined = !nonGit && extra === '' && onInputs ? {} : undefined;
  const rendered = await renderCached(spec, deps.renderOptions ?? {}, {
    cache: deps.renderCache,
    // A chart or artifact is named by its digest, a Git tree by its commit; `extra` adds what else
    // the render reads (fetched chart dependencies, other sources' value files).
    contentKey: nonGit ? { tree: tree.key, refs: refKey } : { repoURL: src.repoURL, commit: sha, extra },
    // Git alone (no fetched chart, no other source's files): remembered for renderFromLineage.
    ...(lineage && extra === '' ? { lineage } : {}),
    objectId: async (p) => {
      if (nonGit) return `${tree.key}:${p}${refKey}`;
      const id = await deps.sources.treeHash(src.repoURL, sha, p);
      if (read) read[p] = id;
      return `${id}${extra}`;
    },
  });
  if (read && onInputs) onInputs({ repoURL: src.repoURL, sha, ids: read });
  return afterCache(deps, app, rendered);
}

/** What the render of a one-source Git app is remembered under, across its commits. */
const lineageOf = (repoURL: string): Record<string, string> => ({ repoURL });

/**
 * The render of a one-source Git app at `sha` from what its last render read: the same render when
 * this commit left those objects alone (a push elsewhere in a monorepo: no checkout, no file
 * read), else a render from a checkout of only those paths. Undefined when nothing was read before
 * or neither answers (the caller renders from the whole commit).
 */
async function fromLastRender(
  deps: PrepareDeps,
  app: Application,
  repoURL: string,
  sha: string,
  onInputs: ((inputs: RenderInputs) => void) | undefined,
): Promise<Manifest[] | undefined> {
  const params = renderParams(app, app.spec.source?.path ?? '', undefined);
  const lineage = lineageOf(repoURL);
  const before = renderedBefore(params, { cache: deps.renderCache, lineage });
  if (!before) return undefined;
  const found =
    (await renderFromLineage(params, before, {
      cache: deps.renderCache,
      objectId: (p) => deps.sources.treeHash(repoURL, sha, p),
    })) ??
    // Its files changed: the paths it read last time, alone, are likely all it reads now.
    (worthPartial(before.paths)
      ? await renderPartial(deps, repoURL, sha, params, lineage, before.paths).catch(() => undefined)
      : undefined);
  if (!found) return undefined;
  onInputs?.({ repoURL, sha, ids: found.ids });
  return afterCache(deps, app, found.manifests);
}

/** At most this many paths are extracted alone; more, and the whole commit is as cheap. */
const PARTIAL_MAX_PATHS = 32;

function worthPartial(paths: readonly string[]): boolean {
  return paths.length > 0 && paths.length <= PARTIAL_MAX_PATHS && !paths.includes('');
}

/**
 * The render from a checkout of only `paths` of the commit (a monorepo's commit is thousands of
 * files; one app reads a few folders). It counts only when every input the render finds lies in
 * `paths` and the renderer succeeds: a folder it now reads besides is absent there, so the
 * renderer fails or an input falls outside, and the caller renders from the whole commit. The
 * chart step is skipped: a chart dependency or kustomize `helmCharts` to fetch is absent too, and
 * fails the same way. Its path memo is kept apart from the whole commit's (`partial` in the
 * content key), and only its success is remembered for later revisions (renderCached).
 */
async function renderPartial(
  deps: PrepareDeps,
  repoURL: string,
  sha: string,
  params: Omit<RenderSpec, 'root'>,
  lineage: Readonly<Record<string, string>>,
  paths: readonly string[],
): Promise<{ manifests: Manifest[]; ids: Record<string, string> }> {
  const root = await deps.sources.checkout(repoURL, sha, { paths });
  const inside = (p: string): boolean => paths.some((q) => p === q || p.startsWith(`${q}/`));
  const ids: Record<string, string> = {};
  const manifests = await renderCached({ root, ...params }, deps.renderOptions ?? {}, {
    cache: deps.renderCache,
    contentKey: { repoURL, commit: sha, extra: '', partial: paths.join('\0') },
    lineage,
    objectId: async (p) => {
      if (!inside(p)) throw new Error(`input ${p} is not in the partial checkout`);
      return (ids[p] = await deps.sources.treeHash(repoURL, sha, p));
    },
  });
  return { manifests, ids };
}

/** What happens to a render after the cache, every time. */
async function afterCache(deps: PrepareDeps, app: Application, rendered: Manifest[]): Promise<Manifest[]> {
  // Substituted after the cache (values may come from Secrets and the destination Cluster).
  const substituted = await postBuild(deps.client, deps.controllerNamespace, app, rendered);
  // SOPS files are decrypted after the cache (which keeps ciphertext only); the plaintext lives
  // in the returned manifests alone, and the render's SecretMask learns it from them.
  return decryptApp(deps.client, app, substituted, { controllerNamespace: deps.controllerNamespace });
}

/** The render's parameters from the app's source (the checkout's root is added by the caller). */
function renderParams(app: Application, path: string, refs: Refs | undefined): Omit<RenderSpec, 'root'> {
  const src = app.spec.source ?? { repoURL: '' };
  const p: Omit<RenderSpec, 'root'> = { path };
  if (src.kustomize) {
    p.type = 'kustomize';
    p.kustomize = src.kustomize;
  }
  if (src.helm) p.type = 'helm';
  if (!src.kustomize && !src.directory) {
    // Also for a chart found by detection. As in Argo CD: the release is named after the
    // Application (migrated objects keep their names) and installed into the destination
    // namespace, each unless helm says otherwise.
    const h = src.helm ?? {};
    p.helm = {
      ...h,
      releaseName: h.releaseName || app.metadata.name,
      namespace: h.namespace || (app.spec.destination.namespace ?? app.metadata.namespace),
      ...(refs ? { refRoots: refs.roots } : {}),
    };
  }
  if (src.directory) {
    p.type = 'directory';
    p.directory = {
      recursive: src.directory.recurse,
      include: globList(src.directory.include),
      exclude: globList(src.directory.exclude),
    };
  }
  return p;
}

function globList(s: string | undefined): string[] | undefined {
  if (!s) return undefined;
  const t = s.trim();
  return (t.startsWith('{') && t.endsWith('}') ? t.slice(1, -1) : t)
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
}
