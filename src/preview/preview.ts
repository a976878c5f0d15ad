/**
 * The fleet impact preview of a change: for two revisions of one repository, every Application
 * and every ApplicationSet-generated Application whose inputs change is rendered at both, the
 * difference is dry-run against the app's cluster (server-side apply, Secret values masked by the
 * engine), checked against the Project's policies and placed in its roll-out step. Nothing is
 * applied. Apps whose render inputs (the Git objects the renderer reads) are identical at both
 * revisions are counted but not rendered.
 */
import { API_VERSION, type Application } from '../api/application.js';
import { APPLICATIONSET_LABEL, type ApplicationSet } from '../api/applicationset.js';
import { FLEET_NAMESPACE, type Cluster } from '../api/cluster.js';
import type { PolicyResult } from '../api/project.js';
import { mapLimit } from '../core/concurrency.js';
import { compareStrings } from '../core/compare-strings.js';
import { GitfleetError } from '../core/errors.js';
import { fleetPorts } from '../controllers/applicationset/ports.js';
import type { ClusterResolver } from '../controllers/clusters.js';
import { sourceCredentials } from '../controllers/credentials.js';
import { renderApp, type PrepareDeps } from '../controllers/application/prepare.js';
import { InventoryStore } from '../engine/inventory/store.js';
import type { Manifest } from '../engine/manifest.js';
import { RenderCache, renderInputs, type RenderOptions, type RenderSpec } from '../engine/render/index.js';
import type { GitSources } from '../engine/source/index.js';
import { compareApp } from '../engine/sync/compare.js';
import { stepOf, type RolloutStep } from '../fleet/index.js';
import { assessGovernance, loadProject } from '../governance/assess.js';
import { evaluatePolicies } from '../governance/policy/evaluate.js';
import type { KubeClient } from '../kube/client.js';
import { generatedApps, portsAt, sameRepo, setReadsRepo } from './appsets.js';
import { objectIdentity, objectRef, renderDelta } from './objects.js';
import type { AppPreview, ObjectChange, PreviewReport } from './types.js';

export interface PreviewDeps {
  /** The management cluster: Applications, ApplicationSets, Clusters, Projects, credentials. */
  client: KubeClient;
  sources: GitSources;
  clusters: Pick<ClusterResolver, 'destination' | 'resolve'>;
  /** Where Clusters and Projects live; default gitfleet-system. */
  controllerNamespace?: string;
  /** Only this namespace's Applications and ApplicationSets; default all. */
  namespace?: string;
  renderCache?: RenderCache;
  renderOptions?: RenderOptions;
  /** Apps rendered and dry-run at once; default 8. */
  concurrency?: number;
  /**
   * What the caller may see (the API route's RBAC): Applications and ApplicationSets it refuses
   * are never rendered, counted or named, and their credentials are not used to fetch.
   */
  visible?: (obj: Application | ApplicationSet) => boolean;
}

export interface PreviewRequest {
  repoURL: string;
  /** The revision the fleet follows now (the pull request's target branch), and the proposed one. */
  base: string;
  head: string;
  /**
   * The pull request `head` belongs to, when its commit may live only in a fork: its head ref is
   * fetched from the target repository (`refs/pull/<n>/head`, GitLab `refs/merge-requests/<n>/head`)
   * before `head` is resolved. `open`: the numbers of the host's open pull requests, when known
   * (the mirror's heads of the others are deleted then).
   */
  pullRequest?: { number: number; style: 'pull' | 'merge-requests'; open?: readonly number[] };
}

/** One app to look at: the Application as it is (or would be) at base and at head. */
interface Candidate {
  key: string;
  appSet?: ApplicationSet;
  base?: Application;
  head?: Application;
}

/**
 * A preview triggered by a webhook has nobody to retry it: an apiserver that answers 429 or 5xx
 * for a moment (a watch cache initialising, a restart) is asked again, up to 5 times.
 */
async function transientRetry<T>(
  fn: () => Promise<T>,
  retryable: (e: Error) => boolean = (e) => (e as { transient?: boolean }).transient === true,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      if (attempt >= 5 || !(e instanceof Error && retryable(e))) throw e;
      await new Promise((r) => setTimeout(r, 500 * attempt));
    }
  }
}

