import { useEffect, useState, type ReactNode } from 'react';
import { HubError, seg } from '../../api/client';
import type { Application, EventView, HistoryEntry, ResourceTree } from '../../api/types';
import { useHub } from '../../app/hub-context';
import { clusterPath, Link } from '../../app/router';
import { useDebounced, useResource } from '../../app/use-resource';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { StatusBadge } from '../../components/StatusBadge';
import { CanaryPanel } from './CanaryPanel';
import { ResourceTreeView } from './ResourceTreeView';

type Action = { kind: 'sync' } | { kind: 'refresh' } | { kind: 'rollback'; entry: HistoryEntry };

/**
 * One Application in depth: state, resource tree, the redacted live-vs-Git diff, conditions,
 * events and history, and the sync / refresh / rollback buttons (each confirmed first). Reloads
 * itself when the event stream reports a change of this Application.
 */
export function ApplicationPage(props: { namespace: string; name: string }): ReactNode {
  const { client, subscribe } = useHub();
  const base = `/api/v1/applications/${seg(props.namespace)}/${seg(props.name)}`;
  const app = useResource<Application>(base);
  const tree = useResource<ResourceTree>(`${base}/tree`);
  const events = useResource<{ items: EventView[] }>(`${base}/events`);
  const [action, setAction] = useState<Action>();
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ ok: boolean; text: string }>();

  const reloadAll = useDebounced(() => {
    app.reload();
    tree.reload();
    events.reload();
  }, 400);
  useEffect(
    () =>
      subscribe((a) => {
        if (a.namespace === props.namespace && a.name === props.name) reloadAll();
      }),
    [subscribe, reloadAll, props.namespace, props.name],
  );

  const run = async (a: Action): Promise<void> => {
    setBusy(true);
    try {
      if (a.kind === 'rollback') {
        await client.post(`${base}/rollback`, { id: a.entry.id });
        setMessage({ ok: true, text: `Rollback to ${a.entry.revision.slice(0, 12)} requested.` });
      } else {
        await client.post(`${base}/${a.kind}`);
        setMessage({ ok: true, text: a.kind === 'sync' ? 'Sync requested.' : 'Refresh requested.' });
      }
      reloadAll();
    } catch (e) {
      setMessage({ ok: false, text: e instanceof HubError ? e.message : String(e) });
    } finally {
      setBusy(false);
      setAction(undefined);
    }
  };

  const a = app.data;
  if (!a) {
    if (app.error?.status === 404)
      return (
        <p className="empty">
          Application {props.namespace}/{props.name} does not exist.
        </p>
      );
    return <p className="muted">{app.error ? app.error.message : 'Loading…'}</p>;
  }
  const st = a.status ?? {};
  const automated = !!a.spec.syncPolicy?.automated;
  const dest = a.spec.destination.name ?? 'in-cluster';
  // A multi-source Application has `sources` instead of `source`: its first one is shown.
  const src = a.spec.source ?? a.spec.sources?.[0];
  const diffs = (st.resources ?? []).filter((r) => r.status === 'OutOfSync');

  return (
    <section className="app-page">
      <div className="page-head">
        <div>
          <h1>{a.metadata.name}</h1>
          <p className="muted">
            {a.metadata.namespace} · project {a.spec.project ?? 'default'} · to{' '}
            <Link to={clusterPath(dest)}>{dest}</Link>/{a.spec.destination.namespace ?? a.metadata.namespace}
          </p>
        </div>
        <div className="actions">
          <button onClick={() => setAction({ kind: 'refresh' })}>Refresh</button>
          <button className="primary" data-testid="sync-button" onClick={() => setAction({ kind: 'sync' })}>
            Sync
          </button>
        </div>
      </div>
      {message && (
        <p className={message.ok ? 'notice' : 'form-error'} role="status">
          {message.text}
        </p>
      )}
      <div className="facts">
        <div>
          <span className="label">Sync</span>
          <span data-testid="app-sync">
            <StatusBadge status={st.sync?.status} />
          </span>
          <code title={st.sync?.revision}>{st.sync?.revision?.slice(0, 12) ?? '—'}</code>
        </div>
        <div>
          <span className="label">Health</span>
          <StatusBadge status={st.health?.status} title={st.health?.message} />
          {st.health?.message && <span className="muted small">{st.health.message}</span>}
        </div>
        <div>
          <span className="label">Source</span>
          <span className="small">
            {src?.repoURL} <code>{src?.path ?? '/'}</code> @ {src?.targetRevision ?? 'HEAD'}
            {(a.spec.sources?.length ?? 0) > 1 && ` (+${(a.spec.sources?.length ?? 1) - 1} more sources)`}
          </span>
        </div>
        <div>
          <span className="label">Policy</span>
          <span className="small">
            {automated
              ? `automated${a.spec.syncPolicy?.automated?.prune ? ', prune' : ''}${a.spec.syncPolicy?.automated?.selfHeal ? ', self-heal' : ''}`
              : 'manual'}
          </span>
        </div>
        {st.operationState && (
          <div>
            <span className="label">Last sync</span>
            <StatusBadge status={st.operationState.phase} />
            <span className="small">{st.operationState.message}</span>
          </div>
        )}
      </div>

      {(st.conditions ?? []).length > 0 && (
        <>
          <h2>Conditions</h2>
          <table>
            <tbody>
              {(st.conditions ?? []).map((c) => (
                <tr key={c.type}>
                  <td>
                    <StatusBadge
                      status={c.type}
                      tone={c.status === 'True' ? 'bad' : 'ok'}
                      title={`status ${c.status}`}
                    />
                  </td>
                  <td className="wrap">{c.message}</td>
                  <td className="muted small">{c.lastTransitionTime}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}

      <CanaryPanel namespace={props.namespace} name={props.name} />

      <h2>Resources</h2>
      <ResourceTreeView tree={tree.data} />

      {diffs.length > 0 && (
        <>
          <h2>Live vs Git</h2>
          {diffs.map((r) => (
            <details key={`${r.kind}/${r.namespace ?? ''}/${r.name}`} open={diffs.length <= 3}>
              <summary>
                {r.kind} {r.namespace ? `${r.namespace}/` : ''}
                {r.name}
              </summary>
              <pre className="diff">
                {r.diff ? colourless(r.diff) : 'missing from the cluster or changed: no diff text recorded'}
              </pre>
            </details>
          ))}
        </>
      )}

      <h2>History</h2>
      {(st.history ?? []).length === 0 ? (
        <p className="muted">Never synced.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>#</th>
              <th>Revision</th>
              <th>Deployed</th>
              <th>Author</th>
              <th>Message</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {[...(st.history ?? [])].reverse().map((h) => (
              <tr key={h.id}>
                <td>{h.id}</td>
                <td>
                  <code title={h.revision}>{h.revision.slice(0, 12)}</code>
                </td>
                <td className="small">{h.deployedAt}</td>
                <td className="small">{h.author ?? '—'}</td>
                <td className="small wrap">{h.message ?? '—'}</td>
                <td>
                  <button
                    disabled={automated || h.revision === st.sync?.revision}
                    title={automated ? 'automated sync is on: disable it to roll back' : undefined}
                    onClick={() => setAction({ kind: 'rollback', entry: h })}
                  >
                    Roll back
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}

      <h2>Events</h2>
      {(events.data?.items ?? []).length === 0 ? (
        <p className="muted">No events.</p>
      ) : (
        <table>
          <tbody>
            {(events.data?.items ?? []).map((e, i) => (
              <tr key={i}>
                <td>
                  <StatusBadge status={e.type} tone={e.type === 'Warning' ? 'bad' : 'unknown'} />
                </td>
                <td>{e.reason}</td>
                <td className="wrap">{e.message}</td>
                <td className="muted small">
                  {e.lastTimestamp}
                  {e.count > 1 ? ` ×${e.count}` : ''}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}

      {action && (
        <ConfirmDialog
          title={
            action.kind === 'sync'
              ? `Sync ${a.metadata.name}?`
              : action.kind === 'refresh'
                ? `Refresh ${a.metadata.name}?`
                : `Roll back ${a.metadata.name}?`
          }
          confirmLabel={action.kind === 'sync' ? 'Sync' : action.kind === 'refresh' ? 'Refresh' : 'Roll back'}
          busy={busy}
          onCancel={() => setAction(undefined)}
          onConfirm={() => void run(action)}
        >
          {action.kind === 'sync' && (
            <p>
              Applies what Git holds at {src?.targetRevision ?? 'HEAD'} to <b>{dest}</b> and deletes objects
              the Application no longer renders.
            </p>
          )}
          {action.kind === 'refresh' && <p>Compares the cluster with Git again now. Nothing is changed.</p>}
          {action.kind === 'rollback' && (
            <p>
              Pins the source to <code>{action.entry.revision.slice(0, 12)}</code> (history #{action.entry.id}
              ) and syncs it to <b>{dest}</b>.
            </p>
          )}
        </ConfirmDialog>
      )}
    </section>
  );
}

/** Diff text may carry terminal colour codes from the engine; they are noise in a browser. */
function colourless(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\u001b\[[0-9;]*m/g, '');
}
