/**
 * The object-level change between two renders of one app: which objects head adds, drops or
 * changes. Pure; the dry-run against the cluster is the caller's.
 */
import { isDeepStrictEqual } from 'node:util';

import type { Manifest } from '../engine/manifest.js';
import type { KubeObject } from '../kube/types.js';

/** Identity of an object in a render: group/kind/namespace/name (namespace defaulted). */
export function objectIdentity(o: KubeObject, defaultNamespace: string): string {
  const group = o.apiVersion.includes('/') ? o.apiVersion.split('/')[0] : '';
  return `${group}/${o.kind}/${o.metadata.namespace ?? defaultNamespace}/${o.metadata.name}`;
}

/** `Kind/namespace/name`, the form policy results and the UI use. */
export function objectRef(o: KubeObject, defaultNamespace: string): string {
  return `${o.kind}/${o.metadata.namespace ?? defaultNamespace}/${o.metadata.name}`;
}

export interface RenderDelta {
  created: KubeObject[];
  changed: KubeObject[];
  deleted: KubeObject[];
}

/** Objects of `head` absent from `base`, present in both but different, and only in `base`. */
export function renderDelta(base: Manifest[], head: Manifest[], defaultNamespace: string): RenderDelta {
  const before = new Map(base.map((m) => [objectIdentity(m.object, defaultNamespace), m.object]));
  const after = new Map(head.map((m) => [objectIdentity(m.object, defaultNamespace), m.object]));
  const delta: RenderDelta = { created: [], changed: [], deleted: [] };
  for (const [id, o] of after) {
    const was = before.get(id);
    if (!was) delta.created.push(o);
    else if (!isDeepStrictEqual(withNamespace(was, defaultNamespace), withNamespace(o, defaultNamespace)))
      delta.changed.push(o);
  }
  for (const [id, o] of before) if (!after.has(id)) delta.deleted.push(o);
  return delta;
}

/** The object as the cluster would hold it: an omitted namespace is the app's default one. */
function withNamespace(o: KubeObject, ns: string): KubeObject {
  return o.metadata.namespace ? o : { ...o, metadata: { ...o.metadata, namespace: ns } };
}
