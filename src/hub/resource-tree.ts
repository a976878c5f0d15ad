import type { Application, ResourceStatus } from '../api/application.js';
import type { KubeClient } from '../kube/client.js';
import type { KubeObject } from '../kube/types.js';
import type { ResourceTree, TreeNode } from '../api/wire.js';
import { compareStrings } from '../core/compare-strings.js';

export type { ResourceTree, TreeNode };

/** Kinds whose objects own others that Git does not list (ownerReferences). */
const PARENT_KINDS = new Set([
  'apps/Deployment',
  'apps/StatefulSet',
  'apps/DaemonSet',
  'batch/CronJob',
  'batch/Job',
]);
/** Child kinds looked up by ownerReferences, per namespace. */
const CHILD_KINDS = [
  { apiVersion: 'apps/v1', kind: 'ReplicaSet' },
  { apiVersion: 'v1', kind: 'Pod' },
  { apiVersion: 'batch/v1', kind: 'Job' },
  { apiVersion: 'apps/v1', kind: 'ControllerRevision' },
];
/** Children per parent shown at most: a Deployment with 500 pods must not flood the page. */
const MAX_CHILDREN = 50;

/** The tree as the controller last recorded it, without children. */
export function treeFromStatus(app: Application, message?: string): ResourceTree {
  return {
    source: 'status',
    ...(message ? { message } : {}),
    nodes: (app.status?.resources ?? []).map((r) => ownedNode(r)),
  };
}

function ownedNode(r: ResourceStatus): TreeNode {
  return {
    group: r.group,
    version: r.version,
    kind: r.kind,
    ...(r.namespace ? { namespace: r.namespace } : {}),
    name: r.name,
    sync: r.status,
    ...(r.health ? { health: r.health } : {}),
    children: [],
  };
}

/**
 * The live tree: the Application's owned objects (status.resources) and, below the kinds that
 * own others, their ReplicaSets, Pods, Jobs and ControllerRevisions found by ownerReferences.
 * Throws when the destination cannot be read; the caller falls back to treeFromStatus.
 */
export async function liveTree(
  app: Application,
  dest: KubeClient,
  signal: AbortSignal,
): Promise<ResourceTree> {
  const owned = app.status?.resources ?? [];
  const nodes = owned.map((r) => ownedNode(r));
  const parents = owned
    .map((r, i) => ({ r, node: nodes[i] }))
    .filter(
      (p): p is { r: ResourceStatus; node: TreeNode } =>
        !!p.node && PARENT_KINDS.has(`${p.r.group}/${p.r.kind}`),
    );
  if (!parents.length) return { source: 'live', nodes };

  const namespaces = [...new Set(parents.map((p) => p.r.namespace).filter((n): n is string => !!n))];
  const children: KubeObject[] = [];
  for (const ns of namespaces) {
    for (const k of CHILD_KINDS) {
      const list = await dest.list(k.apiVersion, k.kind, { namespace: ns, signal });
      for (const o of list.items) children.push({ ...o, apiVersion: k.apiVersion, kind: k.kind });
    }
  }
  const byOwner = new Map<string, KubeObject[]>();
  for (const o of children) {
    for (const ref of ownerRefs(o)) {
      const list = byOwner.get(ref) ?? [];
      list.push(o);
      byOwner.set(ref, list);
    }
  }
  for (const p of parents) {
    const ref = {
      apiVersion: p.r.group ? `${p.r.group}/${p.r.version}` : p.r.version,
      kind: p.r.kind,
      name: p.r.name,
      ...(p.r.namespace ? { namespace: p.r.namespace } : {}),
    };
    const live = await dest.getOrUndefined(ref, signal);
    const uid = live?.metadata.uid;
    if (live) p.node.info = infoOf(live);
    if (uid) p.node.children = childrenOf(uid, byOwner, new Set([uid]));
  }
  return { source: 'live', nodes };
}

