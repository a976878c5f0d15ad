import { useEffect, useState, type ReactNode } from 'react';
import { HubError, seg } from '../../api/client';
import type { RolloutDetail } from '../../api/types';
import { useHub } from '../../app/hub-context';
import { appPath, Link } from '../../app/router';
import { useDebounced, useResource } from '../../app/use-resource';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { StatusBadge } from '../../components/StatusBadge';

type Verb = 'approve' | 'pause' | 'resume';

/** One ApplicationSet's roll-out: steps, progress, the Applications per step, approve and pause. */
export function RolloutPage(props: { namespace: string; name: string }): ReactNode {
  const { client, subscribe } = useHub();
  const base = `/api/v1/applicationsets/${seg(props.namespace)}/${seg(props.name)}`;
  const res = useResource<RolloutDetail>(base);
  const [verb, setVerb] = useState<Verb>();
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ ok: boolean; text: string }>();
  const reload = useDebounced(res.reload, 800);
  useEffect(
    () =>
      subscribe((a) => {
        if (a.namespace === props.namespace && a.applicationSet === props.name) reload();
      }),
    [subscribe, reload, props.namespace, props.name],
  );
  // Roll-out phases change without any Application changing (soak timers, approvals): poll too.
  useEffect(() => {
    const t = setInterval(reload, 5000);
    return () => clearInterval(t);
  }, [reload]);

  const run = async (v: Verb): Promise<void> => {
    setBusy(true);
    try {
      await client.post(`${base}/rollout/${v}`);
      setMessage({ ok: true, text: `${v} requested.` });
      reload();
    } catch (e) {
      setMessage({ ok: false, text: e instanceof HubError ? e.message : String(e) });
    } finally {
      setBusy(false);
      setVerb(undefined);
    }
  };

  const d = res.data;
  if (!d) return <p className="muted">{res.error ? res.error.message : 'Loading…'}</p>;
  const r = d.rollout;
  const total = d.steps.length;
  return (
    <section>
      <div className="page-head">
        <div>
          <h1>{d.name}</h1>
          <p className="muted">ApplicationSet in {d.namespace}</p>
        </div>
        <div className="actions">
          <button disabled={!r || d.paused} onClick={() => setVerb('pause')}>
            Pause
          </button>
          <button disabled={!r || !d.paused} onClick={() => setVerb('resume')}>
            Resume
          </button>
          <button
            className="primary"
            disabled={r?.phase !== 'WaitingApproval'}
            onClick={() => setVerb('approve')}
          >
            Approve step {r ? Math.min(r.step + 1, total) : ''}
          </button>
        </div>
      </div>
      {message && <p className={message.ok ? 'notice' : 'form-error'}>{message.text}</p>}
      {!r ? (
        <p className="muted">
          No roll-out: this ApplicationSet has no strategy, or has not been reconciled yet.
        </p>
      ) : (
        <>
          <div className="facts">
            <div>
              <span className="label">Phase</span>
              <StatusBadge status={r.phase} />
              {d.paused && <span className="chip">paused</span>}
            </div>
            <div>
              <span className="label">Progress</span>
              <progress max={total} value={r.phase === 'Completed' ? total : r.step} />
              <span className="small">
                step {Math.min(r.step + 1, total)} of {total}
              </span>
            </div>
            <div>
              <span className="label">Revision</span>
              <code>{r.revision.slice(0, 12)}</code>
              <span className="muted small">stable {r.stableRevision.slice(0, 12)}</span>
            </div>
            <div>
              <span className="label">Message</span>
              <span className="small">{r.message}</span>
            </div>
          </div>
          <h2>Steps</h2>
          <ol className="steps">
            {d.steps.map((s, i) => {
              const state =
                r.phase === 'Completed' || i < r.step ? 'done' : i === r.step ? 'current' : 'pending';
              const apps = d.applications.filter((a) => a.step === i);
              return (
                <li key={i} className={`step ${state}`}>
                  <div className="step-head">
                    <b>Step {i + 1}</b> <span className="muted small">{selectorText(s)}</span>
                    {s.approval && <span className="chip">needs approval</span>}
                    {s.maxUpdate !== undefined && <span className="chip">max {s.maxUpdate} at once</span>}
                    {s.soakSeconds !== undefined && <span className="chip">soak {s.soakSeconds}s</span>}
                    <span className={`step-state ${state}`}>{state}</span>
                  </div>
                  <div className="step-apps">
                    {apps.map((a) => (
                      <Link key={a.name} to={appPath(d.namespace, a.name)} className="step-app">
                        <span title={a.cluster ? `on ${a.cluster}` : undefined}>{a.name}</span>
                        {a.cell && (
                          <>
                            <StatusBadge status={a.cell.sync} />
                            <StatusBadge status={a.cell.health} />
                          </>
                        )}
                      </Link>
                    ))}
                    {apps.length === 0 && <span className="muted small">no applications</span>}
                  </div>
                </li>
              );
            })}
          </ol>
        </>
      )}
      {verb && (
        <ConfirmDialog
          title={`${verb[0]?.toUpperCase()}${verb.slice(1)} the roll-out of ${d.name}?`}
          confirmLabel={verb}
          busy={busy}
          onCancel={() => setVerb(undefined)}
          onConfirm={() => void run(verb)}
        >
          {verb === 'approve' && (
            <p>
              Lets step {r ? r.step + 1 : ''} roll revision {r?.revision.slice(0, 12)} out.
            </p>
          )}
          {verb === 'pause' && <p>No further step starts until the roll-out is resumed.</p>}
          {verb === 'resume' && <p>The roll-out continues where it stopped.</p>}
        </ConfirmDialog>
      )}
    </section>
  );
}

function selectorText(s: RolloutDetail['steps'][number]): string {
  const parts = [
    ...Object.entries(s.matchLabels).map(([k, v]) => `${k}=${v}`),
    ...s.matchExpressions.map((e) => `${e.key} ${e.operator}${e.values ? ` (${e.values.join(', ')})` : ''}`),
  ];
  return parts.length ? parts.join(', ') : 'every cluster';
}
