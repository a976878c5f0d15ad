import type { KubeObject } from '../kube/types.js';
import type { PolicyResult } from './project.js';

export const GROUP = 'gitfleet.dev';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;

/** Where an Application's manifests come from. Field names follow Argo CD's where they mean the same. */
export interface ApplicationSource {
  repoURL: string;
  /** Branch, tag, commit SHA or semver range over tags; default HEAD (the default branch). */
  targetRevision?: string;
  /** Directory in the repository; default the root. */
  path?: string;
  /** Secret in the Application's namespace with `username`+`password` or `bearerToken`. */
  secretRef?: { name: string };
  directory?: { recurse?: boolean; include?: string; exclude?: string; jsonnet?: unknown };
  kustomize?: KustomizeSourceOptions;
  helm?: HelmSourceOptions;
  /**
   * A Helm chart from the repository at `repoURL` (an HTTP(S) Helm repository, or `oci://` for a
   * registry), at `targetRevision`: a version, a semver range, or for OCI a tag or `sha256:` digest.
   * Without `chart`, an `oci://` repoURL is an artifact of manifests or a Kustomize tree.
   */
  chart?: string;
  /** In `sources`: the name other sources' `$name/…` value files use for this source's files. */
  ref?: string;
  /** Argo CD fields refused by name (application-fields.ts); typed so the check can read them. */
  name?: string;
  plugin?: unknown;
}

/** Argo CD's `source.kustomize` overrides, with Argo's meaning (applied over the app's kustomization). */
export interface KustomizeSourceOptions {
  namePrefix?: string;
  nameSuffix?: string;
  /** `kustomize edit set image` syntax: `name=newName:tag`, `name:tag`, `name@sha256:…`. */
  images?: string[];
  commonLabels?: Record<string, string>;
  commonAnnotations?: Record<string, string>;
  forceCommonLabels?: boolean;
  forceCommonAnnotations?: boolean;
  namespace?: string;
  replicas?: { name: string; count: number | string }[];
  [refused: string]: unknown;
}

export interface HelmSourceOptions {
  /** Default: the Application's name (as in Argo CD). */
  releaseName?: string;
  valueFiles?: string[];
  values?: string;
  valuesObject?: Record<string, unknown>;
  /** `--set` semantics (written to a values file; never passed as argv). */
  parameters?: { name: string; value?: string; forceString?: boolean }[];
  /** `--set-file` semantics: the file's content (relative to the chart directory) as a string value. */
  fileParameters?: { name: string; path: string }[];
  ignoreMissingValueFiles?: boolean;
  skipCrds?: boolean;
  skipTests?: boolean;
  skipSchemaValidation?: boolean;
  /** Default: the destination namespace. */
  namespace?: string;
  kubeVersion?: string;
  apiVersions?: string[];
  [refused: string]: unknown;
}

export interface ApplicationDestination {
  /** A cluster registered with gitfleet; `in-cluster` (default) is the cluster the controller runs in. */
  name?: string;
  /**
   * The cluster's API server URL, as Argo CD writes it: resolves to the registered Cluster whose
   * `spec.server` is the same URL (scheme, host, port; case and a trailing slash do not matter);
   * `https://kubernetes.default.svc` is `in-cluster`. Set `name` or `server`, never both. A URL no
   * Cluster has is refused (InvalidSpecError): never a fallback to another cluster.
   */
  server?: string;
  /** Default namespace for namespaced objects that name none. */
  namespace?: string;
}

/** Argo CD's address of the cluster the controller runs in: gitfleet's `in-cluster`. */
export const IN_CLUSTER_SERVER = 'https://kubernetes.default.svc';

/**
 * The cluster a destination names, for views and planning that must not fail: `name`, or for
 * `server` the one registered Cluster with that URL (`in-cluster` for the local URL). A server no
 * single Cluster has is returned as written, so it matches no Cluster's name or labels and is
 * never mistaken for `in-cluster`. (The Application controller resolves strictly and refuses it.)
 */
