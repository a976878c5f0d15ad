/**
 * The effects of `gitfleet import argocd`: reading an Argo CD installation from a cluster or from
 * files, and applying the converted objects to a hub. The conversion itself is argocd.ts (pure).
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { FLEET_NAMESPACE } from '../../api/cluster.js';
import { registerCluster } from '../../controllers/cluster/register.js';
import { ARGO_SECRET_LABEL } from '../../controllers/credentials.js';
import type { KubeClient } from '../../kube/client.js';
import { isNotFound } from '../../kube/errors.js';
import type { KubeObject } from '../../kube/types.js';
import { ARGO_API_VERSION, type ArgoImport, type NotCarried } from './argocd.js';

const MANAGER = 'gitfleet-import';

/**
 * Reads Argo CD's objects from a cluster: its AppProjects, labelled Secrets and known hosts in
 * `argoNamespace`, its Applications and ApplicationSets there and in `appNamespaces` (Argo's
 * "apps in any namespace", which it serves only where configured: never every namespace).
 */
export async function readArgoCdFromCluster(
  client: KubeClient,
  argoNamespace: string,
  appNamespaces: readonly string[] = [],
): Promise<KubeObject[]> {
  const list = async (
    apiVersion: string,
    kind: string,
    opts: { namespace?: string; labelSelector?: string } = {},
  ) => {
    try {
      return (await client.list(apiVersion, kind, opts)).items;
    } catch (e) {
      // Argo CD's CRD not installed (an ApplicationSet-less install): nothing of that kind.
      if (isNotFound(e) || (e instanceof Error && /not served|no resource|not found/iu.test(e.message)))
        return [];
      throw e;
    }
  };
  const withKind = (apiVersion: string, kind: string) => (o: KubeObject) => ({ ...o, apiVersion, kind });
  const knownHosts = await client.getOrUndefined({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    namespace: argoNamespace,
    name: 'argocd-ssh-known-hosts-cm',
  });
  const out = [
    ...(await list(ARGO_API_VERSION, 'AppProject', { namespace: argoNamespace })).map(
      withKind(ARGO_API_VERSION, 'AppProject'),
    ),
    ...(await list('v1', 'Secret', { namespace: argoNamespace, labelSelector: ARGO_SECRET_LABEL })).map(
      withKind('v1', 'Secret'),
    ),
    ...(knownHosts ? [knownHosts] : []),
  ];
  for (const namespace of [argoNamespace, ...appNamespaces.filter((n) => n !== argoNamespace)])
    for (const kind of ['ApplicationSet', 'Application'])
      out.push(...(await list(ARGO_API_VERSION, kind, { namespace })).map(withKind(ARGO_API_VERSION, kind)));
  return out;
}

/** Every YAML document of the files (a directory: its *.yaml, *.yml and *.json files, sorted). */
export function readArgoCdFiles(paths: readonly string[]): KubeObject[] {
  const files = paths.flatMap((p) =>
    statSync(p).isDirectory()
      ? readdirSync(p)
          .filter((f) => /\.(ya?ml|json)$/u.test(f))
          .sort()
          .map((f) => join(p, f))
      : [p],
  );
  const out: KubeObject[] = [];
  for (const file of files) {
    for (const doc of parseAllDocuments(readFileSync(file, 'utf8'))) {
      if (doc.errors.length) throw new Error(`${file}: ${doc.errors[0]?.message ?? 'YAML error'}`);
      const v: unknown = doc.toJS({ maxAliasCount: 100 });
      if (v === null || v === undefined) continue;
      const o = v as Partial<KubeObject>;
      if (typeof o !== 'object' || !o.apiVersion || !o.kind || !o.metadata?.name)
        throw new Error(`${file}: a document without apiVersion, kind and metadata.name`);
      if (o.kind === 'List' && Array.isArray((v as { items?: unknown }).items))
        out.push(...(v as { items: KubeObject[] }).items);
      else out.push(o as KubeObject);
    }
  }
  return out;
}

/**
 * Applies the import to the hub: Projects and the known hosts, credentials and clusters, then
 * ApplicationSets and Applications. An object the hub refuses (its schema names the field) is
 * listed in `failed` and the rest goes on: one unsupported AppProject field must not stop the others.
 */
export async function applyArgoImport(
  hub: KubeClient,
  imp: ArgoImport,
): Promise<{ done: string[]; failed: NotCarried[] }> {
  const done: string[] = [];
  const failed: NotCarried[] = [];
  const attempt = async (what: string, fn: () => Promise<unknown>, ok: string): Promise<void> => {
    try {
      await fn();
      done.push(ok);
    } catch (e) {
      failed.push({ what, reason: `the hub refused it: ${e instanceof Error ? e.message : String(e)}` });
    }
  };
  const rank: Record<string, number> = { Project: 0, ConfigMap: 1, ApplicationSet: 3, Application: 4 };
  const namespaces = new Set([
    FLEET_NAMESPACE,
    ...[...imp.objects, ...imp.secrets].map((o) => o.metadata.namespace ?? FLEET_NAMESPACE),
  ]);
  for (const name of namespaces)
    await hub.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }, { fieldManager: MANAGER });
  const objects = [...imp.objects].sort((a, b) => (rank[a.kind] ?? 2) - (rank[b.kind] ?? 2));
  const applyObject = (o: KubeObject): Promise<void> =>
    attempt(
      `${o.kind} ${o.metadata.namespace}/${o.metadata.name}`,
      () => hub.apply(o, { fieldManager: MANAGER }),
      `${o.kind.toLowerCase()} ${o.metadata.namespace}/${o.metadata.name} applied`,
    );
  for (const o of objects.filter((x) => (rank[x.kind] ?? 2) < 2)) await applyObject(o);
  for (const s of imp.secrets)
    await attempt(
      `Secret ${s.metadata.namespace}/${s.metadata.name}`,
      () => hub.apply(s, { fieldManager: MANAGER }),
      `secret ${s.metadata.namespace}/${s.metadata.name} applied (${s.metadata.labels?.[ARGO_SECRET_LABEL]})`,
    );
  for (const c of imp.clusters)
    await attempt(
      `cluster ${c.name} (from ${c.from})`,
      () => registerCluster(hub, { name: c.name, connection: c.connection, labels: c.labels }),
      `cluster ${c.name} registered (from ${c.from})`,
    );
  for (const o of objects.filter((x) => (rank[x.kind] ?? 2) >= 2)) await applyObject(o);
  return { done, failed };
}
