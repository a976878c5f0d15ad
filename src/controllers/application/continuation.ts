import type { Application, OperationState } from '../../api/application.js';
import type { Manifest } from '../../engine/manifest.js';

/**
 * What a running operation's next step may reuse from the reconcile that last resolved and rendered
 * the app: the revision and its manifests. A step of an operation applies the revision the operation
 * started with, so re-fetching and re-rendering it every time a wave is re-checked is wasted work
 * that other apps' pushes and drift wait behind. Reuse holds only while the Application is the same
 * (generation, labels, annotations: a refresh, sync or terminate request changes them), nothing asked
 * for a fetch (push, refresh), and the resolution is younger than the poll interval (so a new commit
 * still cancels the wait within one poll, as without reuse).
 */
export interface Resolved {
  sha: string;
  manifests: Manifest[];
}

interface Entry extends Resolved {
  fingerprint: string;
  at: number;
}

export class ContinuationCache {
  readonly #entries = new Map<string, Entry>();
  readonly #maxAgeMs: number;
  readonly #now: () => number;

  constructor(maxAgeMs: number, now: () => number = Date.now) {
    this.#maxAgeMs = maxAgeMs;
    this.#now = now;
  }

  /** The revision and manifests to reuse for a continuing operation, if still valid. */
  get(key: string, app: Application, op: OperationState | undefined): Resolved | undefined {
    const e = this.#entries.get(key);
    if (!e) return undefined;
    if (
      op?.phase !== 'Running' ||
      op.revision !== e.sha ||
      e.fingerprint !== fingerprintOf(app) ||
      this.#now() - e.at > this.#maxAgeMs
    ) {
      this.#entries.delete(key);
      return undefined;
    }
    return { sha: e.sha, manifests: e.manifests };
  }

  /** Remembers a fresh resolution, kept only while an operation runs at that revision. */
  set(key: string, app: Application, r: Resolved, at: number = this.#now()): void {
    this.#entries.set(key, { ...r, fingerprint: fingerprintOf(app), at });
  }

  /** Kept only while an operation runs: the rest of the time nothing reuses it. */
  keepIf(key: string, running: boolean): void {
    if (!running) this.#entries.delete(key);
  }

  delete(key: string): void {
    this.#entries.delete(key);
  }

  get size(): number {
    return this.#entries.size;
  }
}

/** What of the Application decides its source and render: spec (generation), labels, annotations. */
function fingerprintOf(app: Application): string {
  const m = app.metadata;
  return JSON.stringify([m.generation, m.labels ?? {}, m.annotations ?? {}]);
}

/**
 * The fallback wake-up of a running operation whose objects are awaited. Their watch events wake it
 * at once when they change; this is only for what no event announces (a timeout, an object outside
 * the watch): 2 s at first, then a third of the time waited so far, at most 30 s, and never past the
 * health deadline.
 */
export function operationRequeueMs(
  op: OperationState | undefined,
  now: number,
  healthTimeoutMs: number,
): number {
  const since = op?.step?.waitingSince ? Date.parse(op.step.waitingSince) : NaN;
  if (Number.isNaN(since)) return 2000;
  const waited = Math.max(0, now - since);
  const backoff = Math.min(30_000, Math.max(2000, waited / 3));
  const deadline = since + healthTimeoutMs - now;
  return Math.max(1000, Math.min(backoff, deadline > 0 ? deadline + 100 : backoff));
}

/** What decides when an Application is looked at again after a reconcile that ran to its end. */
export interface NextLook {
  /** The operation as written now (a running one has its own fallback, operationRequeueMs). */
  op: OperationState | undefined;
  health: string;
  /** Since when the app has been Progressing with no operation (epoch ms), as far as this process saw. */
  progressingSince?: number;
  /**
   * Whether a watch announces every change that can end the Progressing: the owned objects' watch
   * always does; `spec.healthChecks` objects only once their watch has listed.
   */
  watched: boolean;
  now: number;
  healthTimeoutMs: number;
  pollIntervalMs: number;
  /** Uniform in [0, 1): spreads the polls of apps created together. */
  random: number;
}

/** The first fallback re-check of a Progressing app, and the longest. */
const PROGRESSING_FIRST_MS = 5_000;
const PROGRESSING_MAX_MS = 60_000;
/** Progressing on something no watch announces (yet): re-checked at this pace, as before. */
const UNWATCHED_PROGRESSING_MS = 2_000;

/**
 * When to look at an app again when nothing wakes it (Argo CD's and Flux's requeue-after): a running
 * operation backs off as operationRequeueMs says; a Progressing app whose objects are all watched
 * is woken by their events, so its fallback starts at 5 s and doubles with the time it has been
 * Progressing, up to 60 s (a roll-out that takes minutes costs a handful of looks, not one every 2
 * s); one Progressing on an object no watch covers yet keeps the 2 s re-check; the rest wait the
 * poll interval with ±10% jitter. Nothing waits longer than the poll interval, so a new commit is
 * still seen within one poll.
 */
export function nextLookMs(n: NextLook): number {
  if (n.op?.phase === 'Running') return operationRequeueMs(n.op, n.now, n.healthTimeoutMs);
  const poll = n.pollIntervalMs * (0.9 + n.random * 0.2);
  if (n.health !== 'Progressing') return poll;
  if (!n.watched) return Math.min(UNWATCHED_PROGRESSING_MS, poll);
  const waited = n.progressingSince === undefined ? 0 : Math.max(0, n.now - n.progressingSince);
  return Math.min(poll, PROGRESSING_MAX_MS, Math.max(PROGRESSING_FIRST_MS, waited));
}