export function destinationClusterName(
  dest: ApplicationDestination | undefined,
  clusters: readonly { metadata: { name: string }; spec: { server?: string } }[] = [],
): string {
  if (dest?.name) return dest.name;
  const server = dest?.server?.trim();
  // An empty `server` (a template that found no URL) names no cluster, least of all in-cluster.
  if (!server) return dest?.server === undefined ? 'in-cluster' : '';
  const wanted = normalizeServerUrl(server);
  if (wanted && wanted === normalizeServerUrl(IN_CLUSTER_SERVER)) return 'in-cluster';
  const found = clusters.filter((c) => c.spec.server && normalizeServerUrl(c.spec.server) === wanted);
  return wanted && found.length === 1 && found[0] ? found[0].metadata.name : server;
}

/**
 * The comparable form of an API server URL: lower-case scheme and host, the scheme's default port
 * made explicit, no trailing slash, no query or fragment; a path (a proxy's cluster prefix) is
 * kept. Undefined when it is not an http(s) URL, so such a value can never match a Cluster.
 */
export function normalizeServerUrl(url: string): string | undefined {
  let u: URL;
  try {
    u = new URL(url.trim());
  } catch {
    return undefined;
  }
  if ((u.protocol !== 'https:' && u.protocol !== 'http:') || !u.hostname || u.username || u.password)
    return undefined;
  const port = u.port || (u.protocol === 'https:' ? '443' : '80');
  const path = u.pathname.replace(/\/+$/, '');
  return `${u.protocol}//${u.hostname.toLowerCase()}:${port}${path}`;
}

export interface RetryPolicy {
  /** Attempts after the first; default 5. */
  limit?: number;
  backoff?: { duration?: string; factor?: number; maxDuration?: string };
}

export interface SyncPolicy {
  /**
   * Sync on every change in Git (and on drift with selfHeal); without it, only `gitfleet app sync`
   * syncs. `enabled: false` turns it off while keeping the other settings (Argo CD 2.14+).
   */
  automated?: { enabled?: boolean; prune?: boolean; selfHeal?: boolean; allowEmpty?: boolean };
  /** Argo CD's options, honoured or refused by name: see application-fields.ts. */
  syncOptions?: string[];
  retry?: RetryPolicy;
  /**
   * Labels and annotations set on the destination namespace that `CreateNamespace=true` creates
   * (Argo CD's meaning); ignored without that option. Owned by gitfleet's field manager, so one
   * removed here is removed from the namespace; others' labels stay.
   */
  managedNamespaceMetadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
}

/** Whether syncs are automated: `automated` is present and not `enabled: false` (Argo CD's meaning). */
export function isAutomated(policy: SyncPolicy | undefined): boolean {
  const auto = policy?.automated;
  return auto !== undefined && auto !== null && auto.enabled !== false;
}

export interface IgnoreDifference {
  group?: string;
  kind: string;
  name?: string;
  namespace?: string;
  jsonPointers?: string[];
  managedFieldsManagers?: string[];
  /** jq path expressions (Argo CD's meaning: the fields they select are ignored); src/engine/diff/jq.ts. */
  jqPathExpressions?: string[];
}

/**
 * The source readers show for an Application: `source`, or for a multi-source app (`sources` only)
 * its first source that is not a values-only `ref` (what the controller renders as the primary).
 */
export function sourceOf(spec: Pick<ApplicationSpec, 'source' | 'sources'>): ApplicationSource {
  const sources = spec.sources ?? [];
  return (
    (spec.source as ApplicationSource | undefined) ??
    sources.find((s) => !s.ref || s.chart || s.path) ??
    sources[0] ?? { repoURL: '' }
  );
}

export interface ApplicationSpec {
  project?: string;
  /** Set from `sources` (its first rendered source) by the controller when only `sources` is given. */
  source: ApplicationSource;
  /** Argo CD's multi-source form (src/controllers/application/multi-source.ts); wins over `source`. */
  sources?: ApplicationSource[];
  destination: ApplicationDestination;
  syncPolicy?: SyncPolicy;
  ignoreDifferences?: IgnoreDifference[];
  /** Applications (same namespace) that must be Healthy before this one syncs. */
  dependsOn?: { name: string }[];
  /** Number of history entries kept; default 10. */
  revisionHistoryLimit?: number;
  /** Flux-style variable substitution over the rendered manifests (docs/sources.md). */
  postBuild?: PostBuild;
  /** SOPS decryption of the rendered manifests (Flux's shape); see src/engine/secrets. */
  decryption?: DecryptionSpec;
  /** Objects outside the app whose health the app's health waits for (Flux's `healthChecks`). */
  healthChecks?: HealthCheckRef[];
  /** How long a sync waits for health before it fails: a duration such as `90s`, `5m`, `1h`. */
  timeout?: string;
}

