/**
 * The promotion state machine, pure: from what each stage holds in Git and whether its apps run
 * it, decide the next step of one pipeline. The controller persists the result before it acts.
 *
 * Transitions run stage by stage: the first stage whose revision differs from the previous one's
 * is the target. The source stage must be verified (apps Synced at a commit holding its revision,
 * Healthy), soaked for its `soak`, analysed when it names an analysis, and the target approved
 * when it asks for approval; then the revision is written into the target. A transition is over
 * when the target's field holds the revision (a merged pull request, or our commit).
 */
import {
  PROMOTE_APPROVE_PREFIX,
  PROMOTE_APPROVED_BY_PREFIX,
  type Pipeline,
  type PromotionPhase,
} from '../api/promotion.js';

export type AnalysisVerdict = 'Passed' | 'Failed' | 'Running';

export interface StageObservation {
  /** The value of the stage's field on the branch; undefined if the file or field is missing. */
  revision: string | undefined;
  verified: boolean;
  message: string;
}

export interface DecideInput {
  pipeline: Pipeline;
  observed: StageObservation[];
  now: number;
  soakMs: (stage: number) => number;
  /** The analysis verdict for (stage, revision), when the stage names one. */
  analysis?: (stage: number, revision: string) => AnalysisVerdict | undefined;
}

export type Status = NonNullable<Pipeline['status']>;

export interface Decision {
  stages: NonNullable<Status['stages']>;
  promotion?: Status['promotion'];
  /** Write `revision` into stage `to` now (the status with phase Promoting is persisted first). */
  promote?: { from: number; to: number; revision: string; by: string; verified: boolean };
  /** A transition that ended since the last pass (the target holds the revision). */
  completed?: { from: string; to: string; revision: string };
}

export function decide(inp: DecideInput): Decision {
  const { pipeline: p, observed, now } = inp;
  const prev = p.status;
  const stages = p.spec.stages.map((s, i) => {
    const o = observed[i] ?? { revision: undefined, verified: false, message: 'not observed' };
    const old = prev?.stages?.find((x) => x.name === s.name);
    const keep = old?.verified && old.revision === o.revision && o.verified && old.verifiedSince;
    return {
      name: s.name,
      ...(o.revision !== undefined ? { revision: o.revision } : {}),
      verified: o.verified,
      ...(o.verified
        ? { verifiedSince: keep ? (old.verifiedSince as string) : new Date(now).toISOString() }
        : {}),
      message: o.message,
    };
  });
  const out: Decision = { stages };
  const inflight = prev?.promotion;
  if (inflight) {
    const to = p.spec.stages.findIndex((s) => s.name === inflight.to);
    if (to >= 0 && observed[to]?.revision === inflight.revision)
      out.completed = { from: inflight.from, to: inflight.to, revision: inflight.revision };
  }
  for (let to = 1; to < p.spec.stages.length; to++) {
    const from = to - 1;
    const src = stages[from];
    const target = p.spec.stages[to];
    const revision = src?.revision;
    if (!src || !target || revision === undefined || stages[to]?.revision === revision) continue;
    const base = { from: src.name, to: target.name, revision, startedAt: now };
    const same =
      inflight && inflight.to === target.name && inflight.revision === revision ? inflight : undefined;
    const at = (phase: PromotionPhase, message: string): Decision => ({
      ...out,
      promotion: {
        ...base,
        startedAt: same?.startedAt ?? new Date(now).toISOString(),
        phase,
        message,
        ...(same?.pullRequest ? { pullRequest: same.pullRequest } : {}),
      },
    });
    // A pull request already opened for this revision: wait for it to be merged (or replaced).
    if (same?.phase === 'PullRequestOpen') return at('PullRequestOpen', same.message ?? 'pull request open');
    if (same?.phase === 'Failed') return at('Failed', same.message ?? 'failed');
    if (!src.verified) return at('Verifying', `${src.name}: ${src.message}`);
    const soak = inp.soakMs(from);
    const since = Date.parse(src.verifiedSince ?? '');
    if (soak > 0 && now - since < soak)
      return at(
        'Soaking',
        `${src.name} verified ${revision}; soaking until ${new Date(since + soak).toISOString()}`,
      );
    if (p.spec.stages[from]?.analysis) {
      const v = inp.analysis?.(from, revision);
      if (v === 'Failed')
        return at(
          'Failed',
          `analysis ${p.spec.stages[from]?.analysis ?? ''} failed for ${revision} in ${src.name}`,
        );
      if (v !== 'Passed')
        return at(
          'Analysing',
          `analysis ${p.spec.stages[from]?.analysis ?? ''} of ${revision} in ${src.name} running`,
        );
    }
    let by = 'automated';
    let verified = false;
    if (target.approval) {
      // An approval through the hub API (status, authenticated) wins over the annotation (a claim).
      const api = prev?.approvals?.find((a) => a.stage === target.name && a.revision === revision);
      const ann = p.metadata.annotations ?? {};
      if (api) {
        by = api.by;
        verified = true;
      } else if (ann[PROMOTE_APPROVE_PREFIX + target.name] === revision)
        by = `${ann[PROMOTE_APPROVED_BY_PREFIX + target.name] || 'unknown'} (unverified)`;
      else return at('WaitingApproval', `promotion of ${revision} into ${target.name} waits for approval`);
    }
    const d = at('Promoting', `promoting ${revision} from ${src.name} to ${target.name}`);
    return { ...d, promote: { from, to, revision, by, verified } };
  }
  return out;
}
