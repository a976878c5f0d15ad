/**
 * `gitfleet import argocd`, the pure part: Argo CD objects (Applications, ApplicationSets,
 * AppProjects, cluster Secrets, repository and repo-creds Secrets, the SSH known-hosts ConfigMap)
 * in, their gitfleet equivalents out, with every object or field that cannot be carried over
 * named with the reason. Nothing is dropped silently: an Application with a field gitfleet would
 * refuse is not carried at all (the controller would refuse it), and is listed with each field.
 * Secret values stay in memory: they are never part of a message or of `objects` (what may be
 * printed); only `secrets`/`clusters` hold them, for the caller to apply.
 */
import { API_VERSION } from '../../api/application.js';
import { formatUnsupportedFields, unsupportedApplicationFields } from '../../api/application-fields.js';
import { FLEET_NAMESPACE } from '../../api/cluster.js';
import {
  ARGO_SECRET_LABEL,
  KNOWN_HOSTS_CONFIGMAP,
  KNOWN_HOSTS_KEY,
  credentialsOf,
} from '../../controllers/credentials.js';
import type { ClusterConnection } from '../../kube/kubeconfig.js';
import type { KubeObject } from '../../kube/types.js';

export const ARGO_API_VERSION = 'argoproj.io/v1alpha1';
/** Argo CD's in-cluster URL: gitfleet's implicit `in-cluster` destination, nothing to register. */
const IN_CLUSTER_SERVER = 'https://kubernetes.default.svc';
const ARGO_KNOWN_HOSTS_CONFIGMAP = 'argocd-ssh-known-hosts-cm';
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/u;

export interface ImportOptions {
  /** The namespace Argo CD runs in (its Applications, AppProjects and Secrets there). */
  argoNamespace: string;
  /** Where Applications and ApplicationSets of `argoNamespace` go (the hub's namespace by default). */
  namespace: string;
}

/** Something that was not carried over, named (`Application argocd/shop`) with the reason. */
export interface NotCarried {
  what: string;
  reason: string;
}

/** An Argo CD cluster Secret turned into what registerCluster takes. Holds credentials. */
export interface ImportedCluster {
  name: string;
  labels: Record<string, string>;
  connection: ClusterConnection;
  from: string;
}

export interface ArgoImport {
  /** Projects, ApplicationSets, Applications, the known-hosts ConfigMap: safe to print. */
  objects: KubeObject[];
  /** Repository and repo-creds Secrets, as gitfleet reads them (Argo's label is honoured). Hold credentials. */
  secrets: KubeObject[];
  clusters: ImportedCluster[];
  notCarried: NotCarried[];
}

type SecretObject = KubeObject & { data?: Record<string, string>; stringData?: Record<string, string> };