/** `spec.decryption`: keys come from a Secret in the Application's namespace (entries `*.agekey`). */
export interface DecryptionSpec {
  provider: 'sops';
  secretRef?: { name: string };
}

/** An object in the destination cluster that must be Healthy for the app to be. */
export interface HealthCheckRef {
  apiVersion: string;
  kind: string;
  name: string;
  /** Default: the destination namespace (ignored for cluster-scoped kinds). */
  namespace?: string;
}

/**
 * Variables substituted into rendered manifests (`${var}`, `${var:=default}`). Lowest first: the
 * destination Cluster's labels and annotations (`cluster_<key>`), then `substituteFrom` in order
 * (ConfigMaps/Secrets in the Application's namespace), then `substitute`.
 */
export interface PostBuild {
  substitute?: Record<string, string>;
  substituteFrom?: { kind: 'ConfigMap' | 'Secret'; name: string; optional?: boolean }[];
}

export type SyncStatusCode = 'Synced' | 'OutOfSync' | 'Unknown';
export type HealthStatusCode = 'Healthy' | 'Progressing' | 'Degraded' | 'Suspended' | 'Missing' | 'Unknown';

export interface ResourceStatus {
  group: string;
  version: string;
  kind: string;
  namespace?: string;
  name: string;
  status: SyncStatusCode;
  health?: { status: HealthStatusCode; message?: string };
  hook?: boolean;
  /** Redacted, normalised diff text when OutOfSync. */
  diff?: string;
}

/**
 * Every condition type an Application's status carries, a closed set: a stage failing names one
 * of these, and a misspelt type is a compile error rather than a condition nobody clears.
 */
export type ConditionType =
  | 'InvalidSpecError'
  | 'DestinationFailed'
  | 'ProjectViolation'
  | 'DependencyNotReady'
  | 'SourceFailed'
  | 'RenderFailed'
  | 'PolicyViolation'
  | 'PolicyWarning'
  | 'ComparisonError'
  | 'SyncError'
  | 'SyncWindowBlocked'
  /** Live objects changed away from what the last successful sync applied; cleared when healed. */
  | 'DriftDetected';

/** An ApplicationSet's condition types (Argo CD's names). */
export type ApplicationSetConditionType =
  'ErrorOccurred' | 'ParametersGenerated' | 'ResourcesUpToDate' | 'RolloutProgressing';

export interface Condition<T extends string = ConditionType> {
  type: T;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  lastTransitionTime: string;
}

/** Terminating: asked to stop (`gitfleet app terminate`); the next reconcile ends it Failed. */
export type OperationPhase = 'Running' | 'Terminating' | 'Succeeded' | 'Failed' | 'Error';

/** Argo CD's sync phases: hooks run in PreSync, PostSync or SyncFail, everything else in Sync. */
export type SyncPhase = 'PreSync' | 'Sync' | 'PostSync' | 'SyncFail';

/** A hook's outcome, as Argo CD's `hookPhase`. */
export type HookPhaseResult = 'Running' | 'Succeeded' | 'Failed';

/** What one operation did to one object (Argo CD's `syncResult.resources[]`). */
export interface OperationResource {
  /** Absent for objects recorded before the field existed. */
  apiVersion?: string;
  kind: string;
  namespace?: string;
  name: string;
  action: string;
  message?: string;
  /** Set for hooks: the phase it ran in (PreSync, Sync, PostSync, SyncFail) and its outcome. */
  syncPhase?: string;
  hookPhase?: HookPhaseResult;
}

/** Where a running operation stands: a restarted controller resumes at this step. */
export interface OperationStep {
  /** Index of the step being run or waited on (PreSync hooks, each wave, prune, PostSync hooks). */
  index: number;
  /** Of how many. */
  count: number;
  /** When the step's objects began to be awaited (ISO time); absent before it is applied. */
  waitingSince?: string;
  /** Owned objects the prune step left in place: they stay in the inventory when the operation ends. */
  kept?: { group: string; version: string; kind: string; namespace?: string; name: string }[];
  /** The operation failed and runs its SyncFail hooks: why it failed, and which SyncFail step runs. */
  failing?: { message: string; step: number };
  /** Names the API server gave the generateName hooks created so far, by the hook's template key. */
  generated?: Record<string, string>;
}

