import { API_VERSION } from '../api/application.js';
import type { Project } from '../api/project.js';

/** The project of Applications that name none. */
export const DEFAULT_PROJECT_NAME = 'default';

/**
 * The built-in `default` project, used while no Project named `default` exists in the controller
 * namespace. It is deliberately permissive, as Argo CD's: every repository, destination and kind,
 * no windows, no policies, no impersonation. Admins restrict it by creating a Project named
 * `default`, which then replaces this one entirely (nothing is merged).
 */
export function builtinDefaultProject(namespace: string): Project {
  return {
    apiVersion: API_VERSION,
    kind: 'Project',
    metadata: { name: DEFAULT_PROJECT_NAME, namespace, annotations: { 'gitfleet.dev/builtin': 'true' } },
    spec: {
      sourceRepos: ['*'],
      destinations: [{ cluster: '*', namespace: '*' }],
      clusterResourceWhitelist: [{ group: '*', kind: '*' }],
    },
  };
}
