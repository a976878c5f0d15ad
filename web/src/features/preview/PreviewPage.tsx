import { useState, type FormEvent, type ReactNode } from 'react';
import { HubError } from '../../api/client';
import type { AppPreview, PreviewReport } from '../../api/wire';
import { useHub } from '../../app/hub-context';
import { appPath, clusterPath, Link } from '../../app/router';

// The shape of POST /api/v1/preview: the hub's wire contract (../../api/wire, generated).

function AppCard(props: { a: AppPreview }): ReactNode {
  const { a } = props;
  const [ns = '', name = ''] = a.app.split('/');
  return (
    <li data-testid={`preview-app-${a.app}`}>
      <Link to={appPath(ns, name)}>{a.app}</Link>
      {a.change !== 'changed' && <span className="muted"> ({a.change})</span>}
      {a.appSet && <span className="muted small"> · ApplicationSet {a.appSet}</span>}
      {a.rolloutStep && (
        <span className="muted small">
          {' '}
          · roll-out step {a.rolloutStep.step} of {a.rolloutStep.of}
        </span>
      )}
      {a.error && <div className="error small">{a.error}</div>}
      {a.objects.map((o) => (
        <details key={`${o.action}/${o.ref}`}>
          <summary>
            {o.action} <code>{o.ref}</code>
          </summary>
          {o.diff && <pre className="diff">{o.diff}</pre>}
        </details>
      ))}
      {a.policy.map((p) => (
        <div key={`${p.policy}/${p.object}/${p.field}`} className="small">
          policy {p.policy} ({p.mode}): {p.object} {p.field}: {p.message}
        </div>
      ))}
    </li>
  );
}

/**
 * The fleet impact preview of two revisions of a repository (`POST /api/v1/preview`): every app
 * the caller may read whose render changes, grouped by cluster, with the dry-run diffs.
 */
export function PreviewPage(): ReactNode {
  const { client } = useHub();
  const [form, setForm] = useState({ repoURL: '', base: 'main', head: '' });
  const [report, setReport] = useState<PreviewReport>();
  const [error, setError] = useState('');
  const [running, setRunning] = useState(false);
  const submit = (e: FormEvent): void => {
    e.preventDefault();
    setRunning(true);
    setError('');
    client.post<PreviewReport>('/api/v1/preview', form).then(
      (r) => {
        setReport(r);
        setRunning(false);
      },
      (err: unknown) => {
        setError(err instanceof HubError ? err.message : String(err));
        setRunning(false);
      },
    );
  };
  const byCluster = new Map<string, AppPreview[]>();
  for (const a of report?.apps ?? []) byCluster.set(a.cluster, [...(byCluster.get(a.cluster) ?? []), a]);
  const field = (k: keyof typeof form, label: string, placeholder: string): ReactNode => (
    <label>
      {label}{' '}
      <input
        name={k}
        value={form[k]}
        placeholder={placeholder}
        required
        onChange={(e) => setForm({ ...form, [k]: e.target.value })}
      />
    </label>
  );
  return (
    <section>
      <div className="page-head">
        <h1>Preview a change</h1>
      </div>
      <form onSubmit={submit} className="preview-form">
        {field('repoURL', 'Repository', 'https://git.example.com/org/fleet.git')}{' '}
        {field('base', 'Base', 'main')} {field('head', 'Head', 'branch, tag or commit')}{' '}
        <button type="submit" disabled={running}>
          {running ? 'Rendering…' : 'Preview'}
        </button>
      </form>
      {error && (
        <p className="error" data-testid="preview-error">
          {error}
        </p>
      )}
      {report && (
        <div data-testid="preview-report">
          <h2 data-testid="preview-summary">{report.summary.line}</h2>
          <p className="small muted">
            {report.base.ref} ({report.base.sha.slice(0, 8)}) → {report.head.ref} (
            {report.head.sha.slice(0, 8)})
            {report.unchanged ? ` · ${report.unchanged} other app(s) unchanged` : ''}
          </p>
          {report.blocked && (
            <p className="error">Enforced policy findings: this change would fail to sync.</p>
          )}
          {[...byCluster].map(([cluster, apps]) => (
            <div key={cluster}>
              <h3>
                cluster <Link to={clusterPath(cluster)}>{cluster}</Link>
              </h3>
              <ul>
                {apps.map((a) => (
                  <AppCard key={a.app} a={a} />
                ))}
              </ul>
            </div>
          ))}
        </div>
      )}
    </section>
  );
}
