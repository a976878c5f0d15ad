import type { AnalysisRef, AnalysisRunStatus } from '../api/delivery.js';
import { matchesSelector } from './generators/selector.js';
import type { LabelSelector, LabelSelectorRequirement } from './types.js';
import { compareStrings } from '../core/compare-strings.js';

/**
 * One step of a progressive roll-out: the Applications it covers and how it may proceed. Argo
 * CD's shape selects by the generated Applications' labels (`matchExpressions`); gitfleet's by the
 * destination cluster's labels (`clusterSelector`); a step with both needs both to match.
 */
export interface RolloutStep {
  /** Argo CD's RollingSync selector, on the generated Application's labels. */
  matchExpressions?: LabelSelectorRequirement[];
  clusterSelector?: LabelSelector;
  /**
   * Applications of this step updated at once: an integer or a percentage of the step's
   * Applications (`"25%"`, rounded down but at least 1 when above 0%, as Argo CD). `0` holds the
   * step. Default: all of them.
   */
  maxUpdate?: number | string;
  /** Seconds the step must stay Synced and Healthy before the next starts. */
  soakSeconds?: number;
  /** The step waits for `gitfleet rollout approve` before it starts. */
  approval?: boolean;
  /**
   * A metric gate: once the step's Applications are Synced and Healthy (and soaked), this analysis
   * must pass on them before the next step starts. Failing halts the roll-out; with
   * `onFailure: rollback` the step's Applications also go back to the stable revision.
   */
  analysis?: AnalysisRef & { onFailure?: 'halt' | 'rollback' };
}

/** The analysis gate of a step, as run by the controller and kept in the roll-out state. */
export type RolloutGate = AnalysisRunStatus & { step: number; revision: string };

export type RolloutPhase = 'Progressing' | 'WaitingApproval' | 'Paused' | 'Halted' | 'Completed';

/** Roll-out progress, kept in the ApplicationSet's status. */
export interface RolloutState {
  /** The commit being rolled out. */
  revision: string;
  /** The commit every not-yet-updated Application stays on. */
  stableRevision: string;
  phase: RolloutPhase;
  /** Index of the current step; steps.length once every step is done. */
  step: number;
  message: string;
  /** When the current step first became Synced and Healthy (for soak time). */
  stepHealthySince?: string;
  /** The analysis gate of the current (or last gated) step. */
  gate?: RolloutGate;
  /** A failed gate with `onFailure: rollback` returned the current step to the stable revision. */
  rolledBack?: boolean;
}

/** What the planner needs to know about one generated Application. */
export interface RolloutApp {
  name: string;
  /** The generated Application's labels (Argo CD's steps select on these). */
  labels?: Record<string, string>;
  clusterLabels: Record<string, string>;
  /** The revision it is pinned to now (undefined: new Application). */
  pinned?: string;
  /** Observed: synced revision, sync status, health, and the worst resource when Degraded. */
  syncedRevision?: string;
  synced: boolean;
  health?: string;
  degradedResource?: string;
  cluster: string;
}

export interface RolloutDecision {
  state: RolloutState;
  /** Revision each Application must be pinned to. */
  pins: Map<string, string>;
  /** The step each Application belongs to (shown by the hub and the CLI). */
  stepOfApp: Map<string, number>;
  /** Milliseconds until the planner wants to look again (soak, progress); undefined when idle. */
  recheckMs?: number;
  /** The current step's gate must be measured (the controller runs it and plans again). */
  gateWanted?: { step: number; apps: RolloutApp[] };
}

/**
 * The step an Application belongs to: the first whose selectors all match (`matchExpressions` on
 * its labels, `clusterSelector` on its cluster's); else the last.
 */
export function stepOf(app: RolloutApp, steps: RolloutStep[]): number {
  const i = steps.findIndex(
    (s) =>
      (s.matchExpressions === undefined ||
        matchesSelector(app.labels ?? {}, { matchExpressions: s.matchExpressions })) &&
      (s.clusterSelector === undefined || matchesSelector(app.clusterLabels, s.clusterSelector)),
  );
  return i < 0 ? Math.max(0, steps.length - 1) : i;
}

/**
 * How many of a step's `count` Applications may update at once. Argo CD's rule: a percentage is
 * rounded down but never below 1 unless it is 0%; an integer is taken as is; absent is all.
 * Throws for anything else (the ApplicationSet check reports it first, naming the field).
 */