export async function previewChange(deps: PreviewDeps, req: PreviewRequest): Promise<PreviewReport> {
  const ctrlNs = deps.controllerNamespace ?? FLEET_NAMESPACE;
  const nsOpt = deps.namespace !== undefined ? { namespace: deps.namespace } : {};
  const [apps, sets, clusterList] = await Promise.all([
    transientRetry(() => deps.client.list<Application>(API_VERSION, 'Application', nsOpt)),
    transientRetry(() => deps.client.list<ApplicationSet>(API_VERSION, 'ApplicationSet', nsOpt)),
    transientRetry(() => deps.client.list<Cluster>(API_VERSION, 'Cluster', { namespace: ctrlNs })),
  ]);
  const clusterLabels = new Map(clusterList.items.map((c) => [c.metadata.name, c.metadata.labels ?? {}]));
  const visible = deps.visible ?? ((): boolean => true);
  if (deps.visible) {
    apps.items = apps.items.filter(visible);
    sets.items = sets.items.filter(visible);
    // Without an app or set the caller may see reading it, the hub's credentials are not theirs to use.
    if (
      !apps.items.some((a) => a.spec.source && sameRepo(a.spec.source.repoURL, req.repoURL)) &&
      !sets.items.some((s) => setReadsRepo(s, req.repoURL))
    )
      throw new GitfleetError(
        'preview.NoVisibleApp',
        `no Application or ApplicationSet you may read follows ${req.repoURL}`,
      );
  }

  // One fetch of the repository, with the credentials of the first app that reads it.
  const reader = apps.items.find((a) => a.spec.source && sameRepo(a.spec.source.repoURL, req.repoURL));
  const creds = reader
    ? await sourceCredentials(deps.client, reader.metadata.namespace ?? '', reader.spec.source, ctrlNs)
    : undefined;
  // The head was pushed a moment ago: a Git server still busy with that push may fail a request
  // (Gitea on SQLite answers 500 while its database is locked) or, behind a replica, not yet
  // serve the commit. Both are fetched again, as a transient failure is, before giving up.
  const { baseSha, headSha } = await transientRetry(
    async () => {
      await deps.sources.fetch(req.repoURL, creds, { force: true, since: Date.now() });
      if (req.pullRequest) await deps.sources.fetchPullRequestHead(req.repoURL, creds, req.pullRequest);
      return {
        baseSha: (await deps.sources.resolve(req.repoURL, req.base, creds)).sha,
        headSha: (await deps.sources.resolve(req.repoURL, req.head, creds)).sha,
      };
    },
    (e) =>
      (e as { transient?: boolean }).transient === true ||
      (e instanceof GitfleetError && e.code === 'source.RevisionNotFound'),
  );

  // Which revisions "follow the base": the base's name, HEAD and empty when base is the default
  // branch, or anything resolving to the base commit.
  const resolved = new Map<string, Promise<string | undefined>>();
  const tracksBase = async (rev: string | undefined): Promise<boolean> => {
    const r = (rev ?? '').trim() || 'HEAD';
    if (r === req.base || r === baseSha) return true;
    let p = resolved.get(r);
    if (!p) {
      p = deps.sources.resolve(req.repoURL, r, creds).then(
        (x) => x.sha,
        () => undefined,
      );
      resolved.set(r, p);
    }
    return (await p) === baseSha;
  };

  // ApplicationSets that read the repository: generated at both revisions.
  const candidates: Candidate[] = [];
  const handledSets = new Set<string>();
  const errors: AppPreview[] = [];
  for (const set of sets.items) {
    if (!setReadsRepo(set, req.repoURL)) continue;
    const ns = set.metadata.namespace ?? '';
    handledSets.add(`${ns}/${set.metadata.name}`);
    const ports = fleetPorts({
      mgmt: deps.client,
      namespace: ns,
      sources: deps.sources,
      clusters: () => clusterList.items,
    });
    const trackedRevs = new Set<string>();
    for (const m of JSON.stringify(set.spec.generators).matchAll(/"revision":"([^"]*)"/g))
      trackedRevs.add(m[1] ?? '');
    const tracked = new Map<string, boolean>();
    for (const r of [...trackedRevs, '', 'HEAD']) tracked.set(r, await tracksBase(r));
    const tracking = (rev: string): boolean => tracked.get(rev) ?? false;
    try {
      const [atBase, atHead] = await Promise.all([
        generatedApps(set, portsAt(ports, req.repoURL, baseSha, tracking)),
        generatedApps(set, portsAt(ports, req.repoURL, headSha, tracking)),
      ]);
      for (const name of new Set([...atBase.keys(), ...atHead.keys()])) {
        const b = atBase.get(name);
        const h = atHead.get(name);
        candidates.push({
          key: `${ns}/${name}`,
          appSet: set,
          ...(b ? { base: b } : {}),
          ...(h ? { head: h } : {}),
        });
      }
    } catch (e) {
      errors.push({
        app: `${ns}/${set.metadata.name}`,
        appSet: set.metadata.name,
        cluster: '',
        change: 'changed',
        objects: [],
        policy: [],
        error: `ApplicationSet ${ns}/${set.metadata.name}: ${e instanceof Error ? e.message : String(e)}`,
      });
    }
  }
  for (const a of apps.items) {
    const owner = a.metadata.labels?.[APPLICATIONSET_LABEL];
    if (owner && handledSets.has(`${a.metadata.namespace ?? ''}/${owner}`)) continue;
    candidates.push({ key: `${a.metadata.namespace ?? ''}/${a.metadata.name}`, base: a, head: a });
  }

  const prepare: PrepareDeps = {
    client: deps.client,
    controllerNamespace: ctrlNs,
    sources: deps.sources,
    renderCache: deps.renderCache ?? new RenderCache(),
    ...(deps.renderOptions ? { renderOptions: deps.renderOptions } : {}),
  };
  let unchanged = 0;
  const results = await mapLimit(
    candidates,
    deps.concurrency ?? 8,
    async (c): Promise<AppPreview | undefined> => {
      const app = c.head ?? c.base;
      // A generated app is judged by its own project (the set's template may name another), on both sides.
      if (!app || !visible(app) || (c.base && !visible(c.base))) return undefined;
      const src = app.spec.source;
      const readsRepo = (x: Application | undefined): boolean =>
        !!x && !x.spec.sources && !!x.spec.source && sameRepo(x.spec.source.repoURL, req.repoURL);
      // Only apps that follow the base revision see the change when it merges.
      const baseSide =
        readsRepo(c.base) && (await tracksBase(c.base?.spec.source.targetRevision)) ? c.base : undefined;
      const headSide =
        readsRepo(c.head) && (await tracksBase(c.head?.spec.source.targetRevision)) ? c.head : undefined;
      const specChanged = JSON.stringify(c.base?.spec) !== JSON.stringify(c.head?.spec);
      if (!baseSide && !headSide && !(c.appSet && specChanged)) return undefined;
      const change: AppPreview['change'] = !c.base ? 'added' : !c.head ? 'removed' : 'changed';
      if (change === 'changed' && !specChanged && baseSide && headSide) {
        if (!(await inputsDiffer(deps, src.repoURL, app, baseSha, headSha))) {
          unchanged++;
          return undefined;
        }
      }
      return previewApp(deps, prepare, c, {
        baseSha,
        headSha,
        baseSide,
        headSide,
        change,
        clusterLabels,
        ctrlNs,
      });
    },
  );
  const changed = [
    ...errors,
    ...results.filter((r): r is AppPreview => !!r && (r.objects.length > 0 || !!r.error)),
  ];
  changed.sort((a, b) => compareStrings(a.cluster, b.cluster) || compareStrings(a.app, b.app));
  const count = (action: ObjectChange['action']): number =>
    changed.reduce((n, a) => n + a.objects.filter((o) => o.action === action).length, 0);
  const summary = {
    apps: changed.filter((a) => a.objects.length > 0).length,
    clusters: new Set(changed.filter((a) => a.objects.length > 0).map((a) => a.cluster)).size,
    created: count('create'),
    changed: count('change'),
    deleted: count('delete'),
    line: '',
  };
  summary.line =
    `${summary.apps} app${summary.apps === 1 ? '' : 's'} on ${summary.clusters} cluster${summary.clusters === 1 ? '' : 's'} change; ` +
    `${summary.created} object${summary.created === 1 ? '' : 's'} created, ${summary.changed} changed, ${summary.deleted} deleted`;
  return {
    repoURL: req.repoURL,
    base: { ref: req.base, sha: baseSha },
    head: { ref: req.head, sha: headSha },
    summary,
    apps: changed,
    unchanged,
    blocked: changed.some((a) => a.policy.some((p) => p.mode === 'enforce')),
  };
}

