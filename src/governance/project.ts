import { normalizeServerUrl } from '../api/application.js';
import type { GroupKind, Project, ProjectDestination } from '../api/project.js';
import { wildcard } from './glob.js';
import { matchesSelector } from '../core/label-selector.js';

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
  /** The destination cluster's API URL, when known (matched by `destinations[].server`). */
  server?: string;
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

/** Whether an entry denies (`!` on its cluster, name, server or namespace) rather than allows. */
export const isDenyDestination = (d: ProjectDestination): boolean =>
  [d.cluster, d.name, d.server, d.namespace].some((g) => (g ?? '').startsWith('!'));
const bare = (glob: string | undefined): string => (glob ?? '*').replace(/^!/, '');
/** Compares API URLs the way destinations resolve them: `HTTPS://Host:443/` is `https://host`. */
export const serverGlobMatches = (glob: string, server: string | undefined): boolean => {
  if (server === undefined) return false;
  const url = normalizeServerUrl(server) ?? server;
  const pattern = bare(glob);
  // A literal URL is compared normalised; a glob is matched against both spellings.
  if (!pattern.includes('*')) return (normalizeServerUrl(pattern) ?? pattern) === url;
  return wildcard(pattern, server) || wildcard(pattern, url);
};

/**
 * Whether one destination entry's cluster part matches. The entry names the cluster by `cluster`
 * or `name` (name globs) or `server` (API URL glob): any one of those it sets that matches is
 * enough (Argo CD matches name or server); one that sets none matches every cluster.
 */
function clusterMatches(d: ProjectDestination, cluster: string, server: string | undefined): boolean {
  if (d.cluster === undefined && d.name === undefined && d.server === undefined) return true;
  return (
    (d.cluster !== undefined && wildcard(bare(d.cluster), cluster)) ||
    (d.name !== undefined && wildcard(bare(d.name), cluster)) ||
    (d.server !== undefined && serverGlobMatches(d.server, server))
  );
}

/**
 * Whether one destination entry matches a cluster (by name or API URL glob and label selector)
 * and namespace. For a deny entry (`!`), "matches" means it denies; the `!` is not part of the glob.
 * `server` is the destination cluster's API URL (`https://kubernetes.default.svc` for in-cluster).
 */
export function destinationAllows(
  d: ProjectDestination,
  cluster: string,
  clusterLabels: Readonly<Record<string, string>>,
  namespace: string,
  server?: string,
): boolean {
  return (
    clusterMatches(d, cluster, server) &&
    (d.clusterSelector === undefined || matchesSelector(clusterLabels, d.clusterSelector)) &&
    wildcard(bare(d.namespace), namespace)
  );
}

/** Allowed when an allow entry matches and no deny entry does (Argo CD's rule). */
export function destinationsAllow(
  dests: readonly ProjectDestination[],
  cluster: string,
  clusterLabels: Readonly<Record<string, string>>,
  namespace: string,
  server?: string,
): boolean {
  const m = (d: ProjectDestination): boolean =>
    destinationAllows(d, cluster, clusterLabels, namespace, server);
  return dests.some((d) => !isDenyDestination(d) && m(d)) && !dests.some((d) => isDenyDestination(d) && m(d));
}

/**
 * Whether an Application in `appNamespace` may use the project at all: those in the controller's
 * own namespace may use any; others only a project whose `sourceNamespaces` match theirs (Argo CD's
 * apps-in-any-namespace rule). Undefined when it may, else the reason.
 */
export function checkSourceNamespace(
  project: Project,
  appNamespace: string,
  controllerNamespace: string,
): string | undefined {
  if (appNamespace === controllerNamespace) return undefined;
  if ((project.spec.sourceNamespaces ?? []).some((p) => wildcard(p, appNamespace))) return undefined;
  return `Applications in namespace ${appNamespace} may not use project ${project.metadata.name}: its sourceNamespaces do not include ${appNamespace} (only Applications in ${controllerNamespace} may use a project without listing their namespace)`;
}

/**
 * The checks that need nothing from Git: source repository and destination. They run before
 * anything is fetched, so a project that allows nothing costs no fetch with the app's credentials
 * and no render.
 */
export function checkProjectSource(project: Project, req: Omit<ProjectRequest, 'objects'>): string[] {
  const name = project.metadata.name;
  const out: string[] = [];
  if (!(project.spec.sourceRepos ?? []).some((p) => wildcard(p, req.repoURL)))
    out.push(`source ${req.repoURL} is not in project ${name}'s sourceRepos`);
  if (
    !destinationsAllow(
      project.spec.destinations ?? [],
      req.cluster,
      req.clusterLabels ?? {},
      req.namespace,
      req.server,
    )
  )
    out.push(`destination ${req.cluster}/${req.namespace} is not in project ${name}'s destinations`);
  return out;
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
  const out = checkProjectSource(project, req);
  const dests = spec.destinations ?? [];
  const allowsNs = (ns: string): boolean => destinationsAllow(dests, req.cluster, labels, ns, req.server);
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