const ref = (o: KubeObject): string =>
  `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;

/** Metadata worth keeping: name, the target namespace, labels, annotations not Argo's own state. */
function carriedMetadata(o: KubeObject, namespace: string): KubeObject['metadata'] {
  const annotations = Object.fromEntries(
    Object.entries(o.metadata.annotations ?? {}).filter(
      ([k]) =>
        k !== 'kubectl.kubernetes.io/last-applied-configuration' &&
        !k.startsWith('argocd.argoproj.io/refresh'),
    ),
  );
  return {
    name: o.metadata.name,
    namespace,
    ...(o.metadata.labels && Object.keys(o.metadata.labels).length ? { labels: o.metadata.labels } : {}),
    ...(Object.keys(annotations).length ? { annotations } : {}),
    ...(o.metadata.finalizers?.length ? { finalizers: o.metadata.finalizers } : {}),
  };
}

/** Converts an Argo CD installation's objects; pure. */
export function convertArgoCd(input: readonly KubeObject[], opts: ImportOptions): ArgoImport {
  const out: ArgoImport = { objects: [], secrets: [], clusters: [], notCarried: [] };
  const targetNs = (o: KubeObject): string =>
    !o.metadata.namespace || o.metadata.namespace === opts.argoNamespace
      ? opts.namespace
      : o.metadata.namespace;
  for (const o of input) {
    const what = ref(o);
    if (o.apiVersion === ARGO_API_VERSION && o.kind === 'Application') {
      const found = unsupportedApplicationFields({ spec: (o as { spec?: unknown }).spec });
      if (found.length) {
        out.notCarried.push({
          what,
          reason: formatUnsupportedFields(found).replace(' (nothing was applied)', ''),
        });
        continue;
      }
      out.objects.push({
        apiVersion: API_VERSION,
        kind: 'Application',
        metadata: carriedMetadata(o, targetNs(o)),
        spec: (o as { spec?: unknown }).spec,
      } as KubeObject);
    } else if (o.apiVersion === ARGO_API_VERSION && o.kind === 'ApplicationSet') {
      out.objects.push({
        apiVersion: API_VERSION,
        kind: 'ApplicationSet',
        metadata: carriedMetadata(o, targetNs(o)),
        spec: retargetTemplate(
          (o as { spec?: Record<string, unknown> }).spec,
          o.metadata.namespace,
          targetNs(o),
        ),
      } as KubeObject);
    } else if (o.apiVersion === ARGO_API_VERSION && o.kind === 'AppProject') {
      const spec = { ...((o as { spec?: Record<string, unknown> }).spec ?? {}) };
      // Argo admits its own namespace's Applications in every project; gitfleet's hub namespace
      // likewise. A target namespace other than the hub's must be listed to keep that meaning.
      if (opts.namespace !== FLEET_NAMESPACE) {
        const listed = Array.isArray(spec.sourceNamespaces) ? (spec.sourceNamespaces as string[]) : [];
        if (!listed.includes(opts.namespace)) spec.sourceNamespaces = [...listed, opts.namespace];
      }
      out.objects.push({
        apiVersion: API_VERSION,
        kind: 'Project',
        metadata: carriedMetadata(o, FLEET_NAMESPACE),
        spec,
      } as KubeObject);
    } else if (o.apiVersion === 'v1' && o.kind === 'Secret') {
      convertSecret(o as SecretObject, opts, out);
    } else if (
      o.apiVersion === 'v1' &&
      o.kind === 'ConfigMap' &&
      o.metadata.name === ARGO_KNOWN_HOSTS_CONFIGMAP
    ) {
      const hosts = (o as { data?: Record<string, string> }).data?.[KNOWN_HOSTS_KEY];
      if (hosts === undefined) out.notCarried.push({ what, reason: `has no ${KNOWN_HOSTS_KEY} key` });
      else
        out.objects.push({
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: KNOWN_HOSTS_CONFIGMAP, namespace: FLEET_NAMESPACE },
          data: { [KNOWN_HOSTS_KEY]: hosts },
        } as KubeObject);
    } else {
      out.notCarried.push({
        what: `${o.apiVersion} ${what}`,
        reason: 'not an object of an Argo CD installation gitfleet imports',
      });
    }
  }
  return out;
}

/** An ApplicationSet template naming Argo's namespace names the ApplicationSet's new one. */
function retargetTemplate(
  spec: Record<string, unknown> | undefined,
  from: string | undefined,
  to: string,
): Record<string, unknown> | undefined {
  const template = spec?.template as { metadata?: Record<string, unknown> } | undefined;
  if (!spec || !template?.metadata || template.metadata.namespace === undefined) return spec;
  if (template.metadata.namespace !== from) return spec;
  return { ...spec, template: { ...template, metadata: { ...template.metadata, namespace: to } } };
}

function decoded(s: SecretObject, key: string): string | undefined {
  const plain = s.stringData?.[key];
  if (plain !== undefined) return plain;
  const v = s.data?.[key];
  return v === undefined ? undefined : Buffer.from(v, 'base64').toString('utf8');
}

function convertSecret(s: SecretObject, opts: ImportOptions, out: ArgoImport): void {
  const what = ref(s);
  const type = s.metadata.labels?.[ARGO_SECRET_LABEL];
  if (type === 'cluster') {
    const cluster = convertClusterSecret(s, what, out.notCarried);
    if (cluster) out.clusters.push(cluster);
    return;
  }
  if (type !== 'repository' && type !== 'repo-creds') {
    out.notCarried.push({
      what,
      reason: `not an Argo CD cluster, repository or repo-creds Secret (label ${ARGO_SECRET_LABEL})`,
    });
    return;
  }
  const kind = decoded(s, 'type')?.trim() ?? 'git';
  if (kind !== 'git') {
    out.notCarried.push({
      what,
      reason: `type "${kind}": Helm and OCI repositories are not supported; vendor charts into Git`,
    });
    return;
  }
  // Normalise to `data` so credentialsOf (the controller's own reader) judges it as it will later.
  const data: Record<string, string> = { ...(s.data ?? {}) };
  for (const [k, v] of Object.entries(s.stringData ?? {})) data[k] = Buffer.from(v).toString('base64');
  const secret: SecretObject = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: s.metadata.name,
      namespace:
        !s.metadata.namespace || s.metadata.namespace === opts.argoNamespace
          ? FLEET_NAMESPACE
          : s.metadata.namespace,
      labels: { [ARGO_SECRET_LABEL]: type },
    },
    type: 'Opaque',
    data,
  } as SecretObject;
  try {
    credentialsOf(secret);
  } catch (e) {
    // The message names the Secret and the key, never a value.
    out.notCarried.push({ what, reason: e instanceof Error ? e.message : String(e) });
    return;
  }
  if (decoded(s, 'url') === undefined) {
    out.notCarried.push({ what, reason: 'has no `url` key' });
    return;
  }
  out.secrets.push(secret);
}

/** Keys of an Argo CD cluster Secret besides name/server/config, and what becomes of them. */
const CLUSTER_KEYS_NOT_CARRIED: Record<string, string> = {
  namespaces:
    'namespace-scoped clusters are not supported; the credentials are used for the whole cluster as their RBAC allows',
  clusterResources: 'namespace-scoped clusters are not supported',
  project: 'project-scoped clusters are not supported; restrict destinations in the Project',
  shard: "gitfleet shards clusters by Lease itself; Argo's shard number has no meaning here",
};

function convertClusterSecret(
  s: SecretObject,
  what: string,
  notCarried: NotCarried[],
): ImportedCluster | undefined {
  const server = decoded(s, 'server')?.trim();
  const name = decoded(s, 'name')?.trim() ?? s.metadata.name;
  if (!server) {
    notCarried.push({ what, reason: 'has no `server` key' });
    return undefined;
  }
  if (server.replace(/\/+$/u, '') === IN_CLUSTER_SERVER) {
    notCarried.push({
      what,
      reason: `${IN_CLUSTER_SERVER} is gitfleet's implicit in-cluster destination; nothing to register`,
    });
    return undefined;
  }
  if (!DNS_LABEL.test(name)) {
    notCarried.push({
      what,
      reason: `cluster name "${name}" is not a DNS label (a Cluster's name must be); rename it in Argo CD's Secret first`,
    });
    return undefined;
  }
  for (const [key, why] of Object.entries(CLUSTER_KEYS_NOT_CARRIED))
    if (decoded(s, key)?.trim()) notCarried.push({ what: `${what} key "${key}"`, reason: why });
  let config: Record<string, unknown>;
  try {
    config = JSON.parse(decoded(s, 'config') ?? '{}') as Record<string, unknown>;
  } catch {
    notCarried.push({ what, reason: 'key "config" is not JSON' });
    return undefined;
  }
  const refuse = (field: string, reason: string): undefined => {
    notCarried.push({ what, reason: `config.${field}: ${reason}` });
    return undefined;
  };
  if (config.execProviderConfig)
    return refuse(
      'execProviderConfig',
      'exec credential plugins are not supported in cluster Secrets; use a token',
    );
  if (config.awsAuthConfig)
    return refuse('awsAuthConfig', 'AWS IAM authentication is not supported; use a token');
  if (config.username || config.password)
    return refuse('username', 'basic authentication is not supported; use a token');
  const tls = (config.tlsClientConfig ?? {}) as Record<string, unknown>;
  if (tls.insecure === true)
    return refuse('tlsClientConfig.insecure', 'gitfleet never skips TLS verification; put the CA in caData');
  if (tls.serverName)
    return refuse('tlsClientConfig.serverName', 'a TLS server name override is not supported');
  for (const key of Object.keys(config))
    if (!['bearerToken', 'tlsClientConfig', 'disableCompression'].includes(key))
      return refuse(key, 'not a cluster setting gitfleet knows');
  const pem = (field: string): string | undefined => {
    const v = tls[field];
    return typeof v === 'string' && v ? Buffer.from(v, 'base64').toString('utf8') : undefined;
  };
  const connection: ClusterConnection = {
    server,
    ca: pem('caData'),
    cert: pem('certData'),
    key: pem('keyData'),
    headers:
      typeof config.bearerToken === 'string' && config.bearerToken
        ? { Authorization: `Bearer ${config.bearerToken}` }
        : {},
    rejectUnauthorized: true,
  };
  if (!connection.headers.Authorization && !connection.cert)
    return refuse(
      'bearerToken',
      'the Secret holds no credentials gitfleet can use (a bearer token or a client certificate)',
    );
  const labels = Object.fromEntries(
    Object.entries(s.metadata.labels ?? {}).filter(([k]) => k !== ARGO_SECRET_LABEL),
  );
  return { name, labels, connection, from: what };
}