export interface OperationState {
  phase: OperationPhase;
  message: string;
  startedAt: string;
  finishedAt?: string;
  revision?: string;
  retryCount?: number;
  resources?: OperationResource[];
  /** Set while the operation runs. */
  step?: OperationStep;
  /** The phase of the step running or run last: PreSync, Sync, PostSync, or SyncFail once it failed. */
  syncPhase?: SyncPhase;
  /** The sync request (REFRESH_ANNOTATION value) that started a manual operation. */
  syncRequest?: string;
  /** Objects the operation touched, when `resources` lists only some of them (failed first). */
  resourceCount?: number;
}

export interface HistoryEntry {
  id: number;
  revision: string;
  deployedAt: string;
  source: ApplicationSource;
  /** The commit's author (`Name <email>`) and subject line, when the mirror had them. */
  author?: string;
  message?: string;
}

export interface ApplicationStatus {
  observedGeneration?: number;
  /** `revisions`: each source's revision, for a multi-source app (`revision` joins them by `,`). */
  sync?: { status: SyncStatusCode; revision?: string; revisions?: string[] };
  health?: { status: HealthStatusCode; message?: string };
  resources?: ResourceStatus[];
  /**
   * Counts over every object of the app. Status is bounded (etcd refuses requests over ~1.5 MiB), so
   * `resources` may list only some objects (OutOfSync and unhealthy first): `truncated` says so.
   * The full list is the app's inventory in the destination cluster.
   */
  resourceSummary?: { total: number; outOfSync: number; unhealthy: number; truncated: boolean };
  conditions?: Condition[];
  operationState?: OperationState;
  history?: HistoryEntry[];
  reconciledAt?: string;
  /** The last sync request (REFRESH_ANNOTATION value) the controller acted on. */
  handledSyncRequest?: string;
  /** The last terminate request (TERMINATE_ANNOTATION value) the controller acted on. */
  handledTerminateRequest?: string;
  /** Findings of the Project's policies on the rendered objects (object, field, mode). */
  policy?: PolicyResult[];
}

export interface Application extends KubeObject {
  apiVersion: typeof API_VERSION;
  kind: 'Application';
  spec: ApplicationSpec;
  status?: ApplicationStatus;
}

/** The API path of one Application (for PATCH, status writes). */
export function applicationPath(namespace: string, name: string): string {
  return `/apis/${API_VERSION}/namespaces/${encodeURIComponent(namespace)}/applications/${encodeURIComponent(name)}`;
}

/** Finalizer that makes deleting an Application delete what it owns (and only that). */
export const CASCADE_FINALIZER = 'gitfleet.dev/resources-finalizer';
/**
 * Argo CD's cascade finalizer and its propagation variants: an Application migrated with them is
 * deleted with what it owns, exactly as with CASCADE_FINALIZER (gitfleet's prune decides the
 * propagation), so its deletion completes instead of waiting for an Argo CD that is not there.
 */
export const ARGO_CASCADE_FINALIZERS: readonly string[] = [
  'resources-finalizer.argocd.argoproj.io',
  'resources-finalizer.argocd.argoproj.io/background',
  'resources-finalizer.argocd.argoproj.io/foreground',
];
/** Whether a finalizer asks for a cascading delete (gitfleet's or one of Argo CD's). */
export const isCascadeFinalizer = (f: string): boolean =>
  f === CASCADE_FINALIZER || ARGO_CASCADE_FINALIZERS.includes(f);
/** Annotation that requests a sync now: `gitfleet app sync` sets it to a timestamp. */
export const REFRESH_ANNOTATION = 'gitfleet.dev/sync-requested';
/**
 * A request to stop the running operation (its value a timestamp), written by `gitfleet app
 * terminate` and the hub; the controller ends the operation Failed "terminated".
 */
export const TERMINATE_ANNOTATION = 'gitfleet.dev/terminate-requested';
/** Who asked for the last sync (a user's name), written next to REFRESH_ANNOTATION by the hub API. */
export const SYNC_REQUESTED_BY_ANNOTATION = 'gitfleet.dev/sync-requested-by';
/**
 * Asks for a re-compare without a sync, against Git as of now: the controller fetches before
 * comparing when this stamp changes. It never applies anything by itself.
 */
export const REFRESH_REQUESTED_ANNOTATION = 'gitfleet.dev/refresh-requested';