function ownerRefs(o: KubeObject): string[] {
  const refs = o.metadata.ownerReferences;
  if (!Array.isArray(refs)) return [];
  return refs
    .map((r: unknown) => (r && typeof r === 'object' && 'uid' in r ? String(r.uid) : ''))
    .filter((u) => u !== '');
}

function childrenOf(uid: string, byOwner: Map<string, KubeObject[]>, seen: Set<string>): TreeNode[] {
  const kids = (byOwner.get(uid) ?? [])
    // Old ReplicaSets scaled to zero are history, not part of what runs.
    .filter((o) => !(o.kind === 'ReplicaSet' && specNumber(o, 'replicas') === 0))
    .sort((a, b) => compareStrings(a.metadata.name, b.metadata.name))
    .slice(0, MAX_CHILDREN);
  return kids.map((o) => {
    const [group, version] = o.apiVersion.includes('/') ? o.apiVersion.split('/') : ['', o.apiVersion];
    const id = o.metadata.uid ?? '';
    const next = new Set(seen).add(id);
    return {
      group: group ?? '',
      version: version ?? '',
      kind: o.kind,
      ...(o.metadata.namespace ? { namespace: o.metadata.namespace } : {}),
      name: o.metadata.name,
      health: healthOf(o),
      info: infoOf(o),
      children: id && !seen.has(id) ? childrenOf(id, byOwner, next) : [],
    };
  });
}

function field(o: KubeObject, part: 'spec' | 'status'): Record<string, unknown> {
  const v = o[part];
  return v && typeof v === 'object' ? (v as Record<string, unknown>) : {};
}

function specNumber(o: KubeObject, key: string): number | undefined {
  const v = field(o, 'spec')[key];
  return typeof v === 'number' ? v : undefined;
}

function statusNumber(o: KubeObject, key: string): number {
  const v = field(o, 'status')[key];
  return typeof v === 'number' ? v : 0;
}

/** Health of the child kinds; owned objects get theirs from the controller. */
function healthOf(o: KubeObject): { status: string; message?: string } {
  const st = field(o, 'status');
  if (o.metadata.deletionTimestamp) return { status: 'Progressing', message: 'being deleted' };
  if (o.kind === 'Pod') {
    const phase = typeof st.phase === 'string' ? st.phase : 'Unknown';
    if (phase === 'Failed') return { status: 'Degraded', message: 'pod failed' };
    if (phase === 'Succeeded') return { status: 'Healthy' };
    const conditions = Array.isArray(st.conditions)
      ? (st.conditions as { type?: string; status?: string }[])
      : [];
    const ready = conditions.some((c) => c.type === 'Ready' && c.status === 'True');
    return ready ? { status: 'Healthy' } : { status: 'Progressing', message: `pod ${phase}` };
  }
  if (o.kind === 'ReplicaSet') {
    const want = specNumber(o, 'replicas') ?? 1;
    return statusNumber(o, 'readyReplicas') >= want
      ? { status: 'Healthy' }
      : { status: 'Progressing', message: `${statusNumber(o, 'readyReplicas')}/${want} ready` };
  }
  if (o.kind === 'Job') {
    if (statusNumber(o, 'failed') > 0) return { status: 'Degraded', message: 'job failed' };
    return statusNumber(o, 'succeeded') > 0 ? { status: 'Healthy' } : { status: 'Progressing' };
  }
  return { status: 'Healthy' };
}

function infoOf(o: KubeObject): string[] {
  const st = field(o, 'status');
  if (o.kind === 'Pod') {
    const containers = Array.isArray(st.containerStatuses)
      ? (st.containerStatuses as { restartCount?: number }[])
      : [];
    const restarts = containers.reduce((n, c) => n + (c.restartCount ?? 0), 0);
    return [String(st.phase ?? 'Unknown'), ...(restarts ? [`${restarts} restarts`] : [])];
  }
  const replicas = specNumber(o, 'replicas');
  if (replicas !== undefined) return [`${statusNumber(o, 'readyReplicas')}/${replicas} ready`];
  return [];
}
