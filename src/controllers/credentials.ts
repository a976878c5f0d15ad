import { GitfleetError } from '../core/errors.js';
import { normalizeRepoUrl, type GitCredentials } from '../engine/source/index.js';
import type { KubeClient } from '../kube/client.js';
import type { KubeObject } from '../kube/types.js';

/** Label marking repository credential Secrets (keys `url`, `username`, `password` or `bearerToken`). */
export const REPOSITORY_SECRET_LABEL = 'gitfleet.dev/secret-type';

type SecretObject = KubeObject & { data?: Record<string, string> };

/** Git credentials held by a Secret: `username` + `password`, or `bearerToken`. */
export function credentialsOf(s: SecretObject): GitCredentials {
  const get = (k: string): string | undefined =>
    s.data?.[k] ? Buffer.from(s.data[k], 'base64').toString('utf8') : undefined;
  const creds: GitCredentials = {};
  const [username, password, bearerToken] = [get('username'), get('password'), get('bearerToken')];
  if (username) creds.username = username;
  if (password) creds.password = password;
  if (bearerToken) creds.bearerToken = bearerToken;
  return creds;
}

/** Credentials from the Secret an Application's `secretRef` names; a missing Secret is an error. */
export async function secretCredentials(
  mgmt: KubeClient,
  namespace: string,
  name: string,
): Promise<GitCredentials> {
  const s = await mgmt.getOrUndefined<SecretObject>({ apiVersion: 'v1', kind: 'Secret', namespace, name });
  if (!s)
    throw new GitfleetError('source.SecretNotFound', `credentials Secret ${namespace}/${name} not found`);
  return credentialsOf(s);
}

/** Credentials for a repository URL from a labelled repository Secret in `namespace`, if one matches. */
export async function repositoryCredentials(
  mgmt: KubeClient,
  namespace: string,
  repoURL: string,
): Promise<GitCredentials | undefined> {
  const list = await mgmt.list<SecretObject>('v1', 'Secret', {
    namespace,
    labelSelector: `${REPOSITORY_SECRET_LABEL}=repository`,
  });
  const want = normalizeRepoUrl(repoURL);
  const s = list.items.find((x) => {
    const url = x.data?.url ? Buffer.from(x.data.url, 'base64').toString('utf8') : undefined;
    return url !== undefined && normalizeRepoUrl(url) === want;
  });
  return s ? credentialsOf(s) : undefined;
}

/**
 * Credentials for an Application source: its `secretRef` when it names one, otherwise a
 * repository Secret matching the URL, if any. The one rule both the Application controller and
 * the roll-out planner follow.
 */
export function sourceCredentials(
  mgmt: KubeClient,
  namespace: string,
  source: { repoURL: string; secretRef?: { name: string } },
): Promise<GitCredentials | undefined> {
  return source.secretRef
    ? secretCredentials(mgmt, namespace, source.secretRef.name)
    : repositoryCredentials(mgmt, namespace, source.repoURL);
}
