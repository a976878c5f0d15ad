import type { Project, SyncWindow } from '../api/project.js';
import { GitfleetError } from '../core/errors.js';
import { checkTimeZone, nextCronMatch, parseCron, type CronSchedule } from './cron.js';
import { parseWindowDuration } from './duration.js';
import { anyWildcard } from './glob.js';
import { serverGlobMatches } from './project.js';

/** What a window is matched against. */
export interface WindowTarget {
  application: string;
  cluster: string;
  /** The destination cluster's API URL, when known: `clusters` globs match it too (as Argo CD). */
  server?: string;
  namespace: string;
}

/** One window at one instant. */
export interface WindowState {
  index: number;
  window: SyncWindow;
  active: boolean;
  /** When an active window closes or an inactive one next opens; undefined if not within a year. */
  nextChange?: Date;
}

/** The verdict for one sync attempt. */
export interface SyncGate {
  allowed: boolean;
  /** Why the sync may not run, naming the window(s) and when that changes. */
  reason?: string;
  /** When to look again: the earliest instant the verdict can change. */
  retryAt?: Date;
}

const YEAR = 366 * 24 * 3_600_000;

interface ParsedWindow {
  schedule: CronSchedule;
  durationMs: number;
  timeZone: string;
}

/** Validates one window; errors name the project and field (`spec.syncWindows[2].schedule`). */
function parseWindow(project: string, index: number, w: SyncWindow): ParsedWindow {
  const field = (f: string): string => `Project ${project}: spec.syncWindows[${index}].${f}`;
  const wrap = <T>(f: string, fn: () => T): T => {
    try {
      return fn();
    } catch (e) {
      throw new GitfleetError(
        'project.InvalidSpec',
        `${field(f)}: ${e instanceof Error ? e.message : String(e)}`,
      );
    }
  };
  if (w.kind !== 'allow' && w.kind !== 'deny')
    throw new GitfleetError(
      'project.InvalidSpec',
      `${field('kind')}: must be allow or deny, not "${String(w.kind)}"`,
    );
  const timeZone = w.timeZone ?? 'UTC';
  return {
    schedule: wrap('schedule', () => parseCron(w.schedule)),
    durationMs: wrap('duration', () => parseWindowDuration(w.duration)),
    timeZone: wrap('timeZone', () => {
      checkTimeZone(timeZone);
      return timeZone;
    }),
  };
}

/**
 * Whether a window is open at `now`, and when that changes. A window is open during
 * [start, start + duration) for every instant `start` its schedule fires; overlapping
 * occurrences (a duration longer than the gap between starts) join into one open period.
 */
function stateAt(p: ParsedWindow, now: Date): { active: boolean; nextChange?: Date } {
  const nowMs = now.getTime();
  const first = nextCronMatch(
    p.schedule,
    new Date(nowMs - p.durationMs + 1),
    p.timeZone,
    new Date(nowMs + 1),
  );
  if (!first) {
    const opens = nextCronMatch(p.schedule, now, p.timeZone, new Date(nowMs + YEAR));
    return opens ? { active: false, nextChange: opens } : { active: false };
  }
  let start = first.getTime();
  let end = start + p.durationMs;
  // Later starts up to the current end (a start right at the end continues without a gap)
  // extend the open period. Bounded: a window open for more than a year, or made of thousands of
  // back-to-back occurrences, is reported as open with no known end.
  for (let i = 0; i < 5000; i++) {
    if (end > nowMs + YEAR) return { active: true };
    const next = nextCronMatch(p.schedule, new Date(start + 60_000), p.timeZone, new Date(end + 1));
    if (!next) return { active: true, nextChange: new Date(end) };
    start = next.getTime();
    end = Math.max(end, start + p.durationMs);
  }
  return { active: true };
}

/**
 * Whether a window applies to a target: any of its application, cluster or namespace globs
 * matches — or, with Argo CD's `andOperator`, every list it sets matches (a window that sets none
 * matches nothing, as in Argo CD).
 */
export function windowMatches(w: SyncWindow, t: WindowTarget): boolean {
  const checks: boolean[] = [];
  if (w.applications?.length) checks.push(anyWildcard(w.applications, t.application));
  if (w.clusters?.length)
    checks.push(anyWildcard(w.clusters, t.cluster) || w.clusters.some((c) => serverGlobMatches(c, t.server)));
  if (w.namespaces?.length) checks.push(anyWildcard(w.namespaces, t.namespace));
  return w.andOperator ? checks.length > 0 && checks.every(Boolean) : checks.some(Boolean);
}

