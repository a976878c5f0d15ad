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
  directory?: { recurse?: boolean; include?: string; exclude?: string };
  kustomize?: Record<string, never>;
  helm?: {
    releaseName?: string;
    valueFiles?: string[];
    values?: string;
    valuesObject?: Record<string, unknown>;
  };
}

export interface ApplicationDestination {
  /** A cluster registered with gitfleet; `in-cluster` (default) is the cluster the controller runs in. */
  name?: string;
  /** Default namespace for namespaced objects that name none. */
  namespace?: string;
}

export interface RetryPolicy {
  /** Attempts after the first; default 5. */
  limit?: number;
  backoff?: { duration?: string; factor?: number; maxDuration?: string };
}

export interface SyncPolicy {
  /** Sync on every change in Git (and on drift with selfHeal); without it, only `gitfleet app sync` syncs. */
  automated?: { prune?: boolean; selfHeal?: boolean; allowEmpty?: boolean };
  /** `CreateNamespace=true`, `ServerSideApply=true` (force conflicts), `PruneLast=true`. */
  syncOptions?: string[];
  retry?: RetryPolicy;
}

export interface IgnoreDifference {
  group?: string;
  kind: string;
  name?: string;
  namespace?: string;
  jsonPointers?: string[];
  managedFieldsManagers?: string[];
}

export interface ApplicationSpec {
  project?: string;
  source: ApplicationSource;
  destination: ApplicationDestination;
  syncPolicy?: SyncPolicy;
  ignoreDifferences?: IgnoreDifference[];
  /** Applications (same namespace) that must be Healthy before this one syncs. */
  dependsOn?: { name: string }[];
  /** Number of history entries kept; default 10. */
  revisionHistoryLimit?: number;
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

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  lastTransitionTime: string;
}

export interface OperationState {
  phase: 'Running' | 'Succeeded' | 'Failed' | 'Error';
  message: string;
  startedAt: string;
  finishedAt?: string;
  revision?: string;
  retryCount?: number;
  resources?: { kind: string; namespace?: string; name: string; action: string; message?: string }[];
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
  sync?: { status: SyncStatusCode; revision?: string };
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
/** Annotation that requests a sync now: `gitfleet app sync` sets it to a timestamp. */
export const REFRESH_ANNOTATION = 'gitfleet.dev/sync-requested';
/** Who asked for the last sync (a user's name), written next to REFRESH_ANNOTATION by the hub API. */
export const SYNC_REQUESTED_BY_ANNOTATION = 'gitfleet.dev/sync-requested-by';
/**
 * Asks for a re-compare without a sync, against Git as of now: the controller fetches before
 * comparing when this stamp changes. It never applies anything by itself.
 */
export const REFRESH_REQUESTED_ANNOTATION = 'gitfleet.dev/refresh-requested';