export function resolveMaxUpdate(maxUpdate: number | string | undefined, count: number): number {
  if (maxUpdate === undefined) return count;
  if (typeof maxUpdate === 'number') {
    if (!Number.isInteger(maxUpdate) || maxUpdate < 0) throw new Error(`invalid maxUpdate ${maxUpdate}`);
    return maxUpdate;
  }
  const pct = /^(\d+)%$/.exec(maxUpdate);
  if (pct) {
    const p = Number(pct[1]);
    if (p > 100) throw new Error(`invalid maxUpdate ${JSON.stringify(maxUpdate)}`);
    const n = Math.floor((count * p) / 100);
    return p > 0 && n < 1 ? 1 : n;
  }
  if (/^\d+$/.test(maxUpdate)) return Number(maxUpdate);
  throw new Error(`invalid maxUpdate ${JSON.stringify(maxUpdate)}`);
}

/**
 * Decides, purely, which revision every Application is pinned to and how the roll-out advances.
 * A new `latest` revision starts a roll-out from step 0; a step advances when all its
 * Applications are Synced and Healthy on the new revision (after soak, and approval when
 * required); a Degraded Application halts the roll-out and later steps keep the stable revision.
 */
export function planRollout(input: {
  steps: RolloutStep[];
  apps: RolloutApp[];
  latest: string;
  previous: RolloutState | undefined;
  paused: boolean;
  /** Highest step index approved with `gitfleet rollout approve`. */
  approvedStep: number;
  now: number;
}): RolloutDecision {
  const { steps, apps, latest, now } = input;
  let state: RolloutState;
  if (!input.previous) {
    // The first revision an ApplicationSet sees has nothing to protect: everything gets it.
    state = {
      revision: latest,
      stableRevision: latest,
      phase: 'Completed',
      step: steps.length,
      message: 'initial revision',
    };
  } else if (input.previous.revision !== latest) {
    const stable =
      input.previous.phase === 'Completed' ? input.previous.revision : input.previous.stableRevision;
    state = {
      revision: latest,
      stableRevision: stable,
      phase: 'Progressing',
      step: 0,
      message: `rolling out ${latest.slice(0, 12)}`,
    };
  } else {
    state = { ...input.previous };
  }

  const pins = new Map<string, string>();
  const byStep = new Map<number, RolloutApp[]>();
  const stepOfApp = new Map<string, number>();
  for (const a of apps) {
    const s = stepOf(a, steps);
    stepOfApp.set(a.name, s);
    byStep.set(s, [...(byStep.get(s) ?? []), a]);
  }
  const onNew = (a: RolloutApp): boolean => a.pinned === state.revision;
  const done = (a: RolloutApp): boolean =>
    onNew(a) && a.synced && a.syncedRevision === state.revision && a.health === 'Healthy';

  // Halt on any Degraded Application already moved to the new revision.
  if (state.phase !== 'Completed') {
    const bad = apps.find((a) => onNew(a) && a.syncedRevision === state.revision && a.health === 'Degraded');
    if (bad) {
      state = {
        ...state,
        phase: 'Halted',
        message: `halted: ${bad.name} on cluster ${bad.cluster} is Degraded${bad.degradedResource ? ` (${bad.degradedResource})` : ''}`,
      };
    }
  }
  if (input.paused && (state.phase === 'Progressing' || state.phase === 'WaitingApproval'))
    state = { ...state, phase: 'Paused', message: 'paused' };
  if (!input.paused && state.phase === 'Paused')
    state = { ...state, phase: 'Progressing', message: 'resumed' };

  let recheckMs: number | undefined;
  let gateWanted: RolloutDecision['gateWanted'];
  if (state.phase === 'Progressing' || state.phase === 'WaitingApproval') {
    // Advance through steps that are complete.
    for (;;) {
      if (state.step >= steps.length) {
        state = {
          ...state,
          phase: 'Completed',
          stableRevision: state.revision,
          message: `rolled out ${state.revision.slice(0, 12)}`,
        };
        break;
      }
      const step = steps[state.step] ?? {};
      if (step.approval && input.approvedStep < state.step) {
        state = {
          ...state,
          phase: 'WaitingApproval',
          message: `step ${state.step + 1} waits for approval (gitfleet rollout approve)`,
        };
        break;
      }
      if (state.phase === 'WaitingApproval') state = { ...state, phase: 'Progressing' };
      const members = byStep.get(state.step) ?? [];
      if (members.every(done)) {
        const since = state.stepHealthySince ? Date.parse(state.stepHealthySince) : now;
        const soakMs = (step.soakSeconds ?? 0) * 1000;
        if (now - since < soakMs) {
          state = {
            ...state,
            stepHealthySince: new Date(since).toISOString(),
            message: `step ${state.step + 1} soaking`,
          };
          recheckMs = soakMs - (now - since);
          break;
        }
        const gateSpec = step.analysis;
        if (gateSpec) {
          const g =
            state.gate?.step === state.step && state.gate.revision === state.revision
              ? state.gate
              : undefined;
          if (!g || g.phase === 'Running') {
            gateWanted = { step: state.step, apps: members };
            state = { ...state, message: `step ${state.step + 1} analysis gate running` };
            recheckMs = 1000;
            break;
          }
          if (g.phase !== 'Successful') {
            const rollback = gateSpec.onFailure === 'rollback';
            state = {
              ...state,
              phase: 'Halted',
              ...(rollback ? { rolledBack: true } : {}),
              message: `halted: analysis gate of step ${state.step + 1} ${g.phase}${g.message ? `: ${g.message}` : ''}${rollback ? `; step ${state.step + 1} rolled back to ${state.stableRevision.slice(0, 12)}` : ''}`,
            };
            break;
          }
        }
        const { stepHealthySince: _finished, ...rest } = state;
        state = { ...rest, step: state.step + 1 };
        continue;
      }
      state = { ...state, message: `step ${state.step + 1} of ${steps.length} in progress` };
      recheckMs = 2000;
      break;
    }
  }

  for (const [s, members] of byStep) {
    if (state.phase === 'Completed' || s < state.step) {
      for (const a of members) pins.set(a.name, state.revision);
      continue;
    }
    if (s === state.step && state.phase === 'Halted' && state.rolledBack) {
      // The gate failed with onFailure: rollback: the step's Applications return to stable.
      for (const a of members) pins.set(a.name, state.stableRevision);
      continue;
    }
    if (s > state.step || state.phase === 'WaitingApproval') {
      for (const a of members)
        pins.set(a.name, a.pinned === state.revision ? state.revision : state.stableRevision);
      continue;
    }
    // The current step: moved Applications stay moved; while not halted or paused, move up to
    // maxUpdate at a time, the next ones only when the moved ones are done.
    const max = resolveMaxUpdate(steps[s]?.maxUpdate, members.length);
    const moving = members.filter((a) => onNew(a) && !done(a)).length;
    let budget = state.phase === 'Progressing' ? Math.max(0, max - moving) : 0;
    for (const a of [...members].sort((x, y) => compareStrings(x.name, y.name))) {
      if (onNew(a)) pins.set(a.name, state.revision);
      else if (budget > 0) {
        pins.set(a.name, state.revision);
        budget--;
      } else pins.set(a.name, state.stableRevision);
    }
  }
  return {
    state,
    pins,
    stepOfApp,
    ...(recheckMs !== undefined ? { recheckMs } : {}),
    ...(gateWanted ? { gateWanted } : {}),
  };
}

