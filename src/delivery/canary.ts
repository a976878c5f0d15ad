/**
 * The canary / blue-green state machine, pure: from the Canary's spec and persisted status, the
 * target's pod-template hash, what the slots look like live and any manual request, it decides
 * the next status, the desired slots/traffic, and the notifications to send. One call moves at
 * most one step; the controller persists the status (conditionally, on resourceVersion) before it
 * notifies, so a restart resumes at the saved step and a promotion is recorded once.
 *
 * Two slots, Deployments `<name>-blue` and `<name>-green`: one serves the stable version, the
 * other receives the target's pod template when a new one appears. Promotion flips the stable
 * slot (no copy of the template, so nothing to redo after a crash) and scales the old one to 0.
 */
import type { AnalysisRef, Canary, CanaryStatus, CanaryStep } from '../api/delivery.js';
import type { NotificationTrigger } from '../api/notification.js';
import { failureMessage } from './analysis.js';
import { parseDuration } from './duration.js';

export type Slot = 'blue' | 'green';
export const other = (s: Slot): Slot => (s === 'blue' ? 'green' : 'blue');

export interface SlotObservation {
  /** The pod-template hash the slot's Deployment carries (annotation); undefined = no Deployment. */
  hash?: string;
  replicas: number;
  ready: number;
  /** The Deployment controller has seen the latest spec. */
  current: boolean;
}

export interface DecideInput {
  spec: Canary['spec'];
  status: CanaryStatus | undefined;
  generation: number | undefined;
  targetHash: string;
  slots: Record<Slot, SlotObservation>;
  /** Value of the promote annotation / abort annotation, when present. */
  promote?: string;
  abort?: string;
  now: Date;
}

export interface Plan {
  stable: Slot;
  /** Slots whose Deployment gets the target's pod template now. */
  writeTemplate: Slot[];
  replicas: Record<Slot, number>;
  /** Share of traffic to the canary slot (canary strategy). */
  weight: number;
  /** Slot the active Service selects (blue/green) and the preview Service (the other one). */
  active: Slot;
}

export interface Decision {
  status: CanaryStatus;
  plan: Plan;
  /** The analysis the current step needs (the controller starts it when status.analysis is absent). */
  analysis?: AnalysisRef;
  notify: { trigger: NotificationTrigger; message: string }[];
  /** Ask again within this many ms (a pause ending, a slot getting ready). */
  requeueMs?: number;
}

/** Steps of either strategy: blue/green is "full preview, analysis, optional manual gate". */
export function stepsOf(spec: Canary['spec']): CanaryStep[] {
  if (spec.strategy.canary) return spec.strategy.canary.steps;
  const bg = spec.strategy.blueGreen ?? {};
  return [
    { setWeight: 100 },
    ...(bg.prePromotionAnalysis ? [{ analysis: bg.prePromotionAnalysis }] : []),
    ...(bg.autoPromotionEnabled === false ? [{ pause: {} }] : []),
  ];
}

/** Replicas of the canary slot at a weight (replica-ratio traffic): at least one once weight > 0. */
export function canaryReplicas(total: number, weight: number): number {
  if (weight <= 0) return 0;
  return Math.min(total, Math.max(1, Math.ceil((total * weight) / 100)));
}

const SETTLED = new Set(['Initialized', 'Succeeded', 'Failed', 'Aborted']);

