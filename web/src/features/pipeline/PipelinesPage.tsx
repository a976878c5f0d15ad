import type { ReactNode } from 'react';
import { appPath, Link } from '../../app/router';
import { useResource } from '../../app/use-resource';
import type { PipelineList, PipelinePromotionView, PipelineStageSummary } from '../../api/wire';
import { StatusBadge } from '../../components/StatusBadge';

// The shapes of GET /api/v1/pipelines: the hub's wire contract (../../api/wire, generated).
type Stage = PipelineStageSummary;
type Promotion = PipelinePromotionView;

/** What a stage's approval cell says. */
function approvalText(s: Stage): string {
  if (!s.approval) return 'automatic';
  if (s.approval.state === 'waiting') return `waiting: ${s.approval.revision ?? ''}`;
  if (s.approval.state === 'approved')
    return `approved ${s.approval.revision ?? ''} by ${s.approval.by ?? '?'}`;
  return 'required';
}

function StageCard(props: { stage: Stage; promotion: Promotion | undefined }): ReactNode {
  const s = props.stage;
  const incoming = props.promotion?.to === s.name ? props.promotion : undefined;
  return (
    <div className="stage" data-testid={`stage-${s.name}`}>
      <h3>{s.name}</h3>
      <div>
        <span className="muted small">revision </span>
        <code data-testid="stage-revision">{s.revision ?? '—'}</code>{' '}
        <StatusBadge status={s.verified ? 'Verified' : 'Unverified'} />
      </div>
      <div className="small">
        approval: <span data-testid="stage-approval">{approvalText(s)}</span>
        {s.soak ? ` · soak ${s.soak}` : ''}
        {s.pullRequest ? ' · by pull request' : ''}
      </div>
      {incoming && (
        <div className="small" data-testid="stage-incoming">
          ← {incoming.revision} from {incoming.from}: <StatusBadge status={incoming.phase} />
          {incoming.pullRequest && (
            <>
              {' '}
              <a href={incoming.pullRequest.url}>PR #{incoming.pullRequest.number}</a>
            </>
          )}
        </div>
      )}
      <ul className="small">
        {s.applications.map((a) => {
          const [ns = '', name = ''] = a.name.split('/');
          return (
            <li key={a.name}>
              <Link to={appPath(ns, name)}>{a.name}</Link> <StatusBadge status={a.sync} />{' '}
              <StatusBadge status={a.health} />
            </li>
          );
        })}
        {s.applications.length === 0 && <li className="muted">no Applications</li>}
      </ul>
      {s.message && <div className="small wrap muted">{s.message}</div>}
      <div className="small muted">
        {s.file}: {s.field}
      </div>
    </div>
  );
}

/** Every promotion Pipeline the caller may read, its stages left to right. */
export function PipelinesPage(): ReactNode {
  const res = useResource<PipelineList>('/api/v1/pipelines');
  const items = res.data?.items;
  return (
    <section>
      <div className="page-head">
        <h1>Pipelines</h1>
      </div>
      {!items && <p className="muted">{res.error ? res.error.message : 'Loading…'}</p>}
      {items?.length === 0 && <p className="empty">No promotion Pipelines.</p>}
      {items?.map((p) => (
        <article key={`${p.namespace}/${p.name}`} className="pipeline" data-testid={`pipeline-${p.name}`}>
          <h2>
            {p.namespace}/{p.name} {p.suspended && <StatusBadge status="Suspended" />}
            {p.ready && (
              <StatusBadge status={p.ready.status === 'True' ? 'Ready' : (p.ready.reason ?? 'NotReady')} />
            )}
          </h2>
          <p className="small muted">
            {p.repoURL} · {p.branch}
          </p>
          <div className="stages" style={{ display: 'flex', gap: '1rem', flexWrap: 'wrap' }}>
            {p.stages.map((s) => (
              <StageCard key={s.name} stage={s} promotion={p.promotion} />
            ))}
          </div>
          {p.history.length > 0 && (
            <table>
              <thead>
                <tr>
                  <th>Promoted</th>
                  <th>Into</th>
                  <th>From</th>
                  <th>By</th>
                  <th>When</th>
                </tr>
              </thead>
              <tbody>
                {p.history.map((h) => (
                  <tr key={`${h.stage}/${h.revision}/${h.at}`}>
                    <td>
                      <code>{h.revision}</code>
                    </td>
                    <td>{h.stage}</td>
                    <td>{h.from}</td>
                    <td>
                      {h.by}
                      {h.verified ? '' : h.by === 'automated' ? '' : ' (unverified)'}
                    </td>
                    <td className="small">{h.at}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </article>
      ))}
    </section>
  );
}
