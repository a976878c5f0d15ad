import { useEffect, useMemo, useState, type ReactNode } from 'react';
import type { ApplicationSummary, FleetCell, FleetMatrix } from '../../api/types';
import { useHub } from '../../app/hub-context';
import { useDebounced, useResource } from '../../app/use-resource';
import {
  applyFilter,
  cellMatches,
  emptyFilter,
  projectsOf,
  type FleetFilter,
  type StatusFilter,
} from './filter';
import { MatrixGrid } from './MatrixGrid';

/**
 * The whole fleet in one matrix. Loaded with one request; then each Application change from the
 * event stream patches its cell at once, and a debounced reload picks up what a summary cannot
 * tell (new Applications, drift, projects).
 */
export function FleetPage(): ReactNode {
  const { subscribe } = useHub();
  const res = useResource<FleetMatrix>('/api/v1/fleet');
  const [matrix, setMatrix] = useState<FleetMatrix>();
  const [filter, setFilter] = useState<FleetFilter>(emptyFilter);
  const reload = useDebounced(res.reload, 2000);

  useEffect(() => setMatrix(res.data), [res.data]);
  useEffect(
    () =>
      subscribe((a, deleted) => {
        setMatrix((m) => (m ? patchCell(m, a, deleted) : m));
        reload();
      }),
    [subscribe, reload],
  );

  const projects = useMemo(() => (matrix ? projectsOf(matrix) : []), [matrix]);
  const view = useMemo(() => (matrix ? applyFilter(matrix, filter) : undefined), [matrix, filter]);
  const counts = useMemo(() => (matrix ? countCells(matrix) : undefined), [matrix]);
  const set = (patch: Partial<FleetFilter>): void => setFilter((f) => ({ ...f, ...patch }));

  return (
    <section className="fleet">
      <div className="page-head">
        <h1>Fleet</h1>
        {counts && (
          <div className="counts" data-testid="counts">
            <span>{counts.total} applications</span>
            <span className="ok">{counts.synced} synced</span>
            <span className="warn">{counts.outOfSync} out of sync</span>
            <span className="warn">{counts.drift} drifted</span>
            <span className="bad">{counts.degraded} degraded</span>
          </div>
        )}
      </div>
      <div className="filters">
        <input
          placeholder="Filter by name"
          value={filter.name}
          onChange={(e) => set({ name: e.target.value })}
          aria-label="name filter"
        />
        <select
          value={filter.project}
          onChange={(e) => set({ project: e.target.value })}
          aria-label="project"
        >
          <option value="">All projects</option>
          {projects.map((p) => (
            <option key={p}>{p}</option>
          ))}
        </select>
        <input
          placeholder="Cluster label, e.g. env=prod"
          value={filter.clusterLabel}
          onChange={(e) => set({ clusterLabel: e.target.value })}
          aria-label="cluster label filter"
        />
        <select
          value={filter.status}
          onChange={(e) => set({ status: e.target.value as StatusFilter })}
          aria-label="status"
        >
          <option value="">Any status</option>
          <option value="OutOfSync">Out of sync</option>
          <option value="drift">Drifted</option>
          <option value="unhealthy">Not healthy</option>
          <option value="Degraded">Degraded</option>
          <option value="Progressing">Progressing</option>
        </select>
        {filter !== emptyFilter && (
          <button className="link" onClick={() => setFilter(emptyFilter)}>
            Clear filters
          </button>
        )}
      </div>
      {res.error && !matrix && <p className="form-error">{res.error.message}</p>}
      {!matrix && !res.error && <p className="muted">Loading the fleet…</p>}
      {view && view.rows.length === 0 && (
        <p className="empty">
          {matrix?.rows.length ? 'No application matches these filters.' : 'No applications yet.'}
        </p>
      )}
      {view && view.rows.length > 0 && (
        <MatrixGrid columns={view.columns} rows={view.rows} dim={(c: FleetCell) => !cellMatches(c, filter)} />
      )}
      <Legend />
    </section>
  );
}

function Legend(): ReactNode {
  return (
    <div className="legend muted small">
      <span className="swatch ok" /> synced &amp; healthy <span className="swatch warn" /> out of sync{' '}
      <span className="swatch busy" /> progressing <span className="swatch bad" /> degraded / missing{' '}
      <span className="swatch unknown" /> unknown <span className="drift-mark">drift</span> changed in the
      cluster, not in Git
    </div>
  );
}

/** Applies one event to the matrix without a reload; unknown Applications wait for the reload. */
function patchCell(m: FleetMatrix, a: ApplicationSummary, deleted: boolean): FleetMatrix {
  const cluster = a.destination.cluster;
  const rowIndex = m.rows.findIndex(
    (r) => r.cells[cluster]?.name === a.name && r.cells[cluster]?.namespace === a.namespace,
  );
  const row = m.rows[rowIndex];
  const old = row?.cells[cluster];
  if (!row || !old) return m;
  const cells = { ...row.cells };
  if (deleted) delete cells[cluster];
  else {
    // The controller's rule, as far as a summary tells it: out of sync at the revision that was
    // in sync is drift. The debounced reload brings the exact answer.
    const drift =
      a.sync === 'OutOfSync' && (old.drift || (old.sync === 'Synced' && old.revision === a.revision));
    const next: FleetCell = { ...old, sync: a.sync, health: a.health, drift };
    if (a.revision) next.revision = a.revision;
    cells[cluster] = next;
  }
  const rows = [...m.rows];
  rows[rowIndex] = { ...row, cells };
  return { ...m, rows };
}

function countCells(m: FleetMatrix): {
  total: number;
  synced: number;
  outOfSync: number;
  drift: number;
  degraded: number;
} {
  const n = { total: 0, synced: 0, outOfSync: 0, drift: 0, degraded: 0 };
  for (const r of m.rows)
    for (const c of Object.values(r.cells)) {
      n.total += 1;
      if (c.sync === 'Synced') n.synced += 1;
      if (c.sync === 'OutOfSync') n.outOfSync += 1;
      if (c.drift) n.drift += 1;
      if (c.health === 'Degraded') n.degraded += 1;
    }
  return n;
}