/** An Application the ApplicationSet is removing, as the reverse-order deletion needs it. */
export interface DeletionCandidate {
  name: string;
  labels?: Record<string, string>;
  clusterLabels: Record<string, string>;
  /** Its deletion already started (deletionTimestamp set): it counts as present until gone. */
  deleting: boolean;
}

/**
 * Argo CD's RollingSync `deletionOrder: Reverse`: Applications are removed step by step, the last
 * step first, and a step starts only once every Application of the later steps is gone (not
 * merely being deleted). Returns the Applications to delete now and the step being removed
 * (undefined when nothing is left). Pure.
 */
export function reverseDeletionBatch(
  apps: readonly DeletionCandidate[],
  steps: RolloutStep[],
): { step?: number; remove: string[]; waitingFor: string[] } {
  if (!apps.length) return { remove: [], waitingFor: [] };
  const withStep = apps.map((a) => ({ a, step: stepOf({ ...a, synced: false, cluster: '' }, steps) }));
  const step = Math.max(...withStep.map((x) => x.step));
  const current = withStep.filter((x) => x.step === step).map((x) => x.a);
  return {
    step,
    remove: current.filter((a) => !a.deleting).map((a) => a.name),
    waitingFor: current.filter((a) => a.deleting).map((a) => a.name),
  };
}
