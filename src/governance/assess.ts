import { API_VERSION, type Application } from '../api/application.js';
import type { PolicyResult, Project } from '../api/project.js';
import { groupOf } from '../core/object-ref.js';
import type { Manifest } from '../engine/manifest.js';
import { discoverScopes } from '../engine/sync/scopes.js';
import type { KubeClient } from '../kube/client.js';
import { builtinDefaultProject, DEFAULT_PROJECT_NAME } from './default-project.js';
import { impersonatedUser } from './impersonation.js';
import { evaluatePolicies } from './policy/evaluate.js';
import { checkProject, checkSourceNamespace, type ProjectObject } from './project.js';
import { hubNamespaces, protectedDestination, protectedViolations } from './protected.js';
import { isSelfManagement } from './self-management.js';

/** What governance decided for one reconcile of one Application. */
export interface GovernanceVerdict {
  project: Project;
  /** Broken project rules (sources, destinations, kinds), each naming object, kind and rule. */
  violations: string[];
  /** Policy findings, enforce and warn. */
  policy: PolicyResult[];
  /** The user the engine must act as in the destination; undefined acts as the controller. */
  impersonate?: string;
}

/**
 * A watch-fed cache of the controller namespace's Projects (the Application controller's
 * informer, which also re-examines a Project's apps when it changes).
 */
export interface ProjectCache {
  readonly synced: boolean;
  get(namespace: string, name: string): Project | undefined;
}

/**
 * The Application's Project: the named one from the controller namespace, or the built-in
 * least-privilege `default` while no Project named `default` exists. Undefined for a missing project
 * other than `default`.
 */
export async function loadProject(
  mgmt: KubeClient,
  namespace: string,
  name: string,
  signal?: AbortSignal,
  cache?: ProjectCache,
): Promise<Project | undefined> {
  const found = cache?.synced
    ? cache.get(namespace, name)
    : await mgmt.getOrUndefined<Project>(
        { apiVersion: API_VERSION, kind: 'Project', namespace, name },
        signal,
      );
  if (found) return found;
  return name === DEFAULT_PROJECT_NAME ? builtinDefaultProject(namespace) : undefined;
}

/** Labels of a registered Cluster; empty for `in-cluster` or clusters without a Cluster object. */
async function clusterLabels(
  mgmt: KubeClient,
  namespace: string,
  name: string,
): Promise<Record<string, string>> {
  try {
    const c = await mgmt.getOrUndefined({ apiVersion: API_VERSION, kind: 'Cluster', namespace, name });
    return c?.metadata.labels ?? {};
  } catch {
    // No Cluster CRD installed: no labels to select on, so selectors match as on an unlabelled cluster.
    return {};
  }
}

/** What governance decided before anything was fetched. */
export interface SourceVerdict {
  /** Undefined when the named project does not exist. */
  project: Project | undefined;
  violations: string[];
}

/**
 * The checks that need nothing from Git, run before the app's credentials are used or a renderer
 * runs: the project exists, the app's namespace may use it (`sourceNamespaces`), the repository is
 * in `sourceRepos`, the destination is in `destinations` and is not the hub's namespace.
 */
export async function assessSource(req: {
  mgmt: KubeClient;
  controllerNamespace: string;
  app: Application;
  signal?: AbortSignal;
  /** Read the Project from this cache once it has synced, instead of a GET. */
  projects?: ProjectCache;
}): Promise<SourceVerdict> {
  const { app } = req;
  const name = app.spec.project ?? DEFAULT_PROJECT_NAME;
  const project = await loadProject(req.mgmt, req.controllerNamespace, name, req.signal, req.projects);
  if (!project)
    return { project, violations: [`project ${name} does not exist in ${req.controllerNamespace}`] };
  const cluster = app.spec.destination.name ?? 'in-cluster';
  const destNs = app.spec.destination.namespace ?? app.metadata.namespace ?? '';
  const selects = (project.spec.destinations ?? []).some((d) => d.clusterSelector !== undefined);
  const labels = selects ? await clusterLabels(req.mgmt, req.controllerNamespace, cluster) : {};
  const violations = [
    checkSourceNamespace(project, app.metadata.namespace ?? '', req.controllerNamespace),
    ...checkProject(project, {
      repoURL: app.spec.source.repoURL,
      cluster,
      // The resolved cluster's API URL (the controller fills it in), for `destinations[].server`.
      ...(app.spec.destination.server ? { server: app.spec.destination.server } : {}),
      clusterLabels: labels,
      namespace: destNs,
      objects: [],
    }),
    // gitfleet's own installation (self-management.ts) is the one app the hub namespace admits.
    isSelfManagement(app, hubNamespaces(req.controllerNamespace))
      ? undefined
      : protectedDestination(destNs, hubNamespaces(req.controllerNamespace)),
  ].filter((v): v is string => v !== undefined);
  return { project, violations };
}

