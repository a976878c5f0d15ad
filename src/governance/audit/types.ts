/**
 * The audit trail's data: one entry per operation the controller carried out on a destination.
 * Entries name objects (kind, namespace, name) and what happened to them; they never hold object
 * content, so no Secret data can reach the store.
 */

/** What kind of operation an entry records. */
export type AuditOperation = 'auto-sync' | 'manual-sync' | 'rollback' | 'promotion' | 'analysis';

/** What happened to one object: pruned objects are `deleted`; hooks carry `hook: true`. */
export interface AuditObject {
  kind: string;
  namespace?: string;
  name: string;
  action: 'created' | 'configured' | 'deleted' | 'skipped' | 'failed';
  hook?: boolean;
  /**
   * An `analysis` entry lists one object per metric (kind `AnalysisMetric`, name
   * `<template>/<metric>`) with its verdict, the query measured and the last values. Its action is
   * `skipped` when Successful (a measurement changes nothing), `failed` otherwise.
   */
  verdict?: string;
  query?: string;
  values?: string[];
}

/** One recorded operation, as written. */
export interface AuditRecord {
  operation: AuditOperation;
  /**
   * `automated` for the controller's own syncs; `user` when an authenticated caller of the hub API
   * asked (the hub signed the requester); `unverified` when the request was written on the
   * Application by anyone else (kubectl, a script): its `user` then says so and is not an identity.
   */
  trigger: 'automated' | 'user' | 'unverified';
  /**
   * Who asked: the authenticated user, or `kubectl (unverified: <claimed name>)` / `kubectl` for
   * an unverified request. Absent for automated syncs.
   */
  user?: string;
  appNamespace: string;
  app: string;
  project: string;
  cluster: string;
  /** Destination namespace. */
  namespace: string;
  /** The commit synced (full SHA). */
  revision: string;
  repoURL: string;
  result: 'Succeeded' | 'Failed';
  /** The sync's summary or error, with every Secret value of the render masked. */
  message: string;
  startedAt: Date;
  durationMs: number;
  /** Objects created, changed, pruned, skipped or failed; unchanged ones are only counted. */
  objects: AuditObject[];
  unchanged: number;
}

/** A stored entry: the record plus the store's sequence number. */
export interface AuditEntry extends AuditRecord {
  id: number;
}

/** Filters of an audit query; every one given must match. */
export interface AuditQuery {
  /** `name` or `namespace/name`. */
  app?: string;
  cluster?: string;
  /** A commit SHA or a prefix of at least 4 characters. */
  commit?: string;
  user?: string;
  project?: string;
  since?: Date;
  until?: Date;
  /** Newest first; default 100, at most 1000. */
  limit?: number;
}

/** Where the controller writes entries. */
export interface AuditSink {
  record(entry: AuditRecord): Promise<void>;
}

/** An append-only audit store: there is deliberately no way to change or remove an entry. */
export interface AuditStore extends AuditSink {
  query(q: AuditQuery): Promise<AuditEntry[]>;
  close(): Promise<void>;
}
