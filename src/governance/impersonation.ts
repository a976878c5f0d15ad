import type { Project } from '../api/project.js';
import { GitfleetError } from '../core/errors.js';
import { wildcard } from './glob.js';
import { serverGlobMatches } from './project.js';

/**
 * The user the engine impersonates for a destination, `system:serviceaccount:<ns>:<name>`, from
 * the first `destinationServiceAccounts` entry matching cluster (by name glob `cluster` and, as
 * Argo CD writes it, API URL glob `server`; each one set must match) and namespace; undefined when
 * none matches (the controller then acts as itself). `serviceAccount` (Argo CD:
 * `defaultServiceAccount`) is `name` (in the destination namespace) or `namespace:name`.
 */
export function impersonatedUser(
  project: Project,
  cluster: string,
  namespace: string,
  server?: string,
): string | undefined {
  const entries = project.spec.destinationServiceAccounts ?? [];
  for (const [i, e] of entries.entries()) {
    if (!wildcard(e.cluster ?? '*', cluster) || !wildcard(e.namespace ?? '*', namespace)) continue;
    if (e.server !== undefined && !serverGlobMatches(e.server, server)) continue;
    const field = e.serviceAccount !== undefined ? 'serviceAccount' : 'defaultServiceAccount';
    const sa = e.serviceAccount ?? e.defaultServiceAccount ?? '';
    const parts = sa.split(':');
    const [saNs, saName] = parts.length === 2 ? parts : [namespace, parts[0]];
    if (parts.length > 2 || !saNs || !saName)
      throw new GitfleetError(
        'project.InvalidSpec',
        `Project ${project.metadata.name}: spec.destinationServiceAccounts[${i}].${field} "${sa}" must be "name" or "namespace:name"`,
      );
    return `system:serviceaccount:${saNs}:${saName}`;
  }
  return undefined;
}
