/**
 * The analysis gate of an ApplicationSet roll-out step: the step's AnalysisTemplates (read from
 * the ApplicationSet's namespace on the hub) run once per Application the step just updated, with
 * that Application's `app`, `cluster` and `revision` as arguments (e.g. `{{args.cluster}}` in a
 * PromQL label). The run is kept in the roll-out state, so a restart continues it.
 */
import { API_VERSION } from '../../api/application.js';
import type { ApplicationSet } from '../../api/applicationset.js';
import type { AnalysisTemplate } from '../../api/delivery.js';
import { failureMessage, type BoundMetric } from '../../delivery/analysis.js';
import { advanceRun, bindRef } from '../../delivery/run.js';
import type { RolloutApp, RolloutGate, RolloutState, RolloutStep } from '../../fleet/rollout.js';
import type { KubeClient } from '../../kube/client.js';
import { compareStrings } from '../../core/compare-strings.js';

export async function runRolloutGate(
  client: KubeClient,
  set: ApplicationSet,
  state: RolloutState,
  wanted: { step: number; apps: RolloutApp[] },
): Promise<RolloutGate> {
  const ns = set.metadata.namespace ?? '';
  const steps = (set.spec.strategy?.rollingSync?.steps ?? []) as RolloutStep[];
  const ref = steps[wanted.step]?.analysis;
  const now = new Date();
  const prev =
    state.gate?.step === wanted.step && state.gate.revision === state.revision ? state.gate : undefined;
  const base = { step: wanted.step, revision: state.revision };
  if (!ref) return { ...base, phase: 'Successful', startedAt: now.toISOString(), metrics: [] };
  try {
    const bound: BoundMetric[] = [];
    for (const a of [...wanted.apps].sort((x, y) => compareStrings(x.name, y.name))) {
      const metrics = await bindRef(
        ref,
        [],
        { app: a.name, cluster: a.cluster, revision: state.revision },
        (t) =>
          client.getOrUndefined<AnalysisTemplate>({
            apiVersion: API_VERSION,
            kind: 'AnalysisTemplate',
            namespace: ns,
            name: t,
          }),
      );
      for (const m of metrics) bound.push({ ...m, key: `${a.name}:${m.key}` });
    }
    const { step: _s, revision: _r, ...run } = prev ?? { step: 0, revision: '' };
    const { run: next } = await advanceRun(prev ? (run as RolloutGate) : undefined, bound, () => ({
      namespace: ns,
      jobName: `${set.metadata.name}-gate`,
    }));
    const message = failureMessage(next);
    return { ...next, ...base, ...(message ? { message } : {}) };
  } catch (err) {
    // A missing template or argument: the gate cannot pass, and says why.
    return {
      ...base,
      phase: 'Error',
      startedAt: now.toISOString(),
      message: `ApplicationSet ${ns}/${set.metadata.name}: steps[${wanted.step}].analysis: ${err instanceof Error ? err.message : String(err)}`,
      metrics: [],
    };
  }
}
