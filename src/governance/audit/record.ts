import { REFRESH_ANNOTATION, SYNC_REQUESTED_BY_ANNOTATION, type Application } from '../../api/application.js';
import type { ChangeSetEntry } from '../../engine/apply/changeset.js';
import { secretMaskOf } from '../../engine/diff/mask.js';
import type { Manifest } from '../../engine/manifest.js';
import type { HubKey } from '../hub-key.js';
import type { AuditObject, AuditOperation, AuditRecord, AuditSink } from './types.js';

/** Marks a manual sync as a rollback explicitly; rollbacks are also recognised without it (see isRollback). */
export const SYNC_OPERATION_ANNOTATION = 'gitfleet.dev/sync-operation';

/**
 * The hub's signature of the requester it wrote in SYNC_REQUESTED_BY_ANNOTATION: anyone who may
 * patch an Application can write that annotation, only the hub can sign it.
 */
export const SYNC_REQUESTED_BY_SIGNATURE_ANNOTATION = 'gitfleet.dev/sync-requested-by-signature';

/**
 * The signature the hub writes next to a requester: over the app, the user and the request's
 * stamp (the REFRESH_ANNOTATION value), so it cannot be moved to another app, user or request.
 */
export function signSyncRequester(
  key: HubKey,
  namespace: string,
  name: string,
  user: string,
  requested: string,
): string {
  return key.sign('sync-requested-by', namespace, name, user, requested);
}

/**
 * Who asked for the sync an Application's annotations request. The user counts as authenticated
 * only when the hub's signature over (app, user, request stamp) verifies and the stamp is newer than
 * the last request the controller handled (an old signed request written back is a replay).
 * Anything else was written by someone with write access to the Application (kubectl, a script,
 * `gitfleet app sync` with the caller's kubeconfig): recorded as such, never as the named user.
 */
export function syncRequesterOf(
  app: Application,
  key: HubKey | undefined,
): { user: string; authenticated: boolean } {
  const ann = app.metadata.annotations ?? {};
  const claimed = ann[SYNC_REQUESTED_BY_ANNOTATION];
  const requested = ann[REFRESH_ANNOTATION] ?? '';
  const handled = app.status?.handledSyncRequest;
  const fresh = !handled || requested > handled;
  if (
    key &&
    claimed &&
    requested &&
    fresh &&
    key.verify(
      ann[SYNC_REQUESTED_BY_SIGNATURE_ANNOTATION],
      'sync-requested-by',
      app.metadata.namespace ?? '',
      app.metadata.name,
      claimed,
      requested,
    )
  )
    return { user: claimed, authenticated: true };
  const shown = claimed ? claimed.replace(/[^\x20-\x7e]/gu, '?').slice(0, 100) : '';
  return { user: shown ? `kubectl (unverified: ${shown})` : 'kubectl', authenticated: false };
}

/** One finished sync of an Application, as the controller knows it. */
export interface SyncAuditInput {
  app: Application;
  revision: string;
  /** Requested by a person (the sync-requested annotation), not started by automated sync. */
  manual: boolean;
  startedAt: Date;
  finishedAt: Date;
  result: { phase: 'Succeeded' | 'Failed'; message: string; changes: ChangeSetEntry[] };
  /** The render that was synced: only to mask its Secret values out of the message. */
  manifests: Manifest[];
  /**
   * The hub's key, to verify the requester the hub signed. Without it no requester counts as
   * authenticated: a manual sync is then recorded with trigger `unverified`.
   */
  hubKey?: HubKey;
}

const MAX_MESSAGE = 2000;

/**
 * The audit record of one sync. Pure. Objects are reduced to kind, namespace, name and action:
 * diffs, per-object messages and content are dropped on purpose, and the summary message has every
 * Secret value of the render masked, because API-server errors may echo a field's value.
 */
export function auditRecordOf(input: SyncAuditInput): AuditRecord {
  const { app, manual } = input;
  const ann = app.metadata.annotations ?? {};
  const requester = manual ? syncRequesterOf(app, input.hubKey) : undefined;
  const operation: AuditOperation = !manual
    ? 'auto-sync'
    : ann[SYNC_OPERATION_ANNOTATION] === 'rollback' || isRollback(app, input.revision)
      ? 'rollback'
      : 'manual-sync';
  const objects: AuditObject[] = [];
  let unchanged = 0;
  for (const c of input.result.changes) {
    if (c.action === 'unchanged') {
      unchanged += 1;
      continue;
    }
    objects.push({
      kind: c.ref.kind,
      ...(c.ref.namespace ? { namespace: c.ref.namespace } : {}),
      name: c.ref.name,
      action: c.action,
      ...(c.hook ? { hook: true } : {}),
    });
  }
  const message = maskSecretValues(input.result.message, input.manifests);
  return {
    operation,
    trigger: !requester ? 'automated' : requester.authenticated ? 'user' : 'unverified',
    ...(requester ? { user: requester.user } : {}),
    appNamespace: app.metadata.namespace ?? '',
    app: app.metadata.name,
    project: app.spec.project ?? 'default',
    cluster: app.spec.destination.name ?? 'in-cluster',
    namespace: app.spec.destination.namespace ?? app.metadata.namespace ?? '',
    revision: input.revision,
    repoURL: app.spec.source.repoURL,
    result: input.result.phase,
    message: message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE - 3)}...` : message,
    startedAt: input.startedAt,
    durationMs: Math.max(0, input.finishedAt.getTime() - input.startedAt.getTime()),
    objects,
    unchanged,
  };
}

/**
 * A rollback (`gitfleet app rollback`, the hub's rollback action) pins the source to the full SHA
 * of an earlier history entry and asks for a sync: that is how it is recognised, with no extra
 * annotation to go stale on later syncs.
 */
function isRollback(app: Application, revision: string): boolean {
  const history = app.status?.history ?? [];
  return (
    app.spec.source.targetRevision === revision &&
    history.slice(0, -1).some((h) => h.revision === revision) &&
    history[history.length - 1]?.revision !== revision
  );
}

/**
 * Replaces every value of every Secret in `manifests` (as written in stringData, as stored in
 * data, and decoded) with `***`. Values shorter than 4 characters are left: masking "1" or "yes"
 * would wreck the message and reveals nothing.
 */
export function maskSecretValues(text: string, manifests: Manifest[]): string {
  // The engine's one masking function, so the audit trail hides exactly what status and events hide.
  return secretMaskOf(manifests.map((m) => m.object)).mask(text);
}

/**
 * Records an entry without ever failing the caller: the audit trail must not stop a reconcile,
 * so a store error is reported through `onError` (the controller logs it) and swallowed.
 */
export async function recordSafely(
  sink: AuditSink | undefined,
  record: () => AuditRecord,
  onError: (e: unknown) => void,
): Promise<void> {
  if (!sink) return;
  try {
    await sink.record(record());
  } catch (e) {
    onError(e);
  }
}
