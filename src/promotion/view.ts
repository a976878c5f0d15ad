/**
 * The pipelines list as the API and UI show it: each stage with its Applications, the revision it
 * runs, whether it is verified, and where its approval stands. Pure: the caller lists the
 * Pipelines and Applications (and decides who may see them).
 */
import type { Application } from '../api/application.js';
import type { Pipeline, PipelineStageSummary, PipelineSummary } from '../api/promotion.js';
import { matchesSelector } from '../core/label-selector.js';

type Stage = Pipeline['spec']['stages'][number];

/** The Applications of one stage: by name and/or by label selector, in the pipeline's namespace. */
export function stageApplications(p: Pipeline, stage: Stage, apps: Application[]): Application[] {
  const ns = p.metadata.namespace ?? '';
  const names = new Set(stage.applications.names ?? []);
  const selector = stage.applications.selector;
  return apps.filter(
    (a) =>
      (a.metadata.namespace ?? '') === ns &&
      (names.has(a.metadata.name) ||
        (selector !== undefined && matchesSelector(a.metadata.labels ?? {}, selector))),
  );
}

export function pipelineSummary(p: Pipeline, apps: Application[]): PipelineSummary {
  const st = p.status ?? {};
  const stages = p.spec.stages.map((stage): PipelineStageSummary => {
    const s = st.stages?.find((x) => x.name === stage.name);
    const waiting =
      st.promotion?.to === stage.name && st.promotion.phase === 'WaitingApproval' ? st.promotion : undefined;
    const approved = st.approvals?.find((a) => a.stage === stage.name);
    return {
      name: stage.name,
      applications: stageApplications(p, stage, apps).map((a) => ({
        name: `${a.metadata.namespace ?? ''}/${a.metadata.name}`,
        sync: a.status?.sync?.status ?? 'Unknown',
        health: a.status?.health?.status ?? 'Unknown',
        ...(a.status?.sync?.revision ? { revision: a.status.sync.revision } : {}),
      })),
      file: stage.file,
      field: stage.field,
      ...(s?.revision !== undefined ? { revision: s.revision } : {}),
      verified: s?.verified ?? false,
      ...(s?.verifiedSince ? { verifiedSince: s.verifiedSince } : {}),
      ...(stage.soak ? { soak: stage.soak } : {}),
      ...(stage.approval
        ? {
            approval: waiting
              ? { state: 'waiting' as const, revision: waiting.revision }
              : approved
                ? {
                    state: 'approved' as const,
                    revision: approved.revision,
                    by: approved.by,
                    at: approved.at,
                  }
                : { state: 'none' as const },
          }
        : {}),
      pullRequest: stage.pullRequest ?? false,
      ...(s?.message ? { message: s.message } : {}),
    };
  });
  const ready = st.conditions?.find((c) => c.type === 'Ready');
  return {
    namespace: p.metadata.namespace ?? '',
    name: p.metadata.name,
    repoURL: p.spec.git.repoURL,
    branch: p.spec.git.branch ?? 'main',
    suspended: p.spec.suspend ?? false,
    stages,
    ...(st.promotion ? { promotion: st.promotion } : {}),
    history: (st.history ?? []).slice(0, 5),
    ...(ready
      ? {
          ready: {
            status: ready.status,
            ...(ready.reason ? { reason: ready.reason } : {}),
            ...(ready.message ? { message: ready.message } : {}),
          },
        }
      : {}),
  };
}
