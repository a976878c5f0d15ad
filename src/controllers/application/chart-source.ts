/**
 * The prepare stage's steps for sources beyond Git (issue 15): Helm charts from HTTP repositories
 * and OCI registries, OCI artifacts of manifests, dependencies of charts in Git, and post-build
 * variable substitution. One ChartSources per process, shared by every Application and cluster:
 * one index fetch per repository per interval, archives stored once by digest.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { API_VERSION, destinationClusterName, type Application } from '../../api/application.js';
import type { Cluster } from '../../api/cluster.js';
import { GitfleetError } from '../../core/errors.js';
import type { Manifest } from '../../engine/manifest.js';
import { clusterVariables, substituteManifests } from '../../engine/render/substitute.js';
import { ChartSources, isOciUrl, type ResolvedChart, type SourceTree } from '../../engine/source/charts.js';
import type { RepoAuth } from '../../engine/source/http-get.js';
import { parseDeniedNetworks } from '../../engine/source/network.js';
import { DEFAULT_DENIED_NETWORKS } from '../../engine/source/index.js';
import type { KubeClient } from '../../kube/client.js';
import type { KubeObject } from '../../kube/types.js';
import { loadProject } from '../../governance/assess.js';
import { wildcard } from '../../governance/glob.js';
import { REPOSITORY_SECRET_LABEL, ARGO_SECRET_LABEL } from '../credentials.js';

let shared: ChartSources | undefined;

/** The process's ChartSources (cache in $GITFLEET_CHART_CACHE, else the temp directory). */
export function chartSources(): ChartSources {
  shared ??= new ChartSources({
    cacheDir: process.env.GITFLEET_CHART_CACHE ?? join(tmpdir(), 'gitfleet-charts'),
    denied: parseDeniedNetworks(DEFAULT_DENIED_NETWORKS),
    ...(process.env.GITFLEET_CHART_INTERVAL_MS
      ? { intervalMs: Number(process.env.GITFLEET_CHART_INTERVAL_MS) }
      : {}),
    ...(process.env.GITFLEET_CHART_CACHE_MAX_BYTES
      ? { archives: { maxBytes: archiveBound(process.env.GITFLEET_CHART_CACHE_MAX_BYTES) } }
      : {}),
  });
  return shared;
}

/** $GITFLEET_CHART_CACHE_MAX_BYTES as a positive whole number of bytes; anything else is refused. */
export function archiveBound(text: string): number {
  const n = Number(text.trim());
  if (!Number.isSafeInteger(n) || n <= 0)
    throw new GitfleetError(
      'config.Invalid',
      `GITFLEET_CHART_CACHE_MAX_BYTES must be a positive whole number of bytes, got ${JSON.stringify(text)}`,
    );
  return n;
}

/** Whether the app's source is a chart repository or an OCI artifact rather than Git. */
export function isNonGitSource(src: Application['spec']['source']): boolean {
  return Boolean(src.chart) || isOciUrl(src.repoURL);
}

interface SecretObject extends KubeObject {
  data?: Record<string, string>;
}

const decoded = (s: SecretObject, k: string): string | undefined => {
  const v = s.data?.[k];
  return v ? Buffer.from(v, 'base64').toString('utf8') : undefined;
};

function authOf(s: SecretObject): RepoAuth {
  const out: RepoAuth = {};
  const username = decoded(s, 'username');
  const password = decoded(s, 'password');
  const bearerToken = decoded(s, 'bearerToken');
  // Argo CD's `caData`-less secrets rely on a ConfigMap; Flux's HelmRepository secret uses `ca.crt`.
  const ca = decoded(s, 'caData') ?? decoded(s, 'ca.crt');
  if (decoded(s, 'insecure')?.trim().toLowerCase() === 'true')
    throw new GitfleetError(
      'source.UnsupportedCredential',
      `credentials Secret ${s.metadata.namespace ?? ''}/${s.metadata.name}: "insecure" is not supported; give the CA as caData`,
    );
  if (username) out.username = username;
  if (password) out.password = password;
  if (bearerToken) out.bearerToken = bearerToken;
  if (ca) out.caData = ca;
  return out;
}

