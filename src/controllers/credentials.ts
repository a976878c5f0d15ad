import { FLEET_NAMESPACE } from '../api/cluster.js';
import { GitfleetError } from '../core/errors.js';
import { locateRepo, normalizeRepoUrl, type GitCredentials } from '../engine/source/index.js';
import type { KubeClient } from '../kube/client.js';
import type { KubeObject } from '../kube/types.js';
import { VersionedReads } from '../kube/versioned-reads.js';
import { compareStrings } from '../core/compare-strings.js';

/**
 * Label marking credential Secrets: `repository` (keys `url` plus `username`/`password`,
 * `bearerToken` or `sshPrivateKey`) serves the repository whose URL equals `url`; `repo-creds`
 * (Argo CD's credential template) serves every repository under `url`.
 */
export const REPOSITORY_SECRET_LABEL = 'gitfleet.dev/secret-type';
/** Argo CD's label for the same Secrets, honoured so an Argo installation's Secrets work as they are. */
export const ARGO_SECRET_LABEL = 'argocd.argoproj.io/secret-type';
/** The hub's trusted SSH host keys (known_hosts format), as Argo CD's argocd-ssh-known-hosts-cm. */
export const KNOWN_HOSTS_CONFIGMAP = 'gitfleet-ssh-known-hosts';
export const KNOWN_HOSTS_KEY = 'ssh_known_hosts';

type SecretObject = KubeObject & { data?: Record<string, string> };
type ConfigMapObject = KubeObject & { data?: Record<string, string> };

/**
 * Keys of Argo CD repository Secrets gitfleet does not implement: refused by name rather than
 * ignored, since ignoring them would fetch with other credentials or settings than the Secret says.
 * The value says why. `insecure`, `enableLfs`, `forceHttpBasicAuth` and `useAzureWorkloadIdentity`
 * are refused only when true.
 */
const UNSUPPORTED_KEYS: Record<string, string> = {
  insecure: 'gitfleet never skips TLS or SSH host-key verification; add the host key to the known hosts',
  tlsClientCertData: 'TLS client certificates are not supported',
  tlsClientCertKey: 'TLS client certificates are not supported',
  githubAppPrivateKey: 'GitHub App credentials are not supported; use a token as password or bearerToken',
  githubAppID: 'GitHub App credentials are not supported; use a token as password or bearerToken',
  githubAppInstallationID: 'GitHub App credentials are not supported; use a token as password or bearerToken',
  githubAppEnterpriseBaseUrl:
    'GitHub App credentials are not supported; use a token as password or bearerToken',
  gcpServiceAccountKey: 'Google Cloud service account credentials are not supported',
  proxy: 'a per-repository proxy is not supported; set HTTPS_PROXY for the hub',
  noProxy: 'a per-repository proxy is not supported; set NO_PROXY for the hub',
  project:
    "project-scoped repository credentials are not supported; put the Secret in the namespace of the project's Applications",
  enableLfs: 'Git LFS is not supported',
  forceHttpBasicAuth:
    'forceHttpBasicAuth is not supported (Basic auth is already used for username/password)',
  useAzureWorkloadIdentity: 'Azure workload identity is not supported',
};
const REFUSED_ONLY_WHEN_TRUE = new Set([
  'insecure',
  'enableLfs',
  'forceHttpBasicAuth',
  'useAzureWorkloadIdentity',
]);

function decoded(s: SecretObject, key: string): string | undefined {
  const v = s.data?.[key];
  return v ? Buffer.from(v, 'base64').toString('utf8') : undefined;
}

function secretName(s: SecretObject): string {
  return `${s.metadata.namespace ?? ''}/${s.metadata.name}`;
}

/**
 * Git credentials held by a Secret: `username` + `password`, `bearerToken`, and/or `sshPrivateKey`
 * (used for SSH URLs only). Argo CD keys gitfleet does not implement are refused naming the Secret
 * and the key (`source.UnsupportedCredential`); a non-git `type` (helm, oci) is refused too.
 */
