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