const normal = (u: string): string => u.trim().replace(/\/+$/u, '').toLowerCase();

/**
 * Credentials and CA for a chart repository or registry URL: the app's `secretRef` for its own
 * repoURL; else a `repository` Secret whose `url` is this URL (the app's namespace, then the hub's),
 * else the `repo-creds` Secret with the longest `url` prefix. No Secret: anonymous, system CAs.
 */
export async function repoAuth(
  mgmt: KubeClient,
  namespace: string,
  hubNamespace: string,
  url: string,
  secretRef?: { name: string },
): Promise<RepoAuth | undefined> {
  if (secretRef) {
    const s = await mgmt.getOrUndefined<SecretObject>({
      apiVersion: 'v1',
      kind: 'Secret',
      namespace,
      name: secretRef.name,
    });
    if (!s)
      throw new GitfleetError(
        'source.CredentialsMissing',
        `credentials Secret ${namespace}/${secretRef.name} not found`,
      );
    return authOf(s);
  }
  const want = normal(url);
  const namespaces = namespace === hubNamespace ? [namespace] : [namespace, hubNamespace];
  const list = async (ns: string, kind: string): Promise<SecretObject[]> =>
    (
      await Promise.all(
        [REPOSITORY_SECRET_LABEL, ARGO_SECRET_LABEL].map((l) =>
          mgmt
            .list<SecretObject>('v1', 'Secret', { namespace: ns, labelSelector: `${l}=${kind}` })
            .then((r) => r.items),
        ),
      )
    ).flat();
  for (const ns of namespaces) {
    const s = (await list(ns, 'repository')).find((x) => normal(decoded(x, 'url') ?? '') === want);
    if (s) return authOf(s);
  }
  let best: { s: SecretObject; n: number } | undefined;
  for (const ns of namespaces)
    for (const s of await list(ns, 'repo-creds')) {
      const prefix = normal(decoded(s, 'url') ?? '');
      if (prefix && want.startsWith(prefix) && prefix.length > (best?.n ?? -1))
        best = { s, n: prefix.length };
    }
  return best ? authOf(best.s) : undefined;
}

const resolved = new Map<string, ResolvedChart>();

/**
 * Resolves the app's chart or artifact; the returned revision (`<version>@sha256:…`, or the
 * artifact's manifest digest) stands where a Git source has its commit.
 */
export async function resolveNonGit(
  mgmt: KubeClient,
  hubNamespace: string,
  app: Application,
  force: boolean,
): Promise<string> {
  const src = app.spec.source;
  const ns = app.metadata.namespace ?? '';
  const auth = await repoAuth(mgmt, ns, hubNamespace, src.repoURL, src.secretRef);
  const s = chartSources();
  if (!src.chart) return (await s.artifact(src.repoURL, src.targetRevision, auth)).revision;
  const c = await s.resolveChart(src.repoURL, src.chart, src.targetRevision, auth, force);
  resolved.set(`${src.repoURL}\0${src.chart}\0${c.revision}`, c);
  return c.revision;
}

/** The tree to render for a revision resolveNonGit returned (dependencies fetched). */
export async function nonGitTree(
  mgmt: KubeClient,
  hubNamespace: string,
  app: Application,
  revision: string,
): Promise<SourceTree> {
  const src = app.spec.source;
  const ns = app.metadata.namespace ?? '';
  const s = chartSources();
  const authFor = dependencyAuth(mgmt, hubNamespace, app);
  if (!src.chart) {
    const auth = await repoAuth(mgmt, ns, hubNamespace, src.repoURL, src.secretRef);
    const a = await s.artifact(src.repoURL, revision, auth);
    // An artifact's tree is rendered like a Git checkout, so it gets the same pre-fetch: its
    // chart's dependencies and its kustomizations' helmCharts, through the same cache and
    // network rules and the same Project check of every repository they name.
    return s.withKustomizeCharts(
      await s.withDependencies({ ...a.tree, path: src.path ?? '' }, authFor),
      authFor,
    );
  }
  const c = resolved.get(`${src.repoURL}\0${src.chart}\0${revision}`);
  if (!c)
    throw new GitfleetError(
      'source.Failed',
      `chart ${src.chart} ${revision} was not resolved in this process`,
      { transient: true },
    );
  return s.chartTree(c, authFor);
}

