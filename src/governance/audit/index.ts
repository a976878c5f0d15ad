// The audit trail: append-only records of every sync, in an embedded SQLite file (the default) or
// a PostgreSQL server. See docs/audit.md.
export type {
  AuditEntry,
  AuditObject,
  AuditOperation,
  AuditQuery,
  AuditRecord,
  AuditSink,
  AuditStore,
} from './types.js';
export { AuditQueryError, SqlAuditStore, type SqlDriver } from './sql-store.js';
export { isPostgresUrl, openAuditStore, SQLITE_FILE, type OpenAuditOptions } from './open.js';
export { GroupCommit } from './batch.js';
export {
  auditRecordOf,
  maskSecretValues,
  recordSafely,
  signSyncRequester,
  SYNC_OPERATION_ANNOTATION,
  SYNC_REQUESTED_BY_SIGNATURE_ANNOTATION,
  syncRequesterOf,
  type SyncAuditInput,
} from './record.js';
