import { memo, type ReactNode } from 'react';
import type { FleetCell, FleetColumn, FleetRow } from '../../api/types';
import { appPath, clusterPath, Link, rolloutPath } from '../../app/router';
import { tone } from '../../components/StatusBadge';
import { useRowWindow } from './use-window';

const ROW_HEIGHT = 44;
const HEADER_HEIGHT = 56;
const NAME_WIDTH = 260;
const CELL_WIDTH = 132;

/**
 * The fleet matrix: services down, clusters across, one coloured cell per Application. Only the
 * rows in view are in the DOM (useRowWindow); the header and the service column stay put while
 * scrolling. `dim` cells exist but fail the status/project filter.
 */
export function MatrixGrid(props: {
  columns: FleetColumn[];
  rows: FleetRow[];
  dim: (c: FleetCell) => boolean;
}): ReactNode {
  const { columns, rows } = props;
  const win = useRowWindow(rows.length, ROW_HEIGHT);
  const width = NAME_WIDTH + columns.length * CELL_WIDTH;
  const visible = rows.slice(win.start, win.end);
  return (
    <div className="matrix" ref={win.ref} onScroll={win.onScroll} data-testid="matrix">
      <div style={{ width, height: HEADER_HEIGHT + rows.length * ROW_HEIGHT, position: 'relative' }}>
        <div className="matrix-header" style={{ width, height: HEADER_HEIGHT }}>
          <div className="matrix-corner" style={{ width: NAME_WIDTH }}>
            service \ cluster
          </div>
          {columns.map((col) => (
            <div key={col.name} className="matrix-col" style={{ width: CELL_WIDTH }} title={labelText(col)}>
              <Link to={clusterPath(col.name)}>{col.name}</Link>
              <span className={`reach ${col.reachable === false ? 'bad' : col.reachable ? 'ok' : 'unknown'}`}>
                {col.reachable === false ? 'unreachable' : col.mode}
              </span>
            </div>
          ))}
        </div>
        {visible.map((row, i) => (
          <div
            key={row.key}
            className="matrix-row"
            style={{ top: HEADER_HEIGHT + (win.start + i) * ROW_HEIGHT, height: ROW_HEIGHT, width }}
          >
            <div className="matrix-name" style={{ width: NAME_WIDTH }} title={row.key}>
              <span className="service">{row.service}</span>
              <span className="muted small">
                {row.namespace}
                {row.applicationSet && (
                  <>
                    {' · '}
                    <Link to={rolloutPath(row.namespace, row.applicationSet)} title="roll-out">
                      {row.applicationSet}
                    </Link>
                  </>
                )}
              </span>
            </div>
            {columns.map((col) => {
              const c = row.cells[col.name];
              return c ? (
                <Cell key={col.name} cell={c} cluster={col.name} dim={props.dim(c)} />
              ) : (
                <div key={col.name} className="cell empty" style={{ width: CELL_WIDTH }} />
              );
            })}
          </div>
        ))}
      </div>
    </div>
  );
}

// Memoised: a live update of one Application re-renders one cell, not the visible window.
const Cell = memo(function Cell(props: { cell: FleetCell; cluster: string; dim: boolean }): ReactNode {
  const c = props.cell;
  const worst =
    c.health === 'Degraded' || c.health === 'Missing'
      ? 'bad'
      : c.sync === 'OutOfSync'
        ? 'warn'
        : tone(c.health);
  const badge = placeBadge(c);
  return (
    <Link
      to={appPath(c.namespace, c.name)}
      style={{ width: CELL_WIDTH }}
      className={`cell ${worst} sync-${tone(c.sync)} ${c.drift ? 'drift' : ''} ${props.dim ? 'dim' : ''}`}
      title={`${c.namespace}/${c.name} on ${props.cluster}\n${c.sync} · ${c.health}${c.drift ? ' · drift (changed in the cluster)' : ''}${c.revision ? `\nrevision ${c.revision.slice(0, 12)}` : ''}${placeLines(c)}`}
    >
      <span
        className="cell-inner"
        data-testid={`cell-${c.namespace}-${c.name}`}
        data-sync={c.sync}
        data-health={c.health}
        data-drift={c.drift ? 'true' : 'false'}
        data-revision={c.revision ?? ''}
        data-step={c.rollout ? String(c.rollout.step) : ''}
        data-stage={c.promotion?.stage ?? ''}
      >
        <span className="cell-sync">
          {c.sync}
          {c.drift && <span className="drift-mark">drift</span>}
          {badge && <span className={`step-mark ${badge.state}`}>{badge.text}</span>}
        </span>
        <span className="cell-health">
          {c.health}
          {c.revision && <span className="cell-rev">{c.revision.slice(0, 7)}</span>}
        </span>
      </span>
    </Link>
  );
});

/**
 * Where a cell is in a delivery flow, at a glance: its roll-out step (`S2/3`, marked while that
 * step is the one rolling, dim while it waits) or its promotion stage (`← staging` while a
 * promotion enters it).
 */
function placeBadge(c: FleetCell): { text: string; state: 'active' | 'pending' | 'done' } | undefined {
  const r = c.rollout;
  if (r) {
    const text = `S${r.step + 1}/${r.steps}`;
    if (r.current === undefined || r.phase === 'Completed') return { text, state: 'done' };
    return { text, state: r.step === r.current ? 'active' : r.step > r.current ? 'pending' : 'done' };
  }
  const p = c.promotion;
  if (p) return { text: `${p.direction === 'in' ? '← ' : ''}${p.stage}`, state: p.phase ? 'active' : 'done' };
  return undefined;
}

function placeLines(c: FleetCell): string {
  const r = c.rollout;
  const p = c.promotion;
  return [
    r
      ? `\nroll-out ${r.applicationSet}: step ${r.step + 1} of ${r.steps}${r.current !== undefined ? ` (roll-out at step ${r.current + 1}, ${r.phase ?? ''}${r.revision ? ` ${r.revision.slice(0, 12)}` : ''})` : ''}`
      : '',
    p
      ? `\npipeline ${p.pipeline}: stage ${p.stage}${p.phase ? ` (promotion ${p.direction === 'in' ? 'into' : 'out of'} it: ${p.phase}${p.revision ? ` ${p.revision}` : ''})` : ''}`
      : '',
  ].join('');
}

function labelText(col: FleetColumn): string {
  const l = Object.entries(col.labels).map(([k, v]) => `${k}=${v}`);
  return l.length ? l.join('\n') : 'no labels';
}
