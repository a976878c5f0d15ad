/**
 * Builds a GitHost from a declarative spec (provider, API URL, a token and an optional CA read
 * from Secrets). The token is read when the host is built and lives only in the adapter's
 * request headers: it is never part of an error, a log line or a status.
 */
import { GitfleetError } from '../core/errors.js';
import type { KubeClient } from '../kube/client.js';
import type { KubeObject } from '../kube/types.js';
import { giteaHost } from './gitea.js';
import { githubHost, GITHUB_API } from './github.js';
import { gitlabHost, GITLAB_API } from './gitlab.js';
import type { GitHost, GitHostConfig, GitHostProvider } from './port.js';

export interface SecretKeyRef {
  secretName: string;
  key: string;
}

/** How a repository's host is reached, as written in a spec (pull request generator, opt-in). */
export interface GitHostSpec {
  provider: GitHostProvider;
  /** API base; GitHub and GitLab default to their public services, Gitea has no default. */
  api?: string;
  tokenRef?: SecretKeyRef;
  /** PEM bundle of a private CA, from a Secret. */
  caRef?: SecretKeyRef;
  /** Skip TLS verification (Argo CD's `insecure`). */
  insecure?: boolean;
  timeoutMs?: number;
}

/** Reads one key of a Secret; undefined when the Secret or key does not exist. */
export type SecretReader = (ref: SecretKeyRef) => Promise<string | undefined>;

export function gitHost(cfg: GitHostConfig): GitHost {
  switch (cfg.provider) {
    case 'gitea':
      return giteaHost(cfg);
    case 'github':
      return githubHost(cfg);
    case 'gitlab':
      return gitlabHost(cfg);
  }
}

/** Resolves the spec's Secrets and builds the adapter; a named Secret or key that is missing is an error. */
export async function gitHostFromSpec(
  spec: GitHostSpec,
  read: SecretReader,
  where: string,
): Promise<GitHost> {
  const api =
    spec.api ?? (spec.provider === 'github' ? GITHUB_API : spec.provider === 'gitlab' ? GITLAB_API : '');
  if (!api)
    throw new GitfleetError('githost.InvalidSpec', `${where}.api: the ${spec.provider} API URL is required`);
  if (!/^https?:\/\//.test(api))
    throw new GitfleetError(
      'githost.InvalidSpec',
      `${where}.api: ${JSON.stringify(api)} is not an http(s) URL`,
    );
  const secret = async (ref: SecretKeyRef | undefined, field: string): Promise<string | undefined> => {
    if (!ref) return undefined;
    const v = await read(ref);
    if (v === undefined)
      throw new GitfleetError(
        'githost.SecretMissing',
        `${where}.${field}: Secret ${ref.secretName} has no key ${JSON.stringify(ref.key)}`,
      );
    return v.trim();
  };
  const token = await secret(spec.tokenRef, 'tokenRef');
  const caData = await secret(spec.caRef, 'caRef');
  return gitHost({
    provider: spec.provider,
    api,
    ...(token ? { token } : {}),
    ...(caData ? { caData } : {}),
    ...(spec.insecure ? { insecureSkipVerify: true } : {}),
    ...(spec.timeoutMs ? { timeoutMs: spec.timeoutMs } : {}),
  });
}

/** A SecretReader over the Secrets of one namespace of `client`. */
export function kubeSecrets(client: KubeClient, namespace: string): SecretReader {
  return async (ref) => {
    const s = await client.getOrUndefined<KubeObject & { data?: Record<string, string> }>({
      apiVersion: 'v1',
      kind: 'Secret',
      namespace,
      name: ref.secretName,
    });
    const v = s?.data?.[ref.key];
    return v === undefined ? undefined : Buffer.from(v, 'base64').toString('utf8');
  };
}
