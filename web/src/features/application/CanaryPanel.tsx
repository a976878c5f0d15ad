import { useEffect, useState, type ReactNode } from 'react';
import { HubError, seg } from '../../api/client';
import { useHub } from '../../app/hub-context';
import { useResource } from '../../app/use-resource';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { StatusBadge } from '../../components/StatusBadge';

/** What the hub answers for a canary (GET …/canaries); the UI never imports src/, so restated here. */
interface Measurement {
  value: string;
  verdict: string;
  at: string;
  message?: string;
}
interface MetricResult {
  name: string;
  phase: string;
  query?: string;
  measurements: Measurement[];
}
interface AnalysisRun {
  phase: string;
  startedAt: string;
  message?: string;
  metrics: MetricResult[];
}
export interface CanaryView {
  namespace: string;
  name: string;
  strategy: 'canary' | 'blueGreen';
  status: {
    phase: string;
    currentStep: number;
    canaryWeight: number;
    stableSlot?: string;
    stableHash?: string;
    canaryHash?: string;
    analysis?: AnalysisRun;
    lastAnalysis?: AnalysisRun;
    message?: string;
    health: string;
  } | null;
}

/** Phases with nothing in flight: no promote (all but Failed/Aborted, which promote retries) or abort. */
const SETTLED = ['Initialized', 'Succeeded', 'Failed', 'Aborted'];
/** While a canary moves, its steps change without the Application changing: look again this often. */
const POLL_MS = 2000;

/** Verdicts and canary phases the shared palette does not know. */
const TONES: Record<string, string> = {
  Successful: 'ok',
  Inconclusive: 'warn',
  Aborted: 'bad',
  Initialized: 'ok',
  Promoting: 'busy',
  Initializing: 'busy',
};
const tone = (s: string): { tone?: string } => (TONES[s] ? { tone: TONES[s] } : {});

type Ask = { action: 'promote' | 'abort'; canary: CanaryView };

/**
 * The canaries an Application deployed: per canary its phase, step and traffic weight, the
 * analysis in progress and the last finished one (each metric's verdict and latest values), and
 * promote / abort, each confirmed first and sent to the hub's canary routes (which check `sync`).
 */
export function CanaryPanel(props: { namespace: string; name: string }): ReactNode {
  const { client, subscribe } = useHub();
  const base = `/api/v1/applications/${seg(props.namespace)}/${seg(props.name)}`;
  const list = useResource<{ items: CanaryView[] }>(`${base}/canaries`);
  const [ask, setAsk] = useState<Ask>();
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ ok: boolean; text: string }>();
  const items = list.data?.items ?? [];
  const moving = items.some((c) => !SETTLED.includes(c.status?.phase ?? 'Initialized'));
  const { reload } = list;

  // A sync of the Application (a new version from Git) starts a canary: look at once.
  useEffect(
    () =>
      subscribe((a) => {
        if (a.namespace === props.namespace && a.name === props.name) reload();
      }),
    [subscribe, reload, props.namespace, props.name],
  );
  useEffect(() => {
    if (!moving) return;
    const t = setInterval(reload, POLL_MS);
    return () => clearInterval(t);
  }, [moving, reload]);

  if (items.length === 0) return null;

  const send = async (a: Ask): Promise<void> => {
    setBusy(true);
    try {
      await client.post(`${base}/canaries/${seg(a.canary.name)}/${a.action}`);
      setMessage({
        ok: true,
        text: `${a.action === 'promote' ? 'Promote' : 'Abort'} of ${a.canary.name} requested.`,
      });
      reload();
    } catch (e) {
      setMessage({ ok: false, text: e instanceof HubError ? e.message : String(e) });
    } finally {
      setBusy(false);
      setAsk(undefined);
    }
  };

  return (
    <>
      <h2>Canaries</h2>
      {message && (
        <p className={message.ok ? 'notice' : 'form-error'} role="status" data-testid="canary-message">
          {message.text}
        </p>
      )}
      {items.map((c) => {
        const st = c.status;
        const phase = st?.phase ?? 'Pending';
        const run = st?.analysis ?? st?.lastAnalysis;
        return (
          <div
            key={`${c.namespace}/${c.name}`}
            className="canary"
            data-testid={`canary-${c.name}`}
            data-phase={phase}
            data-step={st?.currentStep ?? ''}
            data-weight={st?.canaryWeight ?? ''}
          >
            <div className="page-head">
              <div>
                <h3>
                  {c.namespace}/{c.name}{' '}
                  <span className="muted small">{c.strategy === 'canary' ? 'canary' : 'blue/green'}</span>
                </h3>
                <p className="small">
                  <StatusBadge status={phase} title={st?.message} {...tone(phase)} /> step{' '}
                  <b>{st?.currentStep ?? 0}</b> · weight <b>{st?.canaryWeight ?? 0}%</b>
                  {st?.stableHash && (
                    <>
                      {' '}
                      · stable <code>{st.stableHash}</code>
                      {st.stableSlot ? ` (${st.stableSlot})` : ''}
                    </>
                  )}
                  {st?.canaryHash && st.canaryHash !== st.stableHash && (
                    <>
                      {' '}
                      · canary <code>{st.canaryHash}</code>
                    </>
                  )}
                </p>
                {st?.message && <p className="muted small wrap">{st.message}</p>}
              </div>
              <div className="actions">
                <button
                  data-testid={`canary-promote-${c.name}`}
                  disabled={['Initialized', 'Succeeded'].includes(phase) || !st}
                  onClick={() => setAsk({ action: 'promote', canary: c })}
                >
                  Promote
                </button>
                <button
                  data-testid={`canary-abort-${c.name}`}
                  disabled={SETTLED.includes(phase) || !st}
                  onClick={() => setAsk({ action: 'abort', canary: c })}
                >
                  Abort
                </button>
              </div>
            </div>
            {run && (
              <table data-testid={`canary-analysis-${c.name}`}>
                <thead>
                  <tr>
                    <th>Analysis {run === st?.analysis ? '(current step)' : '(last)'}</th>
                    <th>Verdict</th>
                    <th>Latest values</th>
                    <th>Query</th>
                  </tr>
                </thead>
                <tbody>
                  {run.metrics.map((m) => (
                    <tr key={m.name} data-verdict={m.phase}>
                      <td>{m.name}</td>
                      <td>
                        <StatusBadge status={m.phase} {...tone(m.phase)} />
                      </td>
                      <td className="small">
                        {m.measurements
                          .slice(-5)
                          .map((x) => `${x.value} (${x.verdict})`)
                          .join(', ') || '—'}
                      </td>
                      <td className="small wrap">
                        <code>{m.query ?? ''}</code>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </div>
        );
      })}
      {ask && (
        <ConfirmDialog
          title={`${ask.action === 'promote' ? 'Promote' : 'Abort'} ${ask.canary.name}?`}
          confirmLabel={ask.action === 'promote' ? 'Promote' : 'Abort'}
          busy={busy}
          onCancel={() => setAsk(undefined)}
          onConfirm={() => void send(ask)}
        >
          {ask.action === 'promote' ? (
            <p>
              Ends the current pause or analysis of <b>{ask.canary.name}</b> and moves on to the next step (a
              failed or aborted canary starts again).
            </p>
          ) : (
            <p>
              Sends all traffic back to the stable version of <b>{ask.canary.name}</b> and scales the canary
              to zero.
            </p>
          )}
        </ConfirmDialog>
      )}
    </>
  );
}
