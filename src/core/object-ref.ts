/** Identifies one Kubernetes object independent of version. */
export interface ObjectRef {
  /** `group/version` or `v1` for the core group. */
  apiVersion: string;
  kind: string;
  /** Absent for cluster-scoped objects. */
  namespace?: string | undefined;
  name: string;
}

/** The canonical text form of an object reference, `Kind/namespace/name` (or `Kind/name`). */
export function formatObjectRef(ref: Pick<ObjectRef, 'kind' | 'namespace' | 'name'>): string {
  return ref.namespace ? `${ref.kind}/${ref.namespace}/${ref.name}` : `${ref.kind}/${ref.name}`;
}

/** The API group of an apiVersion: `apps/v1` → `apps`, `v1` → `` (core). */
export function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}