export function credentialsOf(s: SecretObject): GitCredentials {
  for (const [key, why] of Object.entries(UNSUPPORTED_KEYS)) {
    const value = decoded(s, key);
    if (value === undefined) continue;
    if (REFUSED_ONLY_WHEN_TRUE.has(key) && value.trim().toLowerCase() !== 'true') continue;
    throw new GitfleetError(
      'source.UnsupportedCredential',
      `credentials Secret ${secretName(s)}: key "${key}" is not supported (${why})`,
    );
  }
  const type = decoded(s, 'type');
  if (type !== undefined && type.trim() !== 'git')
    throw new GitfleetError(
      'source.UnsupportedCredential',
      `credentials Secret ${secretName(s)}: type "${type}" is not a Git credential (only "git")`,
    );
  const creds: GitCredentials = {};
  const [username, password, bearerToken, sshPrivateKey] = [
    decoded(s, 'username'),
    decoded(s, 'password'),
    decoded(s, 'bearerToken'),
    decoded(s, 'sshPrivateKey'),
  ];
  if (username) creds.username = username;
  if (password) creds.password = password;
  if (bearerToken) creds.bearerToken = bearerToken;
  if (sshPrivateKey) {
    if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(sshPrivateKey))
      throw new GitfleetError(
        'source.UnsupportedCredential',
        `credentials Secret ${secretName(s)}: key "sshPrivateKey" does not hold a PEM or OpenSSH private key`,
      );
    creds.sshPrivateKey = sshPrivateKey;
  }
  return creds;
}

function hasCredentials(c: GitCredentials): boolean {
  return Boolean(c.username || c.password || c.bearerToken || c.sshPrivateKey);
}

/**
 * Credentials decoded from named Secrets, kept while a metadata-only watch of the Secrets of their
 * namespace says the Secret is unchanged: a poll reads no Secret, and an edited, rotated or
 * deleted one is read again at the next use. Only what a reconcile would decode anyway is kept.
 */
export class CredentialReads extends VersionedReads<GitCredentials> {
  /**
   * `maxSecrets`: a namespace with more Secrets is not watched (its Secrets are read one by one, as
   * without this cache): a tenant that fills its namespace with Secrets cannot grow the hub's memory.
   */
  constructor(mgmt: KubeClient, maxSecrets = MAX_WATCHED_SECRETS) {
    super(mgmt, { apiVersion: 'v1', kind: 'Secret', maxObjects: maxSecrets });
  }
}

/** Secrets of one namespace whose metadata CredentialReads will hold. */
const MAX_WATCHED_SECRETS = 1_000;

/**
 * Credentials from the Secret an Application's `secretRef` names; a missing Secret is an error.
 * With `reads`, an unchanged Secret is not read again.
 */
export async function secretCredentials(
  mgmt: KubeClient,
  namespace: string,
  name: string,
  reads?: CredentialReads,
): Promise<GitCredentials> {
  const kept = reads?.get(namespace, name);
  if (kept) return kept;
  const s = await mgmt.getOrUndefined<SecretObject>({ apiVersion: 'v1', kind: 'Secret', namespace, name });
  if (!s)
    throw new GitfleetError('source.SecretNotFound', `credentials Secret ${namespace}/${name} not found`);
  const creds = credentialsOf(s);
  reads?.set(namespace, name, s.metadata.resourceVersion, creds);
  return creds;
}

/** Labelled credential Secrets of one kind in `namespace`, under gitfleet's label or Argo CD's. */
async function labelled(
  mgmt: KubeClient,
  namespace: string,
  kind: 'repository' | 'repo-creds',
): Promise<SecretObject[]> {
  const lists = await Promise.all(
    [REPOSITORY_SECRET_LABEL, ARGO_SECRET_LABEL].map((label) =>
      mgmt.list<SecretObject>('v1', 'Secret', { namespace, labelSelector: `${label}=${kind}` }),
    ),
  );
  const seen = new Set<string>();
  // Helm and OCI repository Secrets (Argo's `type: helm`) are not Git credentials: not candidates.
  const isGit = (s: SecretObject): boolean => (decoded(s, 'type')?.trim() ?? 'git') === 'git';
  return lists
    .flatMap((l) => l.items)
    .filter((s) => isGit(s) && !seen.has(s.metadata.name) && Boolean(seen.add(s.metadata.name)))
    .sort((a, b) => compareStrings(a.metadata.name, b.metadata.name));
}

function keyOf(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  try {
    return normalizeRepoUrl(url);
  } catch {
    return undefined;
  }
}

/**
 * How much of `repoKey` the template URL covers, or -1: the template's normalised URL must be the
 * repository's or end where one of its path segments ends, so `https://git.example/org` serves
 * `https://git.example/org/app` but not `https://git.example/org-other/app`.
 */