/**
 * Whether any Git object the app's renderer reads differs between the two commits: the app
 * directory, every kustomization it reaches (a shared ../base), helm value files. A render that
 * cannot even be prepared on one side (its path is gone) counts as a change.
 */
async function inputsDiffer(
  deps: PreviewDeps,
  repoURL: string,
  app: Application,
  baseSha: string,
  headSha: string,
): Promise<boolean> {
  try {
    const paths = new Set<string>();
    for (const sha of [baseSha, headSha]) {
      const root = await deps.sources.checkout(repoURL, sha);
      for (const p of await renderInputs(inputSpec(app, root), deps.renderOptions ?? {})) paths.add(p);
    }
    for (const p of paths) {
      const [a, b] = await Promise.all([
        deps.sources.treeHash(repoURL, baseSha, p).catch(() => 'missing'),
        deps.sources.treeHash(repoURL, headSha, p).catch(() => 'missing'),
      ]);
      if (a !== b) return true;
    }
    return false;
  } catch {
    return true;
  }
}

/** Enough of the app's render spec for renderInputs: the type and the options that name files. */
function inputSpec(app: Application, root: string): RenderSpec {
  const src = app.spec.source;
  const spec: RenderSpec = { root, path: src.path ?? '' };
  if (src.kustomize) {
    spec.type = 'kustomize';
    spec.kustomize = src.kustomize;
  }
  if (src.helm) {
    spec.type = 'helm';
    spec.helm = { ...src.helm, releaseName: app.metadata.name };
  }
  if (src.directory) spec.type = 'directory';
  return spec;
}

