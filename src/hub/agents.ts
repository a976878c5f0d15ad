import { createHash } from 'node:crypto';
import type { Context, Hono } from 'hono';
import type { Logger } from 'pino';
import {
  AGENT_API,
  type AppReport,
  type Assignment,
  type AssignmentList,
  type StatusAck,
  type StatusBatch,
} from '../api/agent.js';
import {
  API_VERSION,
  applicationPath,
  type Application,
  type ApplicationStatus,
} from '../api/application.js';
import type { AuditSink } from '../governance/audit/index.js';
import { clusterPath, FLEET_NAMESPACE, type Cluster } from '../api/cluster.js';
import { recordEvent } from '../controllers/events.js';
import { replaceStatus } from '../controllers/status-write.js';
import type { KubeClient } from '../kube/client.js';
import type { Informer } from '../kube/informer.js';
import type { KubeObject } from '../kube/types.js';
import type { HubEnv } from './principal.js';

/** Labels of the hub's copy of an agent's autonomous Application. */
export const AGENT_CLUSTER_LABEL = 'gitfleet.dev/agent-cluster';
export const ORIGIN_LABEL = 'gitfleet.dev/origin';

/** How often an agent's contact is written to its Cluster; AGENT_SILENCE_MS is three of these. */
const HEARTBEAT_EVERY_MS = 60_000;
const MAX_WAIT_S = 60;

export interface AgentRoutesDeps {
  client: KubeClient;
  /** Applications of the management cluster (all namespaces), shared with the read API. */
  apps: Informer;
  /** Clusters in gitfleet-system. */
  clusters: Informer;
  /** Projects in gitfleet-system (shipped to agents with the assignments that name them). */
  projects: Informer;
  /** Where syncs that agents report (new history entries) are recorded. */
  audit?: AuditSink;
  log: Logger;
}

/**
 * The agent protocol: assignments by long-poll and status reports, for agent tokens only, each
 * limited to its own cluster; a cluster the hub drives itself (push mode) has no agent.
 */
