/**
 * `gitfleet import argocd`: reads an Argo CD installation from a cluster (--from-kubeconfig,
 * --from-context, --from-namespace) or from files (-f, repeatable; YAML, several documents each),
 * and writes the gitfleet equivalents to stdout or --out DIR, or applies them with --apply
 * (--kubeconfig/--context: the hub). Every object or field not carried over is listed on stderr by
 * name; the exit code is then 2. Secrets are applied (with --apply) but never printed or written:
 * without --apply the output names them and what to run.
 */
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseAllDocuments, stringify } from 'yaml';
import { FLEET_NAMESPACE } from '../../api/cluster.js';
import { ARGO_SECRET_LABEL } from '../../controllers/credentials.js';
import { registerCluster } from '../../controllers/cluster/register.js';
import { isNotFound } from '../../kube/errors.js';
import { KubeClient, loadConnection, type KubeObject } from '../../kube/index.js';
import { clientFrom } from '../connect.js';
import { ARGO_API_VERSION, convertArgoCd, type ArgoImport } from '../migrate/argocd.js';

const USAGE = `usage: gitfleet import argocd [--from-kubeconfig F] [--from-context C] [--from-namespace argocd] [-f FILE|DIR ...]
                              [--namespace ${FLEET_NAMESPACE}] [--out DIR | --apply [--kubeconfig F] [--context C]]`;
const MANAGER = 'gitfleet-import';

/** Reads Argo CD's objects from a cluster: Applications and ApplicationSets in every namespace. */
export async function readArgoCdFromCluster(
  client: KubeClient,
  argoNamespace: string,
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
  return [
    ...(await list(ARGO_API_VERSION, 'AppProject', { namespace: argoNamespace })).map(
      withKind(ARGO_API_VERSION, 'AppProject'),
    ),
    ...(await list('v1', 'Secret', { namespace: argoNamespace, labelSelector: ARGO_SECRET_LABEL })).map(
      withKind('v1', 'Secret'),
    ),
    ...(knownHosts ? [knownHosts] : []),
    ...(await list(ARGO_API_VERSION, 'ApplicationSet')).map(withKind(ARGO_API_VERSION, 'ApplicationSet')),
    ...(await list(ARGO_API_VERSION, 'Application')).map(withKind(ARGO_API_VERSION, 'Application')),
  ];
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

/** Applies the import to the hub: Projects, credentials and clusters, then ApplicationSets and Applications. */
export async function applyArgoImport(hub: KubeClient, imp: ArgoImport): Promise<string[]> {
  const done: string[] = [];
  const rank: Record<string, number> = { Project: 0, ConfigMap: 1, ApplicationSet: 3, Application: 4 };
  const namespaces = new Set([
    FLEET_NAMESPACE,
    ...[...imp.objects, ...imp.secrets].map((o) => o.metadata.namespace ?? FLEET_NAMESPACE),
  ]);
  for (const name of namespaces)
    await hub.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }, { fieldManager: MANAGER });
  const objects = [...imp.objects].sort((a, b) => (rank[a.kind] ?? 2) - (rank[b.kind] ?? 2));
  const first = objects.filter((o) => (rank[o.kind] ?? 2) < 2);
  for (const o of first) {
    await hub.apply(o, { fieldManager: MANAGER });
    done.push(`${o.kind.toLowerCase()} ${o.metadata.namespace}/${o.metadata.name} applied`);
  }
  for (const s of imp.secrets) {
    await hub.apply(s, { fieldManager: MANAGER });
    done.push(
      `secret ${s.metadata.namespace}/${s.metadata.name} applied (${s.metadata.labels?.[ARGO_SECRET_LABEL]})`,
    );
  }
  for (const c of imp.clusters) {
    await registerCluster(hub, { name: c.name, connection: c.connection, labels: c.labels });
    done.push(`cluster ${c.name} registered (from ${c.from})`);
  }
  for (const o of objects.filter((x) => (rank[x.kind] ?? 2) >= 2)) {
    await hub.apply(o, { fieldManager: MANAGER });
    done.push(`${o.kind.toLowerCase()} ${o.metadata.namespace}/${o.metadata.name} applied`);
  }
  return done;
}

/** The printable form: the objects, then comments naming what only --apply carries (credentials). */
function printable(imp: ArgoImport): string {
  const docs = imp.objects.map((o) => stringify(o));
  const notes = [
    ...imp.secrets.map(
      (s) =>
        `# Secret ${s.metadata.namespace}/${s.metadata.name} (${s.metadata.labels?.[ARGO_SECRET_LABEL]}): holds credentials, not written; run with --apply to copy it`,
    ),
    ...imp.clusters.map(
      (c) =>
        `# Cluster ${c.name} (${c.connection.server}, from ${c.from}): holds credentials, not written; run with --apply, or gitfleet cluster add`,
    ),
  ];
  return docs.join('---\n') + (notes.length ? `${docs.length ? '---\n' : ''}${notes.join('\n')}\n` : '');
}

export async function importArgoCdCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      'from-kubeconfig': { type: 'string' },
      'from-context': { type: 'string' },
      'from-namespace': { type: 'string', default: 'argocd' },
      file: { type: 'string', short: 'f', multiple: true },
      namespace: { type: 'string', default: FLEET_NAMESPACE },
      out: { type: 'string' },
      apply: { type: 'boolean', default: false },
      kubeconfig: { type: 'string' },
      context: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (values.out && values.apply) {
    console.error(`gitfleet import argocd: --out and --apply exclude each other\n${USAGE}`);
    return 1;
  }
  const fromCluster = Boolean(values['from-kubeconfig'] || values['from-context']);
  if (fromCluster === Boolean(values.file?.length)) {
    console.error(
      `gitfleet import argocd: read from a cluster (--from-kubeconfig/--from-context) or from files (-f), one of them\n${USAGE}`,
    );
    return 1;
  }
  let input: KubeObject[];
  if (fromCluster) {
    const source = values['from-kubeconfig']
      ? new KubeClient(
          await loadConnection(
            { file: values['from-kubeconfig'] },
            values['from-context'] ? { context: values['from-context'] } : {},
          ),
        )
      : await clientFrom({ context: values['from-context'] });
    try {
      input = await readArgoCdFromCluster(source, values['from-namespace']);
    } finally {
      source.close();
    }
  } else {
    input = readArgoCdFiles(values.file ?? []);
  }
  const imp = convertArgoCd(input, { argoNamespace: values['from-namespace'], namespace: values.namespace });
  if (values.apply) {
    const hub = await clientFrom({ kubeconfig: values.kubeconfig, context: values.context });
    try {
      for (const line of await applyArgoImport(hub, imp)) console.log(line);
    } finally {
      hub.close();
    }
  } else if (values.out) {
    mkdirSync(values.out, { recursive: true });
    writeFileSync(join(values.out, 'gitfleet.yaml'), printable(imp));
    console.log(`${imp.objects.length} objects written to ${join(values.out, 'gitfleet.yaml')}`);
  } else {
    process.stdout.write(printable(imp));
  }
  for (const n of imp.notCarried) console.error(`not carried over: ${n.what}: ${n.reason}`);
  if (imp.notCarried.length)
    console.error(`${imp.notCarried.length} item(s) not carried over (listed above)`);
  return imp.notCarried.length ? 2 : 0;
}