export function templateMatch(templateUrl: string, repoKey: string): number {
  const prefix = keyOf(templateUrl.trim().replace(/\/+$/, ''));
  if (prefix === undefined) return -1;
  return repoKey === prefix || repoKey.startsWith(`${prefix}/`) ? prefix.length : -1;
}

/**
 * Credentials for a repository URL from labelled Secrets, Argo CD's order: a `repository` Secret
 * whose `url` is this repository (the Application's namespace first, then the hub's), unless it
 * holds no credentials; else the `repo-creds` template with the longest `url` prefix (the
 * Application's namespace wins a tie). Templates in the hub's namespace serve every namespace:
 * which repositories an Application may use at all is its Project's `sourceRepos`. For SSH, with
 * the hub's known hosts.
 */
export async function repositoryCredentials(
  mgmt: KubeClient,
  namespace: string,
  repoURL: string,
  hubNamespace: string = FLEET_NAMESPACE,
): Promise<GitCredentials | undefined> {
  const creds = await lookupCredentials(mgmt, namespace, repoURL, hubNamespace);
  return withKnownHosts(mgmt, hubNamespace, repoURL, creds);
}

async function lookupCredentials(
  mgmt: KubeClient,
  namespace: string,
  repoURL: string,
  hubNamespace: string,
): Promise<GitCredentials | undefined> {
  const want = normalizeRepoUrl(repoURL);
  const namespaces = namespace === hubNamespace ? [namespace] : [namespace, hubNamespace];
  for (const ns of namespaces) {
    const s = (await labelled(mgmt, ns, 'repository')).find((x) => keyOf(decoded(x, 'url')) === want);
    if (!s) continue;
    const creds = credentialsOf(s);
    if (hasCredentials(creds)) return creds;
  }
  let best: { secret: SecretObject; length: number } | undefined;
  for (const ns of namespaces)
    for (const s of await labelled(mgmt, ns, 'repo-creds')) {
      const url = decoded(s, 'url');
      const length = url === undefined ? -1 : templateMatch(url, want);
      if (length > (best?.length ?? -1)) best = { secret: s, length };
    }
  return best ? credentialsOf(best.secret) : undefined;
}

/**
 * For an SSH repository fetched with a key, adds the hub's trusted host keys: ConfigMap
 * `gitfleet-ssh-known-hosts`, key `ssh_known_hosts`, in the hub's namespace. No ConfigMap means no
 * trusted host, so every SSH fetch fails with a host-key error naming it — never trust on first use.
 */
async function withKnownHosts(
  mgmt: KubeClient,
  hubNamespace: string,
  repoURL: string,
  creds: GitCredentials | undefined,
): Promise<GitCredentials | undefined> {
  if (!creds?.sshPrivateKey) return creds;
  let ssh = false;
  try {
    ssh = locateRepo(repoURL).ssh !== undefined;
  } catch {
    return creds; // The source stage refuses the URL with its own, clearer, error.
  }
  if (!ssh) return creds;
  const cm = await mgmt.getOrUndefined<ConfigMapObject>({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    namespace: hubNamespace,
    name: KNOWN_HOSTS_CONFIGMAP,
  });
  return {
    ...creds,
    sshKnownHosts: cm?.data?.[KNOWN_HOSTS_KEY] ?? '',
    sshKnownHostsFrom: `ConfigMap ${hubNamespace}/${KNOWN_HOSTS_CONFIGMAP} key ${KNOWN_HOSTS_KEY}`,
  };
}

/**
 * Credentials for an Application source: its `secretRef` when it names one, otherwise a
 * repository Secret matching the URL or a credential template covering it (repositoryCredentials);
 * for SSH, with the hub's known hosts. The one rule both the Application controller and the
 * roll-out planner follow. `hubNamespace` holds the hub-wide Secrets and the known hosts.
 */
export async function sourceCredentials(
  mgmt: KubeClient,
  namespace: string,
  source: { repoURL: string; secretRef?: { name: string } },
  hubNamespace: string = FLEET_NAMESPACE,
  reads?: CredentialReads,
): Promise<GitCredentials | undefined> {
  if (!source.secretRef) return repositoryCredentials(mgmt, namespace, source.repoURL, hubNamespace);
  const creds = await secretCredentials(mgmt, namespace, source.secretRef.name, reads);
  return withKnownHosts(mgmt, hubNamespace, source.repoURL, creds);
}
