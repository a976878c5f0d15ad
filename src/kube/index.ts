export {
  KubeClient,
  refOf,
  type ApplyOptions,
  type RequestSpec,
  type ResourceInfo,
  type WatchEvent,
} from './client.js';
export { KubeApiError, KubeConnectionError, isConflict, isForbidden, isNotFound } from './errors.js';
export { loadConnection, type ClusterConnection } from './kubeconfig.js';
export type { KubeList, KubeObject, KubeStatus, ObjectMeta } from './types.js';
export { Informer, type InformerEvent, type InformerOptions } from './informer.js';
export { kubeconfigFor } from './kubeconfig-write.js';