/** At most one owned-object wake-up reconcile of a settled app per this many ms. */
export const WAKE_SPACING_MS = 500;
/**
 * The spacing while the app is settling (an operation runs, or it is Progressing): the next change
 * of its objects is likely the one someone waits for (a Deployment becoming Available).
 */
export const WAKE_SETTLING_SPACING_MS = 100;
/** The events of one change (an apply, then its controller's echo) arrive within this. */
export const WAKE_COALESCE_MS = 50;

/**
 * How long after an owned (or awaited) object changed the app is reconciled. A roll-out emits a
 * burst of updates and the app's own applies echo back while it syncs, so wake-ups are spaced from
 * the end of the app's last reconcile (or while one runs). A settled app's are spaced by
 * WAKE_SPACING_MS: status churn of a Healthy app (a scaler, a controller's heartbeat) must not cost a
 * look each. A settling app's (`settling`: its last look ended with an operation running or
 * Progressing) by WAKE_SETTLING_SPACING_MS: its health changes with one of those events, and a
 * 500 ms spacing was most of a cold sync's lag between Available and Healthy. The first change
 * after a quiet spell is looked at within WAKE_COALESCE_MS.
 */
export function wakeDelayMs(w: {
  reconciling: boolean;
  lastEndedAt?: number;
  now: number;
  settling?: boolean;
}): number {
  const spacing = w.settling ? WAKE_SETTLING_SPACING_MS : WAKE_SPACING_MS;
  if (w.reconciling || w.lastEndedAt === undefined) return spacing;
  return Math.max(WAKE_COALESCE_MS, w.lastEndedAt + spacing - w.now);
}

/**
 * A running operation met a new commit. When that commit leaves every Git object the app's render
 * read as it was at the operation's revision (`rendersAs`: the earlier revision whose render read
 * the same objects), the manifests are the same, so the operation goes on at the new commit instead
 * of being cancelled and restarted: a README or another service's files must not restart a wait.
 * Otherwise the operation is returned as it is, and a new revision cancels it as before.
 */
export function rebaseOperation(
  op: OperationState | undefined,
  revision: string,
  rendersAs: string | undefined,
): OperationState | undefined {
  if (op?.phase !== 'Running' || op.revision === revision || rendersAs === undefined) return op;
  return op.revision === rendersAs ? { ...op, revision } : op;
}

/**
 * A quiet app's poll. Most polls of a settled fleet find the commit where the last look left it;
 * comparing every app again then costs CPU and finds nothing, because drift wakes the app through
 * its objects' watch and every other input (the Application, its Project, its cluster, a push or a
 * refresh) wakes it through a watch or a request. So a poll with nothing else behind it (the
 * queue's `periodic` look) that finds the same commit for an app left Synced and Healthy, with the
 * same Application, ends after the fetch. The full comparison still runs at least every
 * FULL_LOOK_MS (when the status' reconciledAt moves anyway): inputs no watch covers, such as a
 * Secret the render reads, are seen within that time.
 */
export interface QuietRecord {
  /** The Application's metadata fingerprint (generation, annotations, labels, finalizers). */
  fingerprint: string;
  /** The commit its last full look compared. */
  sha: string;
  /** When that look ended (epoch ms). */
  fullAt: number;
}

/** The longest a quiet app goes without a full comparison. */
export const FULL_LOOK_MS = 10 * 60_000;

export function appFingerprint(app: Application): string {
  const m = app.metadata;
  return JSON.stringify([
    m.generation,
    m.annotations ?? {},
    m.labels ?? {},
    m.finalizers ?? [],
    m.deletionTimestamp ?? '',
  ]);
}

/**
 * Whether the app's inputs are one Git source whose commit says all: no Helm repository or OCI
 * chart (a version range or tag moves without a commit), no plugin, no second source.
 */
export function quietEligible(app: Application): boolean {
  const s = app.spec.source;
  if (!s || (app.spec.sources?.length ?? 0) > 0) return false;
  if (s.chart || s.plugin || s.repoURL.startsWith('oci://')) return false;
  return true;
}

/** Whether a reconcile ended where a later poll may stop at the fetch (see QuietRecord). */
export function endedQuiet(e: {
  sync: string;
  health: string;
  operationPhase: string | undefined;
  conditions: number;
  retrying: boolean;
  waitingForWindow: boolean;
  watched: boolean;
}): boolean {
  return (
    e.sync === 'Synced' &&
    e.health === 'Healthy' &&
    e.operationPhase !== 'Running' &&
    e.conditions === 0 &&
    !e.retrying &&
    !e.waitingForWindow &&
    e.watched
  );
}

/** Whether this periodic look may stop after the fetch: same Application, same commit, recent full look. */
export function quietLook(
  r: QuietRecord | undefined,
  now: { fingerprint: string; sha: string; nowMs: number },
): boolean {
  if (!r) return false;
  const age = now.nowMs - r.fullAt;
  return r.fingerprint === now.fingerprint && r.sha === now.sha && age >= 0 && age < FULL_LOOK_MS;
}
