import type { GroupKind, Project, ProjectDestination } from '../api/project.js';
import { wildcard } from './glob.js';
import { matchesSelector } from './label-selector.js';

export { wildcard } from './glob.js';

/** One rendered object, as a project check sees it. */
export interface ProjectObject {
  group: string;
  kind: string;
  name: string;
  namespace?: string;
  namespaced: boolean;
}

/** What an Application wants, as a project check sees it. */
export interface ProjectRequest {
  repoURL: string;
  cluster: string;
  /** Labels of the destination's Cluster object; empty when it has none (e.g. `in-cluster`). */
  clusterLabels?: Readonly<Record<string, string>>;
  namespace: string;
  /** Every rendered object: its group, kind, name and whether it is namespaced. */
  objects: ProjectObject[];
}

const gk = (rule: GroupKind, group: string, kind: string): boolean =>
  wildcard(rule.group, group) && wildcard(rule.kind, kind);
const listed = (rules: readonly GroupKind[] | undefined, o: ProjectObject): boolean =>
  (rules ?? []).some((r) => gk(r, o.group, o.kind));

/** Whether one destination entry admits a cluster (by name glob and label selector) and namespace. */
export function destinationAllows(
  d: ProjectDestination,
  cluster: string,
  clusterLabels: Readonly<Record<string, string>>,
  namespace: string,
): boolean {
  return (
    wildcard(d.cluster ?? '*', cluster) &&
    (d.clusterSelector === undefined || matchesSelector(d.clusterSelector, clusterLabels)) &&
    wildcard(d.namespace ?? '*', namespace)
  );
}

/**
 * Checks an Application against its Project. Pure; returns every violation, each naming the
 * object (`Kind/namespace/name`), its group/kind and the rule it breaks. Empty means allowed.
 *
 * Cluster-scoped kinds need the whitelist (none unless listed, as Argo CD) and must not be
 * blacklisted. Namespaced kinds are all allowed unless `namespaceResourceWhitelist` is present
 * (then only those listed, an empty list allowing none) and must not be blacklisted; each
 * namespaced object's own namespace must be a permitted destination too, so a manifest cannot
 * reach into another team's namespace by naming it.
 */
export function checkProject(project: Project, req: ProjectRequest): string[] {
  const name = project.metadata.name;
  const spec = project.spec;
  const labels = req.clusterLabels ?? {};
  const out: string[] = [];
  if (!(spec.sourceRepos ?? []).some((p) => wildcard(p, req.repoURL)))
    out.push(`source ${req.repoURL} is not in project ${name}'s sourceRepos`);
  const dests = spec.destinations ?? [];
  const allowsNs = (ns: string): boolean => dests.some((d) => destinationAllows(d, req.cluster, labels, ns));
  if (!allowsNs(req.namespace))
    out.push(`destination ${req.cluster}/${req.namespace} is not in project ${name}'s destinations`);
  for (const o of req.objects) {
    const id = `${o.kind}/${o.namespace ? `${o.namespace}/` : ''}${o.name}`;
    const what = `${o.group || 'core'}/${o.kind}`;
    if (!o.namespaced) {
      if (!listed(spec.clusterResourceWhitelist, o))
        out.push(`${id}: cluster-scoped ${what} is not in project ${name}'s clusterResourceWhitelist`);
      if (listed(spec.clusterResourceBlacklist, o))
        out.push(`${id}: cluster-scoped ${what} is in project ${name}'s clusterResourceBlacklist`);
      continue;
    }
    if (spec.namespaceResourceWhitelist !== undefined && !listed(spec.namespaceResourceWhitelist, o))
      out.push(`${id}: ${what} is not in project ${name}'s namespaceResourceWhitelist`);
    if (listed(spec.namespaceResourceBlacklist, o))
      out.push(`${id}: ${what} is in project ${name}'s namespaceResourceBlacklist`);
    if (o.namespace && !allowsNs(o.namespace))
      out.push(`${id}: namespace ${o.namespace} is not in project ${name}'s destinations`);
  }
  return out;
}
