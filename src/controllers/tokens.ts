import { createHash, randomBytes } from 'node:crypto';
import { TOKEN_SECRET_LABEL } from '../api/agent.js';
import { FLEET_NAMESPACE } from '../api/cluster.js';
import type { KubeClient } from '../kube/client.js';
import type { KubeObject } from '../kube/types.js';

/**
 * Bearer tokens for the hub API. A token is shown once, when made; only its SHA-256 is stored
 * (a Secret in gitfleet-system), which is enough to check it and useless to an attacker who
 * reads the Secret: tokens carry 256 random bits, so no dictionary reaches them.
 */
export function newToken(kind: 'user' | 'agent'): string {
  return `gf${kind === 'agent' ? 'a' : 'u'}_${randomBytes(32).toString('base64url')}`;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export const agentTokenSecretName = (cluster: string): string => `gitfleet-agent-${cluster}`;
export const userTokenSecretName = (user: string, id: string): string => `gitfleet-token-${user}-${id}`;

export interface TokenSecret extends KubeObject {
  data?: Record<string, string>;
}

const b64 = (s: string): string => Buffer.from(s).toString('base64');

/**
 * Creates or replaces the agent token of `cluster` and returns the new token: rotating makes the
 * old one stop working at once (the hub's token cache follows the Secret by watch).
 */
export async function issueAgentToken(client: KubeClient, cluster: string): Promise<string> {
  const token = newToken('agent');
  await client.apply<TokenSecret>(
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: agentTokenSecretName(cluster),
        namespace: FLEET_NAMESPACE,
        labels: { [TOKEN_SECRET_LABEL]: 'agent-token' },
      },
      data: { tokenHash: b64(hashToken(token)), cluster: b64(cluster) },
    },
    { fieldManager: 'gitfleet-cli', force: true },
  );
  return token;
}

/** Makes a user token (name + groups) and returns it; revoke by deleting the Secret it names. */
export async function issueUserToken(
  client: KubeClient,
  user: string,
  groups: string[],
): Promise<{ token: string; secret: string }> {
  const token = newToken('user');
  const secret = userTokenSecretName(
    user.toLowerCase().replace(/[^a-z0-9-]/g, '-'),
    hashToken(token).slice(0, 8),
  );
  await client.create<TokenSecret>({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: secret, namespace: FLEET_NAMESPACE, labels: { [TOKEN_SECRET_LABEL]: 'api-token' } },
    data: { tokenHash: b64(hashToken(token)), user: b64(user), groups: b64(groups.join(',')) },
  });
  return { token, secret };
}