/** Every window of the project (only those matching `target`, when given) at `now`. */
export function windowStates(project: Project, now: Date, target?: WindowTarget): WindowState[] {
  const out: WindowState[] = [];
  for (const [index, window] of (project.spec.syncWindows ?? []).entries()) {
    const parsed = parseWindow(project.metadata.name, index, window);
    if (target && !windowMatches(window, target)) continue;
    out.push({ index, window, ...stateAt(parsed, now) });
  }
  return out;
}

/** `deny window #1 "0 9 * * 1-5" for 8h (Europe/Berlin)`: how status and the CLI name a window. */
export function describeWindow(s: Pick<WindowState, 'index' | 'window'>): string {
  const w = s.window;
  return `${w.kind} window #${s.index} "${w.schedule}" for ${w.duration} (${w.timeZone ?? 'UTC'})`;
}

/**
 * Decides whether a sync may run now, with Argo CD's rules: no matching window → allowed; an
 * active matching deny window → denied (deny beats allow); matching allow windows but none
 * active → denied. A manual sync passes a blocking deny only if every active deny window has
 * `manualSync` (one team's override must not lift another's freeze), and passes outside allow
 * windows if any matching allow window has `manualSync`.
 */
export function syncGate(project: Project, target: WindowTarget, now: Date, manual: boolean): SyncGate {
  const states = windowStates(project, now, target);
  const denies = states.filter((s) => s.window.kind === 'deny' && s.active);
  if (denies.length) {
    if (manual && denies.every((s) => s.window.manualSync)) return { allowed: true };
    const closes = denies.map((s) => s.nextChange?.getTime() ?? Infinity);
    const retry = Math.max(...closes);
    return {
      allowed: false,
      reason: `${denies
        .map(
          (s) =>
            `${describeWindow(s)} is active ${s.nextChange ? `until ${s.nextChange.toISOString()}` : 'and does not close within a year'}`,
        )
        .join('; ')}${manual ? ' and does not allow manual sync' : ''}`,
      ...(Number.isFinite(retry) ? { retryAt: new Date(retry) } : {}),
    };
  }
  const allows = states.filter((s) => s.window.kind === 'allow');
  if (!allows.length || allows.some((s) => s.active)) return { allowed: true };
  if (manual && allows.some((s) => s.window.manualSync)) return { allowed: true };
  const opens = Math.min(...allows.map((s) => s.nextChange?.getTime() ?? Infinity));
  return {
    allowed: false,
    reason: `no allow window is active; the next (${allows
      .map(describeWindow)
      .join(', ')}) opens ${Number.isFinite(opens) ? new Date(opens).toISOString() : 'not within a year'}`,
    ...(Number.isFinite(opens) ? { retryAt: new Date(opens) } : {}),
  };
}

/**
 * Whether a sync that started at `startedAt` may go on at `now` (Argo CD's `syncOverrun`): when
 * the windows would not let it start now, it goes on only if it was allowed when it started and
 * every window now blocking it has `syncOverrun` — every active deny window, or, when it is outside
 * its allow windows, every one of them. Otherwise the verdict names the windows that end it.
 *
 * The Application controller checks windows when an operation starts; stopping a running sync
 * with this verdict at each step is the controller's to call (docs/governance.md).
 */
export function runningSyncGate(
  project: Project,
  target: WindowTarget,
  now: Date,
  manual: boolean,
  startedAt: Date,
): SyncGate {
  const gate = syncGate(project, target, now, manual);
  if (gate.allowed) return gate;
  const states = windowStates(project, now, target);
  const denies = states.filter((s) => s.window.kind === 'deny' && s.active);
  const blocking = denies.length ? denies : states.filter((s) => s.window.kind === 'allow');
  const overrun = blocking.every((s) => s.window.syncOverrun === true);
  if (overrun && syncGate(project, target, startedAt, manual).allowed) return { allowed: true };
  const without = blocking.filter((s) => !s.window.syncOverrun).map(describeWindow);
  return {
    ...gate,
    reason: `${gate.reason ?? 'sync window'}; the sync started ${startedAt.toISOString()} ${
      overrun ? 'while windows did not allow it' : `and ${without.join(', ')} has no syncOverrun`
    }`,
  };
}
