import type { KubeObject } from './types.js';

/**
 * An object's identity and version, nothing else: what a watch keeps when it is read only to tell
 * whether an object changed (its managedFields, labels and annotations are most of its metadata).
 */
export function versionOnly(o: KubeObject): KubeObject {
  const m = o.metadata;
  return {
    apiVersion: o.apiVersion,
    kind: o.kind,
    metadata: {
      name: m.name,
      ...(m.namespace !== undefined ? { namespace: m.namespace } : {}),
      ...(m.resourceVersion !== undefined ? { resourceVersion: m.resourceVersion } : {}),
    },
  };
}