async function previewApp(
  deps: PreviewDeps,
  prepare: PrepareDeps,
  c: Candidate,
  o: {
    baseSha: string;
    headSha: string;
    baseSide: Application | undefined;
    headSide: Application | undefined;
    change: AppPreview['change'];
    clusterLabels: Map<string, Record<string, string>>;
    ctrlNs: string;
  },
): Promise<AppPreview> {
  const app = (c.head ?? c.base) as Application;
  const ns = app.metadata.namespace ?? '';
  const out: AppPreview = {
    app: c.key,
    ...(c.appSet ? { appSet: c.appSet.metadata.name } : {}),
    cluster: app.spec.destination.name ?? app.spec.destination.server ?? 'in-cluster',
    change: o.change,
    objects: [],
    policy: [],
  };
  try {
    const dest = await deps.clusters.destination(app.spec.destination);
    out.cluster = dest.name;
    const defaultNamespace = app.spec.destination.namespace ?? ns;
    const render = async (a: Application | undefined, sha: string): Promise<Manifest[]> =>
      a ? renderApp(prepare, a, sha) : [];
    const [before, after] = await Promise.all([render(o.baseSide, o.baseSha), render(o.headSide, o.headSha)]);
    const delta = renderDelta(before, after, defaultNamespace);
    const touched = new Set(
      [...delta.created, ...delta.changed].map((x) => objectIdentity(x, defaultNamespace)),
    );
    // The change is judged as the sync would judge it: objects its Project or the protected-resource
    // rules refuse are not dry-run (they are named, never compared with what the cluster holds: a
    // pull request, a fork's included, must not read objects outside what the app may manage),
    // and the dry-run acts as the identity the sync would act as.
    const cluster = await deps.clusters.resolve(dest.name);
    const governance =
      touched.size && o.headSide
        ? await assessGovernance({
            mgmt: deps.client,
            controllerNamespace: o.ctrlNs,
            app: o.headSide,
            manifests: after,
            dest: cluster,
          })
        : undefined;
    if (governance?.violations.length) {
      out.error = `would be refused: ${governance.violations.join('; ')}`;
      touched.clear();
    }
    if (touched.size) {
      const client = governance?.impersonate ? cluster.impersonating(governance.impersonate) : cluster;
      const cmp = await compareApp(
        { owner: c.key, manifests: after, defaultNamespace, ignore: [] },
        { client, inventory: new InventoryStore(client) },
      );
      const diffs = new Map(
        cmp.resources.map((r) => [
          `${r.ref.apiVersion.includes('/') ? r.ref.apiVersion.split('/')[0] : ''}/${r.ref.kind}/${r.ref.namespace ?? defaultNamespace}/${r.ref.name}`,
          r,
        ]),
      );
      for (const x of [...delta.created, ...delta.changed]) {
        const id = objectIdentity(x, defaultNamespace);
        const r = diffs.get(id);
        out.objects.push({
          ref: objectRef(x, defaultNamespace),
          action: delta.created.includes(x) ? 'create' : 'change',
          ...(r?.diff ? { diff: r.diff } : {}),
        });
      }
    }
    for (const x of delta.deleted)
      out.objects.push({ ref: objectRef(x, defaultNamespace), action: 'delete' });
    const project = await loadProject(deps.client, o.ctrlNs, app.spec.project ?? 'default');
    if (project && touched.size) {
      const subjects = after
        .filter((m) => touched.has(objectIdentity(m.object, defaultNamespace)))
        .map((m) => ({ object: m.object, ref: objectRef(m.object, defaultNamespace) }));
      out.policy = evaluatePolicies(project, subjects) as PolicyResult[];
    }
    const steps =
      c.appSet?.spec.strategy?.type === 'RollingSync'
        ? (c.appSet.spec.strategy.rollingSync?.steps ?? [])
        : [];
    if (steps.length) {
      const i = stepOf(
        {
          name: app.metadata.name,
          labels: app.metadata.labels ?? {},
          clusterLabels: o.clusterLabels.get(dest.name) ?? {},
          cluster: dest.name,
          synced: false,
        },
        steps as RolloutStep[],
      );
      if (i >= 0) out.rolloutStep = { step: i + 1, of: steps.length };
    }
  } catch (e) {
    out.error = e instanceof GitfleetError || e instanceof Error ? e.message : String(e);
  }
  return out;
}
