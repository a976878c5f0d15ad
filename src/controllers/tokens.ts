import { createHash, randomBytes } from 'node:crypto';
import { TOKEN_SECRET_LABEL } from '../api/agent.js';
import { FLEET_NAMESPACE } from '../api/cluster.js';
import { loadOrCreateHubKey, type HubKey } from '../governance/hub-key.js';
import type { KubeClient } from '../kube/client.js';
import type { KubeObject } from '../kube/types.js';

/**
 * Bearer tokens for the hub API. A token is shown once, when made; only its SHA-256 is stored
 * (a Secret in gitfleet-system), which is enough to check it and useless to an attacker who
 * reads the Secret: tokens carry 256 random bits, so no dictionary reaches them. The Secret also
 * carries `signature`, an HMAC of its fields under the hub's key (tokenSignature), so a Secret
 * that only looks like a token — written by anyone but the hub — is never an identity.
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

/** The label value of each token kind (TOKEN_SECRET_LABEL). */
export type TokenKind = 'api-token' | 'agent-token';

/**
 * What a token Secret asserts, exactly as stored (decoded): user tokens have user and groups
 * (comma-separated), agent tokens a cluster; the other fields are empty.
 */
export interface TokenClaims {
  tokenHash: string;
  kind: TokenKind;
  user: string;
  groups: string;
  cluster: string;
}

const claimParts = (c: TokenClaims): string[] => [c.tokenHash, c.kind, c.user, c.groups, c.cluster];

/** The hub's signature over a token Secret's claims (stored as `signature`). */
export function signToken(key: HubKey, c: TokenClaims): string {
  return key.sign(...claimParts(c));
}

/** Whether `signature` is the hub's over these claims; the authenticator accepts nothing else. */
export function verifyToken(key: HubKey, signature: string | undefined, c: TokenClaims): boolean {
  return key.verify(signature, ...claimParts(c));
}

/**
 * Creates or replaces the agent token of `cluster` and returns the new token: rotating makes the
 * old one stop working at once (the hub's token cache follows the Secret by watch). The hub's key
 * is read (or made) with `client` when not given.
 */
export async function issueAgentToken(client: KubeClient, cluster: string, key?: HubKey): Promise<string> {
  const hubKey = key ?? (await loadOrCreateHubKey(client));
  const token = newToken('agent');
  const tokenHash = hashToken(token);
  const signature = signToken(hubKey, { tokenHash, kind: 'agent-token', user: '', groups: '', cluster });
  await client.apply<TokenSecret>(
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: agentTokenSecretName(cluster),
        namespace: FLEET_NAMESPACE,
        labels: { [TOKEN_SECRET_LABEL]: 'agent-token' },
      },
      data: { tokenHash: b64(tokenHash), cluster: b64(cluster), signature: b64(signature) },
    },
    { fieldManager: 'gitfleet-cli', force: true },
  );
  return token;
}

/**
 * Makes a user token (name + groups) and returns it; revoke by deleting the Secret it names. The
 * hub's key is read (or made) with `client` when not given.
 */
export async function issueUserToken(
  client: KubeClient,
  user: string,
  groups: string[],
  key?: HubKey,
): Promise<{ token: string; secret: string }> {
  const hubKey = key ?? (await loadOrCreateHubKey(client));
  const token = newToken('user');
  const tokenHash = hashToken(token);
  const signature = signToken(hubKey, {
    tokenHash,
    kind: 'api-token',
    user,
    groups: groups.join(','),
    cluster: '',
  });
  const secret = userTokenSecretName(user.toLowerCase().replace(/[^a-z0-9-]/g, '-'), tokenHash.slice(0, 8));
  await client.create<TokenSecret>({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: secret, namespace: FLEET_NAMESPACE, labels: { [TOKEN_SECRET_LABEL]: 'api-token' } },
    data: {
      tokenHash: b64(tokenHash),
      user: b64(user),
      groups: b64(groups.join(',')),
      signature: b64(signature),
    },
  });
  return { token, secret };
}
