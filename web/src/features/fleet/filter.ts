import type { FleetCell, FleetColumn, FleetMatrix, FleetRow } from '../../api/types';

export interface FleetFilter {
  /** Substring of the service or Application name, case-insensitive. */
  name: string;
  /** '' for every project. */
  project: string;
  /** `key=value` or `key` (label present); '' for every cluster. */
  clusterLabel: string;
  status: StatusFilter;
}

export type StatusFilter = '' | 'OutOfSync' | 'drift' | 'Degraded' | 'Progressing' | 'unhealthy';

export const emptyFilter: FleetFilter = { name: '', project: '', clusterLabel: '', status: '' };

export function cellMatches(c: FleetCell, f: FleetFilter): boolean {
  if (f.project && (c.project ?? 'default') !== f.project) return false;
  switch (f.status) {
    case '':
      return true;
    case 'OutOfSync':
      return c.sync === 'OutOfSync';
    case 'drift':
      return c.drift;
    case 'unhealthy':
      return c.health !== 'Healthy';
    default:
      return c.health === f.status;
  }
}

export function columnMatches(col: FleetColumn, selector: string): boolean {
  const s = selector.trim();
  if (!s) return true;
  const eq = s.indexOf('=');
  if (eq < 0) return s in col.labels;
  return col.labels[s.slice(0, eq).trim()] === s.slice(eq + 1).trim();
}

/**
 * The part of the matrix the filters keep: columns by cluster label; rows that have at least one
 * cell, among the kept columns, that passes the project and status filters and whose service or
 * Application name contains the name filter. Cells that fail are dimmed by the grid, not removed,
 * so a row keeps its shape.
 */
export function applyFilter(m: FleetMatrix, f: FleetFilter): { columns: FleetColumn[]; rows: FleetRow[] } {
  const columns = m.columns.filter((c) => columnMatches(c, f.clusterLabel));
  const needle = f.name.trim().toLowerCase();
  const rows = m.rows.filter((r) => {
    const nameHit = !needle || r.service.toLowerCase().includes(needle);
    return columns.some((col) => {
      const c = r.cells[col.name];
      return !!c && (nameHit || c.name.toLowerCase().includes(needle)) && cellMatches(c, f);
    });
  });
  return { columns, rows };
}

/** The projects present, for the filter's choices. */
export function projectsOf(m: FleetMatrix): string[] {
  const s = new Set<string>();
  for (const r of m.rows) for (const c of Object.values(r.cells)) s.add(c.project ?? 'default');
  return [...s].sort();
}
