import { createHash } from 'node:crypto';
import { Hono, type Context } from 'hono';
import type { Logger } from 'pino';
import {
  AGENT_API,
  REPORT_REFUSED,
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
import { boundStatus } from '../controllers/application/status.js';
import { IN_CLUSTER } from '../controllers/clusters.js';
import type { KubeClient } from '../kube/client.js';
import { isConflict } from '../kube/errors.js';
import type { Informer } from '../kube/informer.js';
import type { Project } from '../api/project.js';
import { answerError, fail } from './http-errors.js';
import type { HubEnv } from './principal.js';
import { agentSkewRefusal, gitfleetVersion } from '../core/version-skew.js';
import { judgeAgents, type AgentView } from '../controllers/cluster/agent-compat.js';
import { AgentPresence } from './agent-presence.js';

const HUB_VERSION = gitfleetVersion();

/** Labels of the hub's copy of an agent's autonomous Application. */
export const AGENT_CLUSTER_LABEL = 'gitfleet.dev/agent-cluster';
export const ORIGIN_LABEL = 'gitfleet.dev/origin';
/** Annotation on such a copy: the namespace/name the app has in the agent's cluster. */
export const AGENT_OBJECT_ANNOTATION = 'gitfleet.dev/agent-object';

/** How often an agent's contact is written to its Cluster; AGENT_SILENCE_MS is three of these. */
const HEARTBEAT_EVERY_MS = 60_000;
/**
 * How long an agent counts as connected after its last request ended (see AgentPresence): a
 * served agent polls again at once, a refused one retries within 2 s.
 */
const AGENT_LIVE_MS = 15_000;
const MAX_WAIT_S = 60;

export interface AgentRoutesDeps {
  client: KubeClient;
  /** Applications of the management cluster (all namespaces), shared with the read API. */
  apps: Informer<Application>;
  /** Clusters in gitfleet-system. */
  clusters: Informer<Cluster>;
  /** Projects in gitfleet-system (shipped to agents with the assignments that name them). */
  projects: Informer<Project>;
  /** Where syncs that agents report (new history entries) are recorded. */
  audit?: AuditSink;
  log: Logger;
}

/**
 * The agent protocol mounted at AGENT_API on an app of its own, with the hub's error answers:
 * for a test that authenticates its own way. The hub itself mounts `agentRoutes` under /api/v1.
 */
export function mountAgentRoutes(app: Hono<HubEnv>, deps: AgentRoutesDeps): { stop(): void } {
  const agents = agentRoutes(deps);
  const scoped = new Hono<HubEnv>();
  scoped.onError((e, c) => answerError(e, c, deps.log));
  scoped.route(AGENT_API, agents.routes);
  app.route('/', scoped);
  return { stop: agents.stop };
}

/**
 * The agent protocol (paths relative to AGENT_API): assignments by long-poll and status
 * reports, for agent tokens only, each limited to its own cluster; a cluster the hub drives
 * itself (push mode) has no agent. Refusals are thrown (`fail`).
 */
export function agentRoutes(deps: AgentRoutesDeps): { routes: Hono<HubEnv>; stop(): void } {
  const app = new Hono<HubEnv>();
  const index = new ClusterIndex();
  const waiters = new Map<string, Set<() => void>>();
  const wake = (cluster: string | undefined): void => {
    for (const w of waiters.get(cluster ?? '') ?? []) w();
  };
  deps.apps.on('event', (ev) => {
    if (ev.type !== 'added' && ev.type !== 'modified' && ev.type !== 'deleted') return;
    for (const c of index.update(ev.object, ev.type === 'deleted')) wake(c);
  });
  for (const a of deps.apps.list()) index.update(a, false);
  // A Project or a cluster's labels change what agents enforce: wake who may be concerned.
  deps.projects.on('event', (ev) => {
    if (ev.type === 'added' || ev.type === 'modified' || ev.type === 'deleted')
      for (const c of waiters.keys()) wake(c);
  });
  deps.clusters.on('event', (ev) => {
    if (ev.type === 'added' || ev.type === 'modified') wake(ev.object.metadata.name);
  });

  const lastBatch = new Map<string, { bootId: string; seq: number }>();
  /** resourceVersion of each Application as our last status write left it (see applyReport). */
  const written = new Map<string, string>();
  deps.apps.on('event', (ev) => {
    if (ev.type === 'deleted')
      written.delete(`${ev.object.metadata.namespace ?? ''}/${ev.object.metadata.name}`);
  });
  const chains = new Map<string, Promise<unknown>>();
  const beats = new Map<string, number>();
  /** This replica's last heartbeat written on each Cluster (ms, as written in lastHeartbeat). */
  const ourBeats = new Map<string, number>();
  /** Clusters whose AgentCompatible note about a refused agent this replica wrote. */
  const notes = new Set<string>();
  const presence = new AgentPresence(AGENT_LIVE_MS);

  /**
   * What this replica knows of a cluster's agents: those connected to it, and a compatible agent
   * another replica served (a heartbeat newer than this replica's own, recent enough that its
   * agent is still polling: heartbeats are written once a minute).
   */
  const viewOf = (cluster: string, cl: Cluster, now: number): AgentView => {
    const beat = Date.parse(cl.status?.lastHeartbeat ?? '');
    const version = cl.status?.agentVersion;
    const elsewhere =
      version &&
      beat > (ourBeats.get(cluster) ?? 0) &&
      now - beat < HEARTBEAT_EVERY_MS + AGENT_LIVE_MS &&
      !agentSkewRefusal(HUB_VERSION, version)
        ? version
        : undefined;
    return { live: presence.live(cluster, now), servedElsewhere: elsewhere, ownsNote: notes.has(cluster) };
  };

  /** Refuses anyone but this cluster's own agent, and clusters the hub drives itself. */
  const gate = (c: Context<HubEnv>, cluster: string): void => {
    // Until the caches hold every Application and Cluster, an answer could be wrong in the worst
    // way: an empty assignment list deletes an agent's apps, a report for an unseen app is lost.
    if (!deps.apps.synced || !deps.clusters.synced || !deps.projects.synced)
      fail(503, 'the hub is starting (caches not synced); retry');
    const p = c.get('principal');
    if (p.kind !== 'agent') fail(403, 'agent endpoints need an agent token');
    if (p.cluster !== cluster)
      fail(403, `this agent token belongs to cluster "${p.cluster}", not "${cluster}"`);
    const cl = deps.clusters.get(FLEET_NAMESPACE, cluster);
    if (!cl) fail(404, `cluster "${cluster}" is not registered`);
    if (cl.spec.mode !== 'agent')
      fail(
        409,
        `cluster "${cluster}" is in ${cl.spec.mode ?? 'push'} mode: the hub drives it; one owner per cluster (set spec.mode: agent to hand it to its agent)`,
      );
  };

  const heartbeat = async (
    cluster: string,
    agentVersion: string | undefined,
    force: boolean,
  ): Promise<void> => {
    const now = Date.now();
    const cl = deps.clusters.get(FLEET_NAMESPACE, cluster);
    // A served agent clears an AgentCompatible=False at once, not at the next heartbeat.
    const compat =
      cl && judgeAgents(cl.status, HUB_VERSION, viewOf(cluster, cl, now), new Date(now).toISOString());
    if (!compat && !force && now - (beats.get(cluster) ?? 0) < HEARTBEAT_EVERY_MS) return;
    beats.set(cluster, now);
    if (!cl) return;
    // Before the write: the cache may show it before the write's answer arrives.
    ourBeats.set(cluster, now);
    try {
      await deps.client.replaceStatus(
        clusterPath(cluster),
        {
          ...cl.status,
          reachable: true,
          lastHeartbeat: new Date(now).toISOString(),
          ...(agentVersion ? { agentVersion } : {}),
          ...(compat ? { conditions: compat.conditions } : {}),
          message: '',
        },
        // A change of the condition is written against what it was decided on, so two contacts
        // racing the cache write it (and its Event) once.
        compat && cl.metadata.resourceVersion ? { resourceVersion: cl.metadata.resourceVersion } : {},
      );
      if (compat) noteWritten(cluster, compat.noted);
      if (compat?.event)
        await deps.client.recordEvent(cl, compat.event.type, compat.event.reason, compat.event.message);
    } catch (e) {
      // Not written: the next contact tries again (beats is reset so it is not held back a minute).
      if (compat) beats.delete(cluster);
      deps.log.debug({ cluster, err: String(e) }, 'heartbeat write failed');
    }
  };

  const noteWritten = (cluster: string, noted: boolean): void => {
    if (noted) notes.add(cluster);
    else notes.delete(cluster);
  };

  /**
   * An agent refused for its version is recorded where operators look: AgentCompatible=False
   * (reason VersionSkew) on its Cluster and a Warning Event once no served agent of the cluster is
   * connected, else a note in the True condition's message (a roll-out under way). Its
   * agentVersion and heartbeat stay those of the last agent the hub served. Its retries write
   * nothing while the answer stays the same.
   */
  const noteSkew = async (cluster: string): Promise<void> => {
    const now = Date.now();
    const cl = deps.clusters.get(FLEET_NAMESPACE, cluster);
    const compat =
      cl && judgeAgents(cl.status, HUB_VERSION, viewOf(cluster, cl, now), new Date(now).toISOString());
    if (!cl || !compat) return;
    try {
      // Against the cached resourceVersion: a heartbeat written meanwhile is not overwritten.
      await deps.client.replaceStatus(
        clusterPath(cluster),
        { ...cl.status, conditions: compat.conditions },
        cl.metadata.resourceVersion ? { resourceVersion: cl.metadata.resourceVersion } : {},
      );
      noteWritten(cluster, compat.noted);
      if (compat.event)
        await deps.client.recordEvent(cl, compat.event.type, compat.event.reason, compat.event.message);
    } catch (e) {
      deps.log.debug(
        { cluster, err: String(e) },
        'agent version refusal not recorded on the Cluster; next contact retries',
      );
    }
  };

  app.get('/assignments', async (c) => {
    const cluster = c.req.query('cluster') ?? '';
    gate(c, cluster);
    // An agent too old or too new for this hub is refused by name (docs/install.md: version skew).
    const agentVersion = c.req.header('x-gitfleet-agent-version');
    const skew = agentSkewRefusal(HUB_VERSION, agentVersion);
    if (skew) {
      presence.touch(cluster, agentVersion, Date.now());
      await noteSkew(cluster);
      fail(409, skew);
    }
    // Connected while this request is open (a long-poll: most of the agent's time).
    const ended = presence.open(cluster, agentVersion, Date.now());
    try {
      return c.json(await longPoll(c, cluster, agentVersion));
    } finally {
      ended(Date.now());
    }
  });

  const longPoll = async (
    c: Context<HubEnv>,
    cluster: string,
    agentVersion: string | undefined,
  ): Promise<AssignmentList> => {
    const since = c.req.query('version');
    const waitS = Math.min(Number(c.req.query('wait') ?? '0') || 0, MAX_WAIT_S);
    void heartbeat(cluster, agentVersion, false);
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
    return list;
  };

  app.post('/status', async (c) => {
    const batch = (await c.req.json().catch(() => undefined)) as StatusBatch | undefined;
    if (
      !batch ||
      typeof batch.cluster !== 'string' ||
      typeof batch.seq !== 'number' ||
      !Array.isArray(batch.apps) ||
      !batch.apps.every(isReport)
    )
      fail(
        400,
        'body must be a status batch: {cluster, bootId, seq, apps: [{origin: assigned|autonomous, namespace, name, …}], events}',
      );
    gate(c, batch.cluster);
    presence.touch(batch.cluster, batch.agentVersion, Date.now());
    const skew = agentSkewRefusal(HUB_VERSION, batch.agentVersion);
    if (skew) {
      await noteSkew(batch.cluster);
      fail(409, skew);
    }
    // One batch at a time per cluster, in the order they arrive; a repeat is acknowledged only.
    const run = (chains.get(batch.cluster) ?? Promise.resolve()).then(
      async (): Promise<StatusAck | { refused: string[] }> => {
        const last = lastBatch.get(batch.cluster);
        if (last && last.bootId === batch.bootId && batch.seq <= last.seq) return { seq: last.seq };
        // A batch that reports on anything this cluster does not own is applied not at all.
        const refusals: string[] = [];
        for (const r of batch.apps) {
          const why = await refusalOf(deps, batch.cluster, r);
          if (why) refusals.push(why);
        }
        if (refusals.length) return { refused: refusals };
        await heartbeat(batch.cluster, batch.agentVersion, !last || last.bootId !== batch.bootId);
        // An agent's status is bounded by its own controller, but the hub does not take an
        // agent's word for what fits in etcd: the same bound is applied again (a no-op when kept).
        for (const r of batch.apps)
          await applyReport(
            deps,
            written,
            batch.cluster,
            r.status ? { ...r, status: boundStatus(r.status) } : r,
          );
        for (const ev of batch.events ?? []) {
          const target = deps.apps.get(ev.namespace, ev.name);
          if (target && target.spec.destination.name === batch.cluster)
            await deps.client.recordEvent(
              target,
              ev.type,
              ev.reason,
              `[agent ${batch.cluster}] ${ev.message}`,
            );
        }
        lastBatch.set(batch.cluster, { bootId: batch.bootId, seq: batch.seq });
        return { seq: batch.seq };
      },
    );
    chains.set(
      batch.cluster,
      run.catch(() => undefined),
    );
    let answer: StatusAck | { refused: string[] };
    try {
      answer = await run;
    } catch (e) {
      // Not acknowledged: the agent keeps the batch and sends it again. Nothing is dropped here.
      const message = e instanceof Error ? e.message : String(e);
      deps.log.warn(
        { cluster: batch.cluster, seq: batch.seq, err: message },
        'agent status batch not stored; the agent retries',
      );
      fail(503, `status not stored, retry: ${message}`);
    }
    if ('refused' in answer) {
      deps.log.warn(
        { cluster: batch.cluster, refused: answer.refused },
        'agent status batch refused: it reports on Applications its cluster does not own',
      );
      fail(403, `${REPORT_REFUSED}: ${answer.refused.join('; ')}`);
    }
    return c.json(answer);
  });

  return {
    routes: app,
    stop: () => {
      for (const set of waiters.values()) for (const w of set) w();
    },
  };
}

const MAX_CONFLICT_RETRIES = 5;

function isReport(r: unknown): r is AppReport {
  const x = r as Partial<AppReport> | null;
  return (
    !!x &&
    (x.origin === 'assigned' || x.origin === 'autonomous') &&
    typeof x.namespace === 'string' &&
    x.namespace !== '' &&
    typeof x.name === 'string' &&
    x.name !== ''
  );
}

/** The Application as the cache has it, else as the API server has it (the cache may lag). */
async function current(
  deps: AgentRoutesDeps,
  namespace: string,
  name: string,
): Promise<Application | undefined> {
  return deps.apps.get(namespace, name) ?? (await fetchApp(deps, namespace, name));
}

function fetchApp(deps: AgentRoutesDeps, namespace: string, name: string): Promise<Application | undefined> {
  return deps.client.getOrUndefined<Application>({
    apiVersion: API_VERSION,
    kind: 'Application',
    namespace,
    name,
  });
}

/** Whether `a` is the hub's copy of this cluster's autonomous app `r` (labels and annotation all say so). */
function ownsMirror(a: Application, cluster: string, r: AppReport): boolean {
  return (
    a.metadata.labels?.[AGENT_CLUSTER_LABEL] === cluster &&
    a.metadata.labels[ORIGIN_LABEL] === 'autonomous' &&
    a.metadata.annotations?.[AGENT_OBJECT_ANNOTATION] === `${r.namespace}/${r.name}`
  );
}

/**
 * Why this cluster's agent may not make this report, or undefined when it may. An agent touches
 * only what its cluster owns: Applications the hub assigned to it, and the hub's copies of its own
 * autonomous apps (labelled with its cluster). Never a hub-only app, another cluster's app, or an
 * object that merely has the name a copy would have.
 */
async function refusalOf(deps: AgentRoutesDeps, cluster: string, r: AppReport): Promise<string | undefined> {
  if (r.origin === 'assigned') {
    const a = await current(deps, r.namespace, r.name);
    if (!a) return undefined; // gone from the hub: nothing to protect (dropped, and logged, when applied)
    if (a.metadata.labels?.[ORIGIN_LABEL] === 'autonomous')
      return `${r.namespace}/${r.name} is the hub's copy of an autonomous app, not an assignment`;
    const dest = a.spec.destination.name;
    if (dest !== cluster)
      return `${r.namespace}/${r.name} is assigned to ${dest && dest !== IN_CLUSTER ? `cluster "${dest}"` : 'the hub itself'}, not to "${cluster}"`;
    return undefined;
  }
  const name = mirrorName(cluster, r.namespace, r.name);
  const existing = await current(deps, FLEET_NAMESPACE, name);
  if (existing && !ownsMirror(existing, cluster, r))
    return `Application ${FLEET_NAMESPACE}/${name} exists and is not the hub's copy of ${cluster}'s ${r.namespace}/${r.name}`;
  return undefined;
}

/**
 * Stores one report. Every write is conditional on the resourceVersion it was decided on, and a
 * conflict is decided again on a fresh read: a report is stored, or found to be moot (its app is
 * gone or reassigned: logged), or the batch fails and the agent sends it again. Never acknowledged
 * and lost.
 */
async function applyReport(
  deps: AgentRoutesDeps,
  written: Map<string, string>,
  cluster: string,
  r: AppReport,
): Promise<void> {
  if (r.origin === 'autonomous') return applyAutonomous(deps, written, cluster, r);
  const key = `${r.namespace}/${r.name}`;
  let app = deps.apps.get(r.namespace, r.name);
  // A status equal to the cache's is news only if the cache may be behind our own last write.
  let fresh = false;
  if (!app) {
    app = await fetchApp(deps, r.namespace, r.name);
    fresh = true;
  }
  for (let attempt = 0; ; attempt++) {
    if (!app) {
      deps.log.info(
        { cluster, app: key },
        'agent report dropped: the Application no longer exists on the hub',
      );
      return;
    }
    if (app.spec.destination.name !== cluster || app.metadata.labels?.[ORIGIN_LABEL] === 'autonomous') {
      deps.log.info({ cluster, app: key }, 'agent report dropped: the Application was reassigned meanwhile');
      return;
    }
    if (r.deleted) {
      // The agent finished deleting (and pruning) its copy: the hub's may now go too.
      if (app.metadata.deletionTimestamp && app.metadata.finalizers?.length)
        await deps.client.patch(applicationPath(r.namespace, r.name), { metadata: { finalizers: null } });
      return;
    }
    if (!r.status) return;
    const trusted =
      fresh || (written.get(key) ?? app.metadata.resourceVersion) === app.metadata.resourceVersion;
    if (trusted && JSON.stringify(app.status ?? {}) === JSON.stringify(r.status)) return;
    try {
      const rv = await writeStatusAt(deps.client, applicationPath(r.namespace, r.name), app, r.status);
      written.set(key, rv);
      await auditAgentSyncs(deps, cluster, app, r.status);
      return;
    } catch (e) {
      if (!isConflict(e) || attempt >= MAX_CONFLICT_RETRIES) throw e;
    }
    app = await fetchApp(deps, r.namespace, r.name);
    fresh = true;
  }
}

async function applyAutonomous(
  deps: AgentRoutesDeps,
  written: Map<string, string>,
  cluster: string,
  r: AppReport,
): Promise<void> {
  const name = mirrorName(cluster, r.namespace, r.name);
  const key = `${FLEET_NAMESPACE}/${name}`;
  let existing = await current(deps, FLEET_NAMESPACE, name);
  for (let attempt = 0; ; attempt++) {
    if (existing && !ownsMirror(existing, cluster, r)) {
      // Checked before the batch was applied; someone made this object since. Not ours to touch.
      deps.log.warn({ cluster, app: key }, 'agent report dropped: the Application is not the agent’s copy');
      return;
    }
    try {
      if (r.deleted) {
        // Exactly the object checked: a same-named one made meanwhile fails the precondition.
        if (existing)
          await deps.client.request({
            method: 'DELETE',
            path: applicationPath(FLEET_NAMESPACE, name),
            body: {
              kind: 'DeleteOptions',
              apiVersion: 'v1',
              preconditions: {
                uid: existing.metadata.uid,
                resourceVersion: existing.metadata.resourceVersion,
              },
            },
          });
        return;
      }
      if (!r.spec) return;
      const spec = { ...r.spec, destination: { ...r.spec.destination, name: cluster } };
      const metadata = {
        name,
        namespace: FLEET_NAMESPACE,
        labels: { [AGENT_CLUSTER_LABEL]: cluster, [ORIGIN_LABEL]: 'autonomous' },
        annotations: { [AGENT_OBJECT_ANNOTATION]: `${r.namespace}/${r.name}` },
      };
      if (!existing)
        existing = await deps.client.create<Application>({
          apiVersion: API_VERSION,
          kind: 'Application',
          metadata,
          spec,
        });
      else if (JSON.stringify(existing.spec) !== JSON.stringify(spec))
        // Forced only over our own copy, and only as it was when checked (resourceVersion).
        existing = await deps.client.apply<Application>(
          {
            apiVersion: API_VERSION,
            kind: 'Application',
            metadata: { ...metadata, resourceVersion: existing.metadata.resourceVersion },
            spec,
          },
          { fieldManager: 'gitfleet-hub-agents', force: true },
        );
      if (r.status && JSON.stringify(existing.status ?? {}) !== JSON.stringify(r.status))
        written.set(
          key,
          await writeStatusAt(deps.client, applicationPath(FLEET_NAMESPACE, name), existing, r.status),
        );
      return;
    } catch (e) {
      if (!isConflict(e) || attempt >= MAX_CONFLICT_RETRIES) throw e;
    }
    existing = await fetchApp(deps, FLEET_NAMESPACE, name);
  }
}

/**
 * Replaces the status as a whole, if the object is still at the resourceVersion it was read at:
 * a 409 Conflict otherwise. Returns the resourceVersion the write left.
 */
async function writeStatusAt(
  client: KubeClient,
  objectPath: string,
  read: Application,
  status: ApplicationStatus,
): Promise<string> {
  const updated = await client.replaceStatus<Application>(objectPath, status, {
    ...(read.metadata.resourceVersion ? { resourceVersion: read.metadata.resourceVersion } : {}),
  });
  return updated.metadata.resourceVersion ?? '';
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
    const a = deps.apps.get(ns, name);
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
    const p = deps.projects.get(FLEET_NAMESPACE, n);
    return p ? [{ name: n, spec: p.spec ?? {} }] : [];
  });
  const labels = deps.clusters.get(FLEET_NAMESPACE, cluster)?.metadata.labels ?? {};
  const version = createHash('sha256')
    .update(JSON.stringify([items, projects, labels]))
    .digest('hex')
    .slice(0, 16);
  return { cluster, version, items, projects, labels };
}
