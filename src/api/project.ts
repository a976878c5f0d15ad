import type { KubeObject } from '../kube/types.js';
import type { API_VERSION } from './application.js';

/** A group/kind pair; `*` matches any. */
export interface GroupKind {
  group: string;
  kind: string;
}

/**
 * Governance for a team: where its Applications may come from, where they may go, and which kinds
 * they may manage. Lives in gitfleet-system; Applications name it in `spec.project`.
 */
export interface Project extends KubeObject {
  apiVersion: typeof API_VERSION;
  kind: 'Project';
  spec: {
    /** Repository URL patterns (`*` wildcard); empty allows none. */
    sourceRepos?: string[];
    /** Allowed destinations; `*` wildcards in both fields. */
    destinations?: { cluster?: string; namespace?: string }[];
    /** Cluster-scoped kinds Applications may manage; none unless listed (as Argo CD). */
    clusterResourceWhitelist?: GroupKind[];
    /** Namespaced kinds Applications may not manage. */
    namespaceResourceBlacklist?: GroupKind[];
  };
}
