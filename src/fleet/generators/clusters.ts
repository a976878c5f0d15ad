import { IN_CLUSTER_SERVER, normalizeServerUrl } from '../../api/application.js';
import { GeneratorError } from '../errors.js';
import { sanitizeName } from '../params.js';
import type { ClusterInfo, ClustersGeneratorSpec, Params } from '../types.js';
import { applyValues, callPort, interpolate } from './context.js';
import type { GeneratorCall, GeneratorContext } from './context.js';
import { matchesSelector, selectorProblem } from './selector.js';

/**
 * The params of one cluster: `name`, `nameNormalized`, `server`, and its labels and annotations,
 * as flat `metadata.labels.<k>` keys (fasttemplate) or a nested `metadata` map (goTemplate).
 */
export function clusterParams(cluster: ClusterInfo, goTemplate: boolean): Params {
  const base: Params = {
    name: cluster.name,
    nameNormalized: sanitizeName(cluster.name),
    server: cluster.server,
  };
  const labels = { ...cluster.labels };
  const annotations = { ...(cluster.annotations ?? {}) };
  if (goTemplate) return { ...base, metadata: { labels, annotations } };
  for (const [k, v] of Object.entries(annotations)) base[`metadata.annotations.${k}`] = v;
  for (const [k, v] of Object.entries(labels)) base[`metadata.labels.${k}`] = v;
  return base;
}

/** The cluster the controller runs in, as Argo CD's cluster generator lists it: no labels. */
const LOCAL_CLUSTER: ClusterInfo = { name: 'in-cluster', server: IN_CLUSTER_SERVER, labels: {} };

/**
 * Argo CD lists clusters as Secrets labelled `argocd.argoproj.io/secret-type: cluster`, so its
 * documented selectors (the matrix and cluster examples) select on that label: every registered
 * Cluster carries it for matching, the implicit in-cluster does not (as in Argo, it has no Secret).
 */
const ARGO_CLUSTER_LABELS: Record<string, string> = { 'argocd.argoproj.io/secret-type': 'cluster' };

/** Whether a selector selects on nothing (absent, or no labels and no expressions). */
const emptySelector = (s: ClustersGeneratorSpec['selector']): boolean =>
  !s || (Object.keys(s.matchLabels ?? {}).length === 0 && (s.matchExpressions ?? []).length === 0);

/**
 * The clusters generator: one parameter set per cluster whose labels match `selector`, sorted by
 * cluster name, plus `values`. As Argo CD's, it also lists the cluster the controller runs in
 * (`in-cluster`, `https://kubernetes.default.svc`) when no Cluster registers it and the selector
 * is empty: any label selector leaves it out, since it has no labels. (Whether an app may deploy
 * there is the Project's decision; the built-in default Project refuses it.)
 */
export async function clustersParams(
  spec: ClustersGeneratorSpec,
  ctx: GeneratorContext,
  call: GeneratorCall,
): Promise<Params[]> {
  const selector = interpolate(spec.selector, 'clusters.selector', ctx, call);
  const problem = selectorProblem(selector);
  if (problem) throw new GeneratorError(call.path, `clusters.selector.${problem}`);
  const registered = await callPort(call, 'listing clusters', () => ctx.ports.clusters());
  const local = normalizeServerUrl(IN_CLUSTER_SERVER);
  const hasLocal = registered.some(
    (c) => c.name === LOCAL_CLUSTER.name || (c.server && normalizeServerUrl(c.server) === local),
  );
  const clusters = hasLocal || !emptySelector(selector) ? registered : [...registered, LOCAL_CLUSTER];
  return clusters
    .filter((c) =>
      matchesSelector(c === LOCAL_CLUSTER ? c.labels : { ...ARGO_CLUSTER_LABELS, ...c.labels }, selector),
    )
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((c) => applyValues(clusterParams(c, ctx.goTemplate), spec.values, ctx, call));
}
