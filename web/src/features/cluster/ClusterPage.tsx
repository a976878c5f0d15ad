import { useEffect, type ReactNode } from 'react';
import { seg } from '../../api/client';
import type { ClusterDetail } from '../../api/types';
import { useHub } from '../../app/hub-context';
import { appPath, Link } from '../../app/router';
import { useDebounced, useResource } from '../../app/use-resource';
import { StatusBadge } from '../../components/StatusBadge';

/** One cluster: labels, version, reachability, mode and agent state, and its Applications. */
export function ClusterPage(props: { name: string }): ReactNode {
  const { subscribe } = useHub();
  const res = useResource<ClusterDetail>(`/api/v1/clusters/${seg(props.name)}`);
  const reload = useDebounced(res.reload, 1000);
  useEffect(
    () =>
      subscribe((a) => {
        if (a.destination.cluster === props.name) reload();
      }),
    [subscribe, reload, props.name],
  );
  const c = res.data;
  if (!c) return <p className="muted">{res.error ? res.error.message : 'Loading…'}</p>;
  const st = c.status;
  const labels = Object.entries(c.labels);
  return (
    <section>
      <div className="page-head">
        <h1>{c.name}</h1>
        <StatusBadge
          status={
            st.reachable === undefined ? 'reachability unknown' : st.reachable ? 'Reachable' : 'Unreachable'
          }
          tone={st.reachable === undefined ? 'unknown' : st.reachable ? 'ok' : 'bad'}
        />
      </div>
      {!c.registered && (
        <p className="notice">No Cluster object: Applications name this destination directly.</p>
      )}
      <div className="facts">
        <div>
          <span className="label">Reachable</span>
          <span data-testid="cluster-reachable">
            {st.reachable === undefined ? 'unknown' : st.reachable ? 'yes' : 'no'}
          </span>
          {st.message && <span className="muted small">{st.message}</span>}
        </div>
        <div>
          <span className="label">Server</span>
          <code>{c.server || '—'}</code>
        </div>
        <div>
          <span className="label">Version</span>
          <span>{st.serverVersion ?? '—'}</span>
        </div>
        <div>
          <span className="label">Mode</span>
          <span>{c.mode}</span>
          {c.mode === 'agent' && (
            <span className="muted small">agent {st.agentVersion ?? 'version unknown'}</span>
          )}
        </div>
        <div>
          <span className="label">{c.mode === 'agent' ? 'Last heartbeat' : 'Last check'}</span>
          <span className="small">{st.lastHeartbeat ?? st.lastCheck ?? '—'}</span>
        </div>
        <div>
          <span className="label">Labels</span>
          <span>
            {labels.length === 0 && <span className="muted">none</span>}
            {labels.map(([k, v]) => (
              <span key={k} className="chip">
                {k}={v}
              </span>
            ))}
          </span>
        </div>
      </div>
      <h2>Applications ({c.applications.length})</h2>
      <table>
        <tbody>
          {c.applications.map((a) => (
            <tr key={`${a.namespace}/${a.name}`}>
              <td>
                <Link to={appPath(a.namespace, a.name)}>
                  {a.namespace}/{a.name}
                </Link>
              </td>
              <td>
                <StatusBadge status={a.sync} /> {a.drift && <span className="drift-mark">drift</span>}
              </td>
              <td>
                <StatusBadge status={a.health} />
              </td>
              <td>
                <code>{a.revision?.slice(0, 12) ?? ''}</code>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