export function mountAgentRoutes(app: Hono<HubEnv>, deps: AgentRoutesDeps): { stop(): void } {
  const index = new ClusterIndex();
  const waiters = new Map<string, Set<() => void>>();
  const wake = (cluster: string | undefined): void => {
    for (const w of waiters.get(cluster ?? '') ?? []) w();
  };
  deps.apps.on('event', (ev) => {
    if (ev.type !== 'added' && ev.type !== 'modified' && ev.type !== 'deleted') return;
    const a = ev.object as Application;
    for (const c of index.update(a, ev.type === 'deleted')) wake(c);
  });
  for (const a of deps.apps.list()) index.update(a as Application, false);
  // A Project or a cluster's labels change what agents enforce: wake who may be concerned.
  deps.projects.on('event', (ev) => {
    if (ev.type === 'added' || ev.type === 'modified' || ev.type === 'deleted')
      for (const c of waiters.keys()) wake(c);
  });
  deps.clusters.on('event', (ev) => {
    if (ev.type === 'added' || ev.type === 'modified') wake(ev.object.metadata.name);
  });

  const lastBatch = new Map<string, { bootId: string; seq: number }>();
  const chains = new Map<string, Promise<unknown>>();
  const beats = new Map<string, number>();

  /** Refuses anyone but this cluster's own agent, and clusters the hub drives itself. */
  const gate = (c: Context<HubEnv>, cluster: string): Response | undefined => {
    // Until the caches hold every Application and Cluster, an answer could be wrong in the worst
    // way: an empty assignment list deletes an agent's apps, a report for an unseen app is lost.
    if (!deps.apps.synced || !deps.clusters.synced || !deps.projects.synced)
      return c.json({ error: 'the hub is starting (caches not synced); retry' }, 503);
    const p = c.get('principal');
    if (p.kind !== 'agent') return c.json({ error: 'agent endpoints need an agent token' }, 403);
    if (p.cluster !== cluster)
      return c.json({ error: `this agent token belongs to cluster "${p.cluster}", not "${cluster}"` }, 403);
    const cl = deps.clusters.get(FLEET_NAMESPACE, cluster) as Cluster | undefined;
    if (!cl) return c.json({ error: `cluster "${cluster}" is not registered` }, 404);
    if (cl.spec.mode !== 'agent')
      return c.json(
        {
          error: `cluster "${cluster}" is in ${cl.spec.mode ?? 'push'} mode: the hub drives it; one owner per cluster (set spec.mode: agent to hand it to its agent)`,
        },
        409,
      );
    return undefined;
  };

  const heartbeat = async (
    cluster: string,
    agentVersion: string | undefined,
    force: boolean,
  ): Promise<void> => {
    const now = Date.now();
    if (!force && now - (beats.get(cluster) ?? 0) < HEARTBEAT_EVERY_MS) return;
    beats.set(cluster, now);
    const cl = deps.clusters.get(FLEET_NAMESPACE, cluster) as Cluster | undefined;
    if (!cl) return;
    await replaceStatus(deps.client, clusterPath(cluster), {
      ...cl.status,
      reachable: true,
      lastHeartbeat: new Date(now).toISOString(),
      ...(agentVersion ? { agentVersion } : {}),
      message: '',
    }).catch((e: unknown) => deps.log.debug({ cluster, err: String(e) }, 'heartbeat write failed'));
  };

  app.get(`${AGENT_API}/assignments`, async (c) => {
    const cluster = c.req.query('cluster') ?? '';
    const refused = gate(c, cluster);
    if (refused) return refused;
    const since = c.req.query('version');
    const waitS = Math.min(Number(c.req.query('wait') ?? '0') || 0, MAX_WAIT_S);
    void heartbeat(cluster, c.req.header('x-gitfleet-agent-version'), false);
    let list = assignments(deps, index, cluster);
    if (since && list.version === since && waitS > 0) {
      await new Promise<void>((resolve) => {
        const set = waiters.get(cluster) ?? new Set();
        waiters.set(cluster, set);
        const done = (): void => {
          clearTimeout(timer);
          set.delete(done);
          resolve();
        };
        const timer = setTimeout(done, waitS * 1000);
        c.req.raw.signal.addEventListener('abort', done, { once: true });
        set.add(done);
      });
      list = assignments(deps, index, cluster);
    }
    return c.json(list);
  });

  app.post(`${AGENT_API}/status`, async (c) => {
    const batch = (await c.req.json().catch(() => undefined)) as StatusBatch | undefined;
    if (
      !batch ||
      typeof batch.cluster !== 'string' ||
      typeof batch.seq !== 'number' ||
      !Array.isArray(batch.apps)
    )
      return c.json({ error: 'body must be a status batch: {cluster, bootId, seq, apps, events}' }, 400);
    const refused = gate(c, batch.cluster);
    if (refused) return refused;
    // One batch at a time per cluster, in the order they arrive; a repeat is acknowledged only.
    const run = (chains.get(batch.cluster) ?? Promise.resolve()).then(async (): Promise<StatusAck> => {
      const last = lastBatch.get(batch.cluster);
      if (last && last.bootId === batch.bootId && batch.seq <= last.seq) return { seq: last.seq };
      await heartbeat(batch.cluster, batch.agentVersion, !last || last.bootId !== batch.bootId);
      for (const r of batch.apps) await applyReport(deps, batch.cluster, r);
      for (const ev of batch.events ?? []) {
        const target = deps.apps.get(ev.namespace, ev.name) as Application | undefined;
        if (target && target.spec.destination.name === batch.cluster)
          await recordEvent(
            deps.client,
            target,
            ev.type,
            ev.reason,
            `[agent ${batch.cluster}] ${ev.message}`,
          );
      }
      lastBatch.set(batch.cluster, { bootId: batch.bootId, seq: batch.seq });
      return { seq: batch.seq };
    });
    chains.set(
      batch.cluster,
      run.catch(() => undefined),
    );
    return c.json(await run);
  });

  return {
    stop: () => {
      for (const set of waiters.values()) for (const w of set) w();
    },
  };
}

async function applyReport(deps: AgentRoutesDeps, cluster: string, r: AppReport): Promise<void> {
  if (r.origin === 'assigned') {
    const hubApp = deps.apps.get(r.namespace, r.name) as Application | undefined;
    // An agent may only report on apps the hub gave its cluster.
    if (!hubApp || hubApp.spec.destination.name !== cluster) return;
    if (r.deleted) {
      // The agent finished deleting (and pruning) its copy: the hub's may now go too.
      if (hubApp.metadata.deletionTimestamp && hubApp.metadata.finalizers?.length)
        await deps.client.request({
          method: 'PATCH',
          path: applicationPath(r.namespace, r.name),
          body: { metadata: { finalizers: null } },
          contentType: 'application/merge-patch+json',
        });
      return;
    }
    if (!r.status) return;
    if (JSON.stringify(hubApp.status ?? {}) === JSON.stringify(r.status)) return;
    await replaceStatus(deps.client, applicationPath(r.namespace, r.name), r.status);
    await auditAgentSyncs(deps, cluster, hubApp, r.status);
    return;
  }
  const name = mirrorName(cluster, r.namespace, r.name);
  if (r.deleted) {
    await deps.client.delete({
      apiVersion: API_VERSION,
      kind: 'Application',
      namespace: FLEET_NAMESPACE,
      name,
    });
    return;
  }
  if (!r.spec) return;
  const existing = deps.apps.get(FLEET_NAMESPACE, name) as Application | undefined;
  const spec = { ...r.spec, destination: { ...r.spec.destination, name: cluster } };
  if (!existing || JSON.stringify(existing.spec) !== JSON.stringify(spec)) {
    await deps.client.apply<Application>(
      {
        apiVersion: API_VERSION,
        kind: 'Application',
        metadata: {
          name,
          namespace: FLEET_NAMESPACE,
          labels: { [AGENT_CLUSTER_LABEL]: cluster, [ORIGIN_LABEL]: 'autonomous' },
          annotations: { 'gitfleet.dev/agent-object': `${r.namespace}/${r.name}` },
        },
        spec,
      },
      { fieldManager: 'gitfleet-hub-agents', force: true },
    );
  }
  if (r.status && JSON.stringify(existing?.status ?? {}) !== JSON.stringify(r.status))
    await replaceStatus(deps.client, applicationPath(FLEET_NAMESPACE, name), r.status);
}

