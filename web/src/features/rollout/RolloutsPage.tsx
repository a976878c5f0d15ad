import type { ReactNode } from 'react';
import type { ApplicationSetSummary } from '../../api/types';
import { Link, rolloutPath } from '../../app/router';
import { useResource } from '../../app/use-resource';
import { StatusBadge } from '../../components/StatusBadge';

/** Every ApplicationSet with its roll-out phase. */
export function RolloutsPage(): ReactNode {
  const res = useResource<{ items: ApplicationSetSummary[] }>('/api/v1/applicationsets');
  const items = res.data?.items;
  return (
    <section>
      <div className="page-head">
        <h1>Roll-outs</h1>
      </div>
      {!items && <p className="muted">{res.error ? res.error.message : 'Loading…'}</p>}
      {items?.length === 0 && <p className="empty">No ApplicationSets.</p>}
      {items && items.length > 0 && (
        <table>
          <thead>
            <tr>
              <th>ApplicationSet</th>
              <th>Applications</th>
              <th>Roll-out</th>
              <th>Message</th>
            </tr>
          </thead>
          <tbody>
            {items.map((s) => (
              <tr key={`${s.namespace}/${s.name}`}>
                <td>
                  <Link to={rolloutPath(s.namespace, s.name)}>
                    {s.namespace}/{s.name}
                  </Link>
                </td>
                <td>{s.applications.length}</td>
                <td>
                  {s.rollout ? (
                    <StatusBadge status={s.rollout.phase} />
                  ) : (
                    <span className="muted">no strategy</span>
                  )}
                </td>
                <td className="small wrap">{s.rollout?.message ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