/**
 * Checks an Application's source, destination and rendered objects against its Project and the
 * protected-resource rules, and runs the project's policies on the objects; reads the Project (and the destination Cluster's labels
 * when a destination selects on them). Changes nothing. A malformed Project throws an error
 * naming the project and field.
 */
export async function assessGovernance(req: {
  mgmt: KubeClient;
  controllerNamespace: string;
  app: Application;
  manifests: readonly Manifest[];
  /** The destination (as the controller), for discovering which kinds are namespaced. */
  dest: KubeClient;
  /** The app's Project when already read (by assessSource); read here when absent. */
  project?: Project;
  signal?: AbortSignal;
}): Promise<GovernanceVerdict> {
  const { app } = req;
  const name = app.spec.project ?? DEFAULT_PROJECT_NAME;
  const project = req.project ?? (await loadProject(req.mgmt, req.controllerNamespace, name, req.signal));
  if (!project)
    return {
      project: builtinDefaultProject(req.controllerNamespace),
      violations: [`project ${name} does not exist in ${req.controllerNamespace}`],
      policy: [],
    };
  const cluster = app.spec.destination.name ?? 'in-cluster';
  const destNs = app.spec.destination.namespace ?? app.metadata.namespace ?? '';
  const selects = (project.spec.destinations ?? []).some((d) => d.clusterSelector !== undefined);
  const labels = selects ? await clusterLabels(req.mgmt, req.controllerNamespace, cluster) : {};
  const isNamespaced = await discoverScopes(req.dest, [...req.manifests], req.signal);
  const objects: (ProjectObject & { ref: string })[] = req.manifests.map(({ object: o }) => {
    const namespaced = isNamespaced(o.apiVersion, o.kind) ?? true;
    const namespace = namespaced ? (o.metadata.namespace ?? destNs) : undefined;
    return {
      group: groupOf(o.apiVersion),
      kind: o.kind,
      name: o.metadata.name,
      namespaced,
      ...(namespace !== undefined ? { namespace } : {}),
      ref: `${o.kind}/${namespace ? `${namespace}/` : ''}${o.metadata.name}`,
    };
  });
  const self = isSelfManagement(app, hubNamespaces(req.controllerNamespace));
  const violations = [
    ...[
      checkSourceNamespace(project, app.metadata.namespace ?? '', req.controllerNamespace),
      self ? undefined : protectedDestination(destNs, hubNamespaces(req.controllerNamespace)),
    ].filter((v): v is string => v !== undefined),
    ...checkProject(project, {
      repoURL: app.spec.source.repoURL,
      cluster,
      // The resolved cluster's API URL (the controller fills it in), for `destinations[].server`.
      ...(app.spec.destination.server ? { server: app.spec.destination.server } : {}),
      clusterLabels: labels,
      namespace: destNs,
      objects,
    }),
    // The hub's own state, refused whatever the project says (see protected.ts).
    ...(self
      ? []
      : protectedViolations(
          objects.map((o, i) => ({ ...o, ...(req.manifests[i] ? { object: req.manifests[i].object } : {}) })),
          hubNamespaces(req.controllerNamespace),
        )),
  ];
  const policy = evaluatePolicies(
    project,
    req.manifests.map((m, i) => ({ object: m.object, ref: objects[i]?.ref ?? m.object.metadata.name })),
  );
  const impersonate = impersonatedUser(project, cluster, destNs, app.spec.destination.server);
  return { project, violations, policy, ...(impersonate ? { impersonate } : {}) };
}