/**
 * Records the syncs an agent reports (history entries the hub had not seen) in the audit trail.
 * The agent says which commit it deployed and when; which objects changed stays in its cluster.
 */
async function auditAgentSyncs(
  deps: AgentRoutesDeps,
  cluster: string,
  hubApp: Application,
  status: ApplicationStatus,
): Promise<void> {
  if (!deps.audit) return;
  const seen = new Set((hubApp.status?.history ?? []).map((h) => `${h.id}/${h.revision}`));
  for (const h of status.history ?? []) {
    if (seen.has(`${h.id}/${h.revision}`)) continue;
    await deps.audit
      .record({
        operation: 'auto-sync',
        trigger: 'automated',
        appNamespace: hubApp.metadata.namespace ?? '',
        app: hubApp.metadata.name,
        project: hubApp.spec.project ?? 'default',
        cluster,
        namespace: hubApp.spec.destination.namespace ?? hubApp.metadata.namespace ?? '',
        revision: h.revision,
        repoURL: h.source.repoURL,
        result: 'Succeeded',
        message: `synced by the agent of ${cluster}${h.message ? `: ${h.message}` : ''}`,
        startedAt: new Date(h.deployedAt),
        durationMs: 0,
        objects: [],
        unchanged: 0,
      })
      .catch((e: unknown) => deps.log.warn({ err: String(e) }, 'audit record of an agent sync failed'));
  }
}

/** The hub's name for an agent's autonomous Application (dots keep the parts apart). */
export function mirrorName(cluster: string, namespace: string, name: string): string {
  const full = `${cluster}.${namespace}.${name}`;
  if (full.length <= 253) return full;
  return `${full.slice(0, 240)}.${createHash('sha256').update(full).digest('hex').slice(0, 12)}`;
}

/** Which Applications are assigned to which cluster, kept current from the informer's events. */
class ClusterIndex {
  readonly #byCluster = new Map<string, Set<string>>();
  readonly #clusterOf = new Map<string, string>();

  /** Returns the clusters whose assignment sets may have changed. */
  update(a: Application, deleted: boolean): string[] {
    const key = `${a.metadata.namespace ?? ''}/${a.metadata.name}`;
    const before = this.#clusterOf.get(key);
    // The hub's copies of autonomous apps are reports, not assignments.
    const after =
      deleted || a.metadata.labels?.[ORIGIN_LABEL] === 'autonomous' ? undefined : a.spec.destination.name;
    if (before) this.#byCluster.get(before)?.delete(key);
    if (after) {
      const set = this.#byCluster.get(after) ?? new Set();
      set.add(key);
      this.#byCluster.set(after, set);
      this.#clusterOf.set(key, after);
    } else this.#clusterOf.delete(key);
    return [...new Set([before, after].filter((c): c is string => !!c))];
  }

  keys(cluster: string): string[] {
    return [...(this.#byCluster.get(cluster) ?? [])].sort();
  }
}

function assignments(deps: AgentRoutesDeps, index: ClusterIndex, cluster: string): AssignmentList {
  const items: Assignment[] = [];
  for (const key of index.keys(cluster)) {
    const [ns = '', name = ''] = key.split('/');
    const a = deps.apps.get(ns, name) as Application | undefined;
    if (!a || a.metadata.deletionTimestamp) continue;
    items.push({
      namespace: ns,
      name,
      spec: a.spec,
      labels: a.metadata.labels ?? {},
      annotations: Object.fromEntries(
        Object.entries(a.metadata.annotations ?? {}).filter(([k]) => k.startsWith('gitfleet.dev/')),
      ),
    });
  }
  const names = [...new Set(items.map((i) => i.spec.project ?? 'default'))].sort();
  const projects = names.flatMap((n) => {
    const p = deps.projects.get(FLEET_NAMESPACE, n) as (KubeObject & { spec?: unknown }) | undefined;
    return p ? [{ name: n, spec: p.spec ?? {} }] : [];
  });
  const labels = deps.clusters.get(FLEET_NAMESPACE, cluster)?.metadata.labels ?? {};
  const version = createHash('sha256')
    .update(JSON.stringify([items, projects, labels]))
    .digest('hex')
    .slice(0, 16);
  return { cluster, version, items, projects, labels };
}
