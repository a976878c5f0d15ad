import { parseArgs } from 'node:util';
import type { ClusterSummary, FleetCell, FleetMatrix } from '../../api/wire.js';
import type { HubClient } from '../../core/hub-client.js';
import { hubFlags, hubFrom, withHub } from '../hub.js';
import { formatTable, parseFormat, printData, UsageError } from '../output.js';

type Matrix = FleetMatrix;
type ClusterItem = ClusterSummary;

const USAGE = `usage: gitfleet fleet status [--watch] [--hub URL] [-o json|yaml]
  clusters × applications with sync, health, revision, drift (!) and roll-out step or promotion stage,
  and when each cluster was last seen`;

/** `gitfleet fleet status`: the whole fleet in one table, from the hub. */
export async function fleetCommand(argv: string[]): Promise<number> {
  const [verb, ...rest] = argv;
  if (verb !== 'status') throw new UsageError(USAGE);
  const { values } = parseArgs({
    args: rest,
    options: { ...hubFlags, watch: { type: 'boolean', short: 'w' }, output: { type: 'string', short: 'o' } },
  });
  const hub = hubFrom(values);
  if (!hub) throw new UsageError(`${USAGE}\n(no hub: pass --hub URL or run 'gitfleet login')`);
  const format = parseFormat(values.output);
  return withHub(hub, async (c) => {
    if (!values.watch) {
      await show(c, format);
      return 0;
    }
    let last = '';
    for (;;) {
      const text = await render(c);
      if (text !== last) {
        // Redraw in place: clear the screen, then the table and the time it was taken.
        process.stdout.write(
          `\x1b[2J\x1b[H${text}\n(${new Date().toISOString()}, watching; Ctrl-C to stop)\n`,
        );
        last = text;
      }
      await new Promise((r) => setTimeout(r, 2000));
    }
  });
}

async function show(c: HubClient, format: 'table' | 'json' | 'yaml'): Promise<void> {
  if (format !== 'table') {
    const [matrix, clusters] = await Promise.all([
      c.request<Matrix>('GET', '/api/v1/fleet'),
      c.request<{ items: ClusterItem[] }>('GET', '/api/v1/clusters'),
    ]);
    printData({ ...matrix, clusters: clusters.items }, format);
    return;
  }
  console.log(await render(c));
}

async function render(c: HubClient): Promise<string> {
  const [m, clusters] = await Promise.all([
    c.request<Matrix>('GET', '/api/v1/fleet'),
    c.request<{ items: ClusterItem[] }>('GET', '/api/v1/clusters'),
  ]);
  return [
    formatTable(
      ['service', ...m.columns.map((col) => col.name)],
      m.rows.map((r) => [
        `${r.namespace}/${r.service}`,
        ...m.columns.map((col) => {
          const cell = r.cells[col.name];
          if (!cell) return '-';
          return `${cell.sync}/${cell.health}${cell.drift ? '!' : ''} ${(cell.revision ?? '').slice(0, 7)} ${place(cell)}`.trim();
        }),
      ]),
    ),
    '',
    formatTable(
      ['cluster', 'mode', 'reachable', 'last seen'],
      clusters.items.map((cl) => [
        cl.name,
        cl.mode,
        cl.status.reachable === undefined ? 'unknown' : String(cl.status.reachable),
        ago(cl.status.lastHeartbeat ?? cl.status.lastCheck),
      ]),
    ),
  ].join('\n');
}

/**
 * Where the cell is in a delivery flow: `step 2/3` of its roll-out (`*` while that step rolls,
 * `…` while it waits for earlier steps), or its promotion stage (`←staging` while a promotion
 * enters it).
 */
export function place(cell: FleetCell): string {
  const r = cell.rollout;
  if (r) {
    const active = r.current !== undefined && r.phase !== 'Completed';
    const mark = !active ? '' : r.step === r.current ? '*' : r.step > (r.current ?? 0) ? '…' : '';
    return `step ${r.step + 1}/${r.steps}${mark}`;
  }
  const p = cell.promotion;
  if (p) return `${p.direction === 'in' && p.phase ? '←' : ''}${p.stage}`;
  return '';
}

function ago(iso: string | undefined): string {
  if (!iso) return 'never';
  const s = Math.round((Date.now() - Date.parse(iso)) / 1000);
  return s < 120 ? `${s}s ago` : `${Math.round(s / 60)}m ago`;
}
