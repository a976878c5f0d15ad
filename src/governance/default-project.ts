import { API_VERSION } from '../api/application.js';
import type { Project } from '../api/project.js';
import { hubNamespaces } from './protected.js';

// The destination name of the controller's own cluster (src/controllers/clusters.ts IN_CLUSTER).
const IN_CLUSTER = 'in-cluster';

/** The project of Applications that name none. */
export const DEFAULT_PROJECT_NAME = 'default';

/**
 * The built-in `default` project, used while no Project named `default` exists in the controller
 * namespace. Least privilege, unlike Argo CD's: only Applications in the controller's namespace may
 * use it (no `sourceNamespaces`), any repository, any namespace of a registered cluster except the
 * hub's, never the hub's own cluster (`in-cluster`), and no cluster-scoped kind. Admins who want
 * more grant it by creating a Project named `default`, which then replaces this one entirely
 * (nothing is merged); the protected-resource rules hold whatever that Project says.
 */
export function builtinDefaultProject(namespace: string): Project {
  return {
    apiVersion: API_VERSION,
    kind: 'Project',
    metadata: { name: DEFAULT_PROJECT_NAME, namespace, annotations: { 'gitfleet.dev/builtin': 'true' } },
    spec: {
      sourceNamespaces: [],
      sourceRepos: ['*'],
      destinations: [
        { cluster: '*', namespace: '*' },
        { cluster: `!${IN_CLUSTER}`, namespace: '*' },
        ...hubNamespaces(namespace).map((ns) => ({ cluster: '*', namespace: `!${ns}` })),
      ],
      clusterResourceWhitelist: [],
    },
  };
}
