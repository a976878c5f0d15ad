/**
 * A finished analysis run as an audit entry (operation `analysis`), so the trail that answers
 * "what was deployed where, by whom" also answers "which analysis let it through or stopped it".
 * Pure: the controller hands in what it knows and writes the entry once, after the status write
 * that finished the run succeeded.
 */
import type { AnalysisRunStatus } from '../../api/delivery.js';
import type { AuditObject, AuditRecord } from '../../governance/audit/index.js';

export interface AnalysisAuditInput {
  /** What ran the analysis: `Canary <ns>/<name> step 1`, `ApplicationSet <ns>/<name> gate 0`. */
  subject: string;
  appNamespace: string;
  app: string;
  project: string;
  repoURL: string;
  cluster: string;
  /** Namespace of the workload analysed. */
  namespace: string;
  /** The revision the analysis judged (the `revision` argument). */
  revision: string;
  /** Templates the step named. */
  templates: string[];
  run: AnalysisRunStatus;
  now: Date;
}

/** Values kept per metric: the latest measurements, as status keeps them. */
const MAX_VALUES = 10;

/**
 * A measured address without its userinfo and query string: a URL in a template may carry a
 * credential, and the trail is read by everyone allowed to read the project's audit.
 */
function safeQuery(q: string | undefined): string | undefined {
  if (q === undefined || !/^[a-z][a-z0-9+.-]*:\/\//i.test(q)) return q;
  try {
    const u = new URL(q);
    u.username = '';
    u.password = '';
    u.search = '';
    return u.toString();
  } catch {
    return q;
  }
}

export function analysisAuditRecord(i: AnalysisAuditInput): AuditRecord {
  const started = new Date(i.run.startedAt);
  const startedAt = Number.isNaN(started.getTime()) ? i.now : started;
  const objects = i.run.metrics.map<AuditObject>((m) => {
    const query = safeQuery(m.query);
    return {
      kind: 'AnalysisMetric',
      namespace: i.namespace,
      name: m.name,
      action: m.phase === 'Successful' ? 'skipped' : 'failed',
      verdict: m.phase,
      ...(query !== undefined ? { query } : {}),
      values: m.measurements.slice(-MAX_VALUES).map((x) => `${x.value} (${x.verdict})`),
    };
  });
  const templates = i.templates.join(', ');
  const why = i.run.message ? `: ${i.run.message}` : '';
  return {
    operation: 'analysis',
    trigger: 'automated',
    appNamespace: i.appNamespace,
    app: i.app,
    project: i.project,
    cluster: i.cluster,
    namespace: i.namespace,
    revision: i.revision,
    repoURL: i.repoURL,
    result: i.run.phase === 'Successful' ? 'Succeeded' : 'Failed',
    message: `${i.subject}: analysis ${templates} ${i.run.phase}${why}`,
    startedAt,
    durationMs: Math.max(0, i.now.getTime() - startedAt.getTime()),
    objects,
    unchanged: 0,
  };
}