export function decide(input: DecideInput): Decision {
  const { spec, now } = input;
  const total = spec.replicas ?? 1;
  const blueGreen = !spec.strategy.canary;
  const steps = stepsOf(spec);
  const notify: Decision['notify'] = [];
  let s: CanaryStatus = input.status
    ? { ...input.status }
    : { phase: 'Initializing', currentStep: 0, canaryWeight: 0, health: 'Progressing' };
  if (input.generation !== undefined) s.observedGeneration = input.generation;
  const plan = (over: Partial<Plan> = {}): Plan => {
    const stable = s.stableSlot ?? 'blue';
    const canary = other(stable);
    const inFlight = !SETTLED.has(s.phase);
    const weight = inFlight ? s.canaryWeight : 0;
    const replicas = { [stable]: total, [canary]: inFlight ? canaryReplicas(total, weight) : 0 } as Record<
      Slot,
      number
    >;
    return {
      stable,
      writeTemplate: inFlight ? [canary] : [],
      replicas,
      weight: blueGreen ? 0 : weight,
      active: stable,
      ...over,
    };
  };

  // First sight: the target's template becomes the stable version at once (nothing to compare with).
  if (!s.stableSlot) {
    const obs = input.slots.blue;
    const p: Plan = {
      stable: 'blue',
      writeTemplate: ['blue'],
      replicas: { blue: total, green: 0 },
      weight: 0,
      active: 'blue',
    };
    if (obs.hash === input.targetHash && obs.current && obs.ready >= total) {
      s = {
        ...s,
        stableSlot: 'blue',
        stableHash: input.targetHash,
        phase: 'Initialized',
        health: 'Healthy',
        message: 'stable version running',
      };
      return { status: s, plan: p, notify };
    }
    s = {
      ...s,
      phase: 'Initializing',
      health: 'Progressing',
      message: `starting the stable version ${input.targetHash}`,
    };
    return { status: s, plan: p, notify, requeueMs: 1000 };
  }

  // A manual abort: back to stable, whatever step.
  const newAbort = input.abort !== undefined && input.abort !== s.abortHandled;
  if (newAbort && SETTLED.has(s.phase)) s.abortHandled = input.abort;
  else if (newAbort) {
    s = {
      ...s,
      phase: 'Aborted',
      health: 'Degraded',
      canaryWeight: 0,
      abortHandled: input.abort,
      message: `aborted by request; stable ${s.stableHash ?? ''} serves all traffic`,
      ...(s.analysis ? { lastAnalysis: s.analysis } : {}),
    };
    delete s.analysis;
    notify.push({ trigger: 'RolledBack', message: s.message ?? '' });
    return { status: s, plan: plan(), notify };
  }
  const newPromote = input.promote !== undefined && input.promote !== s.promoteRequested;

  // A new target template (or a retry of a failed one on promote) starts at step 0.
  const settledOnTarget =
    input.targetHash === s.stableHash ||
    ((s.phase === 'Failed' || s.phase === 'Aborted') && input.targetHash === s.canaryHash && !newPromote);
  if (SETTLED.has(s.phase) && settledOnTarget) {
    if (newPromote) s.promoteRequested = input.promote;
    if (input.targetHash === s.stableHash && (s.phase === 'Failed' || s.phase === 'Aborted')) {
      // Git went back to the stable version: nothing failed any more.
      s = { ...s, phase: 'Succeeded', health: 'Healthy', message: 'target is the stable version' };
      delete s.canaryHash;
    }
    return { status: s, plan: plan(), notify };
  }
  if (s.canaryHash !== input.targetHash || SETTLED.has(s.phase)) {
    s = {
      ...s,
      phase: 'Progressing',
      health: 'Progressing',
      canaryHash: input.targetHash,
      currentStep: 0,
      canaryWeight: 0,
      stepStartedAt: now.toISOString(),
      message: `rolling out ${input.targetHash}`,
    };
    if (newPromote) s.promoteRequested = input.promote;
    delete s.analysis;
    return { status: s, plan: plan(), notify, requeueMs: 0 };
  }

  const canary = other(s.stableSlot);
  const advance = (): Decision => {
    s = {
      ...s,
      currentStep: s.currentStep + 1,
      stepStartedAt: now.toISOString(),
      phase: 'Progressing',
      health: 'Progressing',
    };
    delete s.analysis;
    return { status: s, plan: plan(), notify, requeueMs: 0 };
  };
  const canaryReady = (want: number): boolean => {
    const o = input.slots[canary];
    return o.hash === s.canaryHash && o.current && o.replicas === want && o.ready >= want;
  };

  if (s.phase === 'Promoting' || s.currentStep >= steps.length) {
    s = { ...s, phase: 'Promoting', canaryWeight: 100, message: `promoting ${s.canaryHash ?? ''}` };
    if (!canaryReady(total)) return { status: s, plan: plan(), notify, requeueMs: 1000 };
    // The canary slot carries the whole version: it becomes stable, the old slot goes to 0.
    const promoted = s.canaryHash as string;
    s = {
      ...s,
      phase: 'Succeeded',
      health: 'Healthy',
      stableSlot: canary,
      stableHash: promoted,
      canaryWeight: 0,
      currentStep: steps.length,
      promotions: [...(s.promotions ?? []), promoted].slice(-10),
      message: `${promoted} promoted`,
    };
    delete s.canaryHash;
    notify.push({ trigger: 'CanaryPromoted', message: `${promoted} promoted to stable` });
    return { status: s, plan: plan(), notify };
  }

  const step = steps[s.currentStep] as CanaryStep;
  if (newPromote) {
    // A manual promote ends the current pause or analysis (Argo Rollouts' promote).
    s.promoteRequested = input.promote;
    if (s.analysis) s.lastAnalysis = { ...s.analysis, phase: 'Successful', message: 'skipped by promote' };
    return advance();
  }
  if (step.setWeight !== undefined) {
    s.canaryWeight = Math.max(0, Math.min(100, step.setWeight));
    s.message = `weight ${s.canaryWeight}%: waiting for the canary to be ready`;
    if (!canaryReady(canaryReplicas(total, s.canaryWeight)))
      return { status: s, plan: plan(), notify, requeueMs: 1000 };
    return advance();
  }
  if (step.pause) {
    if (step.pause.duration === undefined) {
      s = {
        ...s,
        phase: 'Paused',
        health: 'Suspended',
        message: `paused at step ${s.currentStep}: waiting for promote`,
      };
      return { status: s, plan: plan(), notify };
    }
    const left =
      Date.parse(s.stepStartedAt ?? now.toISOString()) +
      parseDuration(step.pause.duration, `steps[${s.currentStep}].pause.duration`) -
      now.getTime();
    if (left > 0) {
      s = {
        ...s,
        phase: 'Paused',
        health: 'Progressing',
        message: `paused at step ${s.currentStep} for ${Math.ceil(left / 1000)}s`,
      };
      return { status: s, plan: plan(), notify, requeueMs: left };
    }
    return advance();
  }
  if (step.analysis) {
    const run = s.analysis;
    if (!run || run.phase === 'Running') {
      s = { ...s, phase: 'Progressing', health: 'Progressing', message: `analysis at step ${s.currentStep}` };
      return { status: s, plan: plan(), notify, analysis: step.analysis };
    }
    if (run.phase === 'Successful') {
      s.lastAnalysis = run;
      return advance();
    }
    if (run.phase === 'Inconclusive') {
      s = {
        ...s,
        phase: 'Paused',
        health: 'Suspended',
        message: `analysis inconclusive: promote or abort. ${failureMessage(run) ?? ''}`,
      };
      return { status: s, plan: plan(), notify };
    }
    // Failed or Error: the stable version keeps (or gets back) all traffic.
    const why = failureMessage(run) ?? `analysis ${run.phase}`;
    s = {
      ...s,
      phase: 'Failed',
      health: 'Degraded',
      canaryWeight: 0,
      lastAnalysis: run,
      message: `rolled back: ${why}`,
    };
    delete s.analysis;
    notify.push({ trigger: 'AnalysisFailed', message: why });
    notify.push({
      trigger: 'RolledBack',
      message: `${s.canaryHash ?? ''} rolled back; stable ${s.stableHash ?? ''} serves all traffic`,
    });
    return { status: s, plan: plan(), notify };
  }
  return advance();
}