/** A Git checkout's chart with its repository dependencies fetched (the same tree when none). */
export async function gitChartWithDependencies(
  mgmt: KubeClient,
  hubNamespace: string,
  app: Application,
  tree: SourceTree,
): Promise<SourceTree> {
  const authFor = dependencyAuth(mgmt, hubNamespace, app);
  // kustomize helmCharts: fetched here (Project-checked like dependencies), inflated offline.
  return chartSources().withKustomizeCharts(await chartSources().withDependencies(tree, authFor), authFor);
}

/**
 * Credentials for a chart dependency's repository, after the app's Project admits that URL in
 * `sourceRepos` (a dependency is a source like any other: a tenant's Chart.yaml must not make the
 * hub fetch from where the Project does not allow).
 */
function dependencyAuth(mgmt: KubeClient, hubNamespace: string, app: Application) {
  const ns = app.metadata.namespace ?? '';
  return async (url: string): Promise<RepoAuth | undefined> => {
    const name = app.spec.project ?? 'default';
    const project = await loadProject(mgmt, hubNamespace, name);
    if (!project || !(project.spec.sourceRepos ?? []).some((p) => wildcard(p, url)))
      throw new GitfleetError(
        'project.Violation',
        `chart repository ${url} (a chart dependency or kustomize helmCharts entry) is not in project ${name}'s sourceRepos`,
      );
    return repoAuth(mgmt, ns, hubNamespace, url);
  };
}

/**
 * Applies the app's `postBuild` (and the destination Cluster's labels/annotations as
 * `cluster_…` variables) to the rendered manifests. Without `postBuild` the manifests are returned
 * unchanged: substitution is opt-in, as in Flux. Errors name the file and variable, never values.
 */
export async function postBuild(
  mgmt: KubeClient,
  hubNamespace: string,
  app: Application,
  manifests: Manifest[],
): Promise<Manifest[]> {
  const pb = app.spec.postBuild;
  if (!pb) return manifests;
  const ns = app.metadata.namespace ?? '';
  const clusterName = destinationClusterName(app.spec.destination);
  const cluster = await mgmt.getOrUndefined<Cluster>({
    apiVersion: API_VERSION,
    kind: 'Cluster',
    namespace: hubNamespace,
    name: clusterName,
  });
  const vars = clusterVariables({
    name: clusterName,
    ...(cluster?.metadata.labels ? { labels: cluster.metadata.labels } : {}),
    ...(cluster?.metadata.annotations ? { annotations: cluster.metadata.annotations } : {}),
  });
  for (const [i, ref] of (pb.substituteFrom ?? []).entries()) {
    const obj = await mgmt.getOrUndefined<SecretObject & { data?: Record<string, string> }>({
      apiVersion: 'v1',
      kind: ref.kind,
      namespace: ns,
      name: ref.name,
    });
    if (!obj) {
      if (ref.optional) continue;
      throw new GitfleetError(
        'render.SubstituteFromMissing',
        `spec.postBuild.substituteFrom[${i}]: ${ref.kind} ${ns}/${ref.name} not found`,
      );
    }
    for (const [k, v] of Object.entries(obj.data ?? {}))
      vars.set(k, ref.kind === 'Secret' ? Buffer.from(v, 'base64').toString('utf8') : v);
  }
  for (const [k, v] of Object.entries(pb.substitute ?? {})) vars.set(k, v);
  return substituteManifests(manifests, vars);
}
