import { destinationClusterName, type Application } from '../api/application.js';
import { APPLICATIONSET_LABEL } from '../api/applicationset.js';
import type { Cluster } from '../api/cluster.js';
import type { FleetCell, FleetColumn, FleetRow, FleetMatrix as WireFleetMatrix } from '../api/wire.js';

/** The label that names an Application's service (matrix row) explicitly; wins over the name rule. */
export const SERVICE_LABEL = 'gitfleet.dev/service';

/** A matrix as built here; the route adds `generatedAt` (wire FleetMatrix). */
export type FleetMatrix = Omit<WireFleetMatrix, 'generatedAt'>;
export type { FleetCell, FleetColumn, FleetRow };

/**
 * The service (matrix row) an Application belongs to: the `gitfleet.dev/service` label when set;
 * else its name without the destination cluster's name where that is a `-`-separated prefix or
 * suffix (`web-prod` and `prod-web` on cluster `prod` are both `web`), which is how ApplicationSet
 * templates such as `{{svc}}-{{name}}` name their Applications; else the whole name.
 */
export function serviceName(app: Application): string {
  const label = app.metadata.labels?.[SERVICE_LABEL];
  if (label) return label;
  const name = app.metadata.name;
  const cluster = destinationOf(app);
  if (name.endsWith(`-${cluster}`) && name.length > cluster.length + 1)
    return name.slice(0, -(cluster.length + 1));
  if (name.startsWith(`${cluster}-`) && name.length > cluster.length + 1)
    return name.slice(cluster.length + 1);
  return name;
}

/** The app's cluster; `destination.server` names the registered Cluster with that URL (given `clusters`). */
export function destinationOf(app: Application, clusters: readonly Cluster[] = []): string {
  return destinationClusterName(app.spec.destination, clusters);
}

/**
 * Drift as the controller defines it (it records no condition for it): OutOfSync while the
 * compared revision is the one the last successful sync applied, so the change came from the
 * cluster. A `DriftDetected` condition, should a controller set one, counts too.
 */
export function isDrifted(app: Application): boolean {
  const st = app.status;
  if (st?.conditions?.some((c) => (c.type as string) === 'DriftDetected' && c.status === 'True')) return true;
  const op = st?.operationState;
  return (
    st?.sync?.status === 'OutOfSync' &&
    op?.phase === 'Succeeded' &&
    op.revision !== undefined &&
    op.revision === st.sync.revision
  );
}

export function cellOf(app: Application): FleetCell {
  const st = app.status;
  return {
    namespace: app.metadata.namespace ?? '',
    name: app.metadata.name,
    sync: st?.sync?.status ?? 'Unknown',
    health: st?.health?.status ?? 'Unknown',
    drift: isDrifted(app),
    ...(st?.sync?.revision ? { revision: st.sync.revision } : {}),
    ...(app.spec.project ? { project: app.spec.project } : {}),
  };
}

/**
 * Builds the matrix: columns are the registered Clusters (sorted) plus any destination an
 * Application names without a Cluster object (such as `in-cluster`); rows are services, sorted.
 * Two Applications of one service in the same namespace on the same cluster cannot share a cell:
 * the second gets a row of its own under its full name, so nothing is hidden.
 */
export function buildFleetMatrix(apps: Application[], clusters: Cluster[]): FleetMatrix {
  const columns = new Map<string, FleetColumn>();
  for (const cl of clusters) {
    columns.set(cl.metadata.name, {
      name: cl.metadata.name,
      labels: cl.metadata.labels ?? {},
      mode: cl.spec.mode ?? 'push',
      ...(cl.status?.reachable !== undefined ? { reachable: cl.status.reachable } : {}),
    });
  }
  const rows = new Map<string, FleetRow>();
  const sorted = [...apps].sort((a, b) =>
    `${a.metadata.namespace}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace}/${b.metadata.name}`),
  );
  for (const app of sorted) {
    const cluster = destinationOf(app, clusters);
    if (!columns.has(cluster)) columns.set(cluster, { name: cluster, labels: {}, mode: 'push' });
    const ns = app.metadata.namespace ?? '';
    let service = serviceName(app);
    if (rows.get(`${ns}/${service}`)?.cells[cluster]) service = app.metadata.name;
    const key = `${ns}/${service}`;
    let row = rows.get(key);
    if (!row) {
      const set = app.metadata.labels?.[APPLICATIONSET_LABEL];
      row = { key, service, namespace: ns, ...(set ? { applicationSet: set } : {}), cells: {} };
      rows.set(key, row);
    }
    row.cells[cluster] = cellOf(app);
  }
  return {
    columns: [...columns.values()].sort((a, b) => a.name.localeCompare(b.name)),
    rows: [...rows.values()].sort((a, b) => a.key.localeCompare(b.key)),
  };
}
