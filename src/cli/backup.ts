// What a gitfleet backup holds and how objects are cleaned for it: shared by `gitfleet export` and
// `gitfleet import`, so the two agree on files, order and what is never written (Secret values).
import type { API_VERSION } from '../api/application.js';
import type { KubeObject } from '../kube/types.js';

/** The kinds a backup holds, in restore order: what others refer to comes first. */
export const BACKUP_KINDS = [
  { kind: 'Project', file: 'projects.yaml' },
  { kind: 'Cluster', file: 'clusters.yaml' },
  { kind: 'NotificationRule', file: 'notificationrules.yaml' },
  { kind: 'ApplicationSet', file: 'applicationsets.yaml' },
  { kind: 'Application', file: 'applications.yaml' },
] as const;

/** The hub's RBAC ConfigMap (src/governance/rbac-loader.ts), backed up whole: it holds no secrets. */
export const RBAC_FILE = 'rbac.yaml';
/** Secrets the hub needs, by reference: names, types and key names, never values. */
export const SECRET_REFS_FILE = 'secret-references.yaml';
export const MANIFEST_FILE = 'backup.json';

export interface SecretReference {
  namespace: string;
  name: string;
  /** gitfleet.dev/secret-type label (agent-token, api-token, cluster credentials…), when set. */
  type?: string;
  keys: string[];
  /** Why the backup names it (e.g. "Cluster prod spec.secretRef"). */
  usedBy: string[];
}

export interface BackupManifest {
  format: 'gitfleet-backup/v1';
  apiVersion: typeof API_VERSION;
  exportedAt: string;
  cliVersion: string;
  counts: Record<string, number>;
}

/**
 * A live object as it is restored: no uid, resourceVersion, timestamps, managedFields or status
 * (the new hub recomputes status from the destinations, where the inventories live). Owner
 * references are kept: import re-points them at the restored owner's new uid.
 */
export function cleanForBackup(o: KubeObject): KubeObject {
  const {
    uid: _uid,
    resourceVersion: _rv,
    creationTimestamp: _ct,
    managedFields: _mf,
    generation: _g,
    deletionTimestamp: _dt,
    deletionGracePeriodSeconds: _dg,
    selfLink: _sl,
    ...metadata
  } = o.metadata as KubeObject['metadata'] & Record<string, unknown>;
  const annotations = { ...(metadata.annotations ?? {}) };
  delete annotations['kubectl.kubernetes.io/last-applied-configuration'];
  const out: KubeObject = { ...o, metadata: { ...metadata, annotations } };
  if (Object.keys(annotations).length === 0) delete out.metadata.annotations;
  delete (out as { status?: unknown }).status;
  return out;
}
