/**
 * What a fleet roll-out gate reports once its analysis run finishes: a Warning Event and an
 * `AnalysisFailed` notification on the ApplicationSet when it did not pass (RolloutHalted says what
 * the roll-out did about it), and an `analysis` entry in the audit trail either way. The
 * ApplicationSet controller calls it after the status write that recorded the finished gate, so a
 * run is reported once, not on every reconcile that still carries it.
 */
import type { ApplicationSet } from '../../api/applicationset.js';
import type { AuditSink } from '../../governance/audit/index.js';
import type { RolloutGate, RolloutState } from '../../fleet/rollout.js';
import type { KubeClient } from '../../kube/client.js';
import type { Notifier } from '../notify/notifier.js';
import { analysisAuditRecord } from './audit.js';

/** The gate `next` finished that `prev` had not: same step and revision, Running or absent before. */
export function finishedGate(
  prev: RolloutState | undefined,
  next: RolloutState | undefined,
): RolloutGate | undefined {
  const g = next?.gate;
  if (!g || g.phase === 'Running' || g.metrics.length === 0) return undefined;
  const before = prev?.gate;
  const same = before && before.step === g.step && before.revision === g.revision;
  if (same && before.phase !== 'Running') return undefined;
  return g;
}

export interface GateReportDeps {
  client: Pick<KubeClient, 'recordEvent'>;
  notifier?: Pick<Notifier, 'notify'>;
  audit?: AuditSink;
  warn: (msg: string) => void;
}

export async function reportGate(
  deps: GateReportDeps,
  set: ApplicationSet,
  gate: RolloutGate,
  now = new Date(),
): Promise<void> {
  const ns = set.metadata.namespace ?? '';
  const name = set.metadata.name;
  const subject = `ApplicationSet ${ns}/${name} step ${gate.step + 1} gate`;
  const steps = set.spec.strategy?.rollingSync?.steps ?? [];
  const ref = (steps[gate.step] as { analysis?: { templates?: { templateName: string }[] } } | undefined)
    ?.analysis;
  if (gate.phase !== 'Successful') {
    const message = `${subject}: analysis ${gate.phase} on ${gate.revision.slice(0, 12)}${gate.message ? `: ${gate.message}` : ''}`;
    await deps.client.recordEvent(set, 'Warning', 'AnalysisFailed', message);
    deps.notifier?.notify({
      trigger: 'AnalysisFailed',
      kind: 'ApplicationSet',
      namespace: ns,
      app: name,
      labels: set.metadata.labels ?? {},
      message,
      revision: gate.revision,
    });
  }
  if (!deps.audit) return;
  await deps.audit
    .record(
      analysisAuditRecord({
        subject,
        appNamespace: ns,
        app: name,
        project: set.spec.template.spec.project ?? '',
        repoURL: set.spec.template.spec.source?.repoURL ?? '',
        // The gate measured every Application of the step: their clusters are in the metric names.
        cluster: '',
        namespace: ns,
        revision: gate.revision,
        templates: (ref?.templates ?? []).map((t) => t.templateName),
        run: gate,
        now,
      }),
    )
    .catch((e: unknown) => deps.warn(`audit record of ${subject} failed: ${String(e)}`));
}
