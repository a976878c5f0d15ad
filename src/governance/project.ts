import type { Project } from '../api/project.js';

/** What an Application wants, as a project check sees it. */
export interface ProjectRequest {
  repoURL: string;
  cluster: string;
  namespace: string;
  /** Every rendered object: its group, kind, name and whether it is namespaced. */
  objects: { group: string; kind: string; name: string; namespace?: string; namespaced: boolean }[];
}

/** `*` matches any run of characters; everything else literally. */
export function wildcard(pattern: string, value: string): boolean {
  const re = new RegExp(
    `^${pattern
      .split('*')
      .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
  return re.test(value);
}

const gk = (rule: { group: string; kind: string }, group: string, kind: string): boolean =>
  wildcard(rule.group, group) && wildcard(rule.kind, kind);

/**
 * Checks an Application against its Project. Pure; returns every violation, each naming the
 * object or field and the rule it breaks. Empty means allowed.
 */
export function checkProject(project: Project, req: ProjectRequest): string[] {
  const name = project.metadata.name;
  const out: string[] = [];
  const repos = project.spec.sourceRepos ?? [];
  if (!repos.some((p) => wildcard(p, req.repoURL)))
    out.push(`source ${req.repoURL} is not in project ${name}'s sourceRepos`);
  const dests = project.spec.destinations ?? [];
  if (
    !dests.some((d) => wildcard(d.cluster ?? '*', req.cluster) && wildcard(d.namespace ?? '*', req.namespace))
  ) {
    out.push(`destination ${req.cluster}/${req.namespace} is not in project ${name}'s destinations`);
  }
  for (const o of req.objects) {
    const id = `${o.kind}/${o.namespace ? `${o.namespace}/` : ''}${o.name}`;
    if (!o.namespaced && !(project.spec.clusterResourceWhitelist ?? []).some((r) => gk(r, o.group, o.kind))) {
      out.push(
        `${id}: cluster-scoped ${o.group || 'core'}/${o.kind} is not in project ${name}'s clusterResourceWhitelist`,
      );
    }
    if (o.namespaced && (project.spec.namespaceResourceBlacklist ?? []).some((r) => gk(r, o.group, o.kind))) {
      out.push(`${id}: ${o.group || 'core'}/${o.kind} is in project ${name}'s namespaceResourceBlacklist`);
    }
    if (
      o.namespaced &&
      o.namespace &&
      !dests.some(
        (d) => wildcard(d.cluster ?? '*', req.cluster) && wildcard(d.namespace ?? '*', o.namespace ?? ''),
      )
    ) {
      out.push(`${id}: namespace ${o.namespace} is not in project ${name}'s destinations`);
    }
  }
  return out;
}
