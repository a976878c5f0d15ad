import { chmodSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { CLUSTER_SECRET_LABEL, FLEET_NAMESPACE } from '../../api/cluster.js';
import { API_VERSION } from '../../api/application.js';
import { RBAC_CONFIGMAP } from '../../governance/rbac-loader.js';
import type { KubeClient } from '../../kube/client.js';
import type { KubeObject } from '../../kube/types.js';
import {
  BACKUP_KINDS,
  cleanForBackup,
  MANIFEST_FILE,
  RBAC_FILE,
  SECRET_REFS_FILE,
  type BackupManifest,
  type SecretReference,
} from '../backup.js';
import { clientFrom } from '../connect.js';
import { UsageError } from '../output.js';
import { cliVersion } from '../version-info.js';
import { compareStrings } from '../../core/compare-strings.js';

const USAGE = `usage: gitfleet export DIR [-l SELECTOR] [--kubeconfig FILE] [--context CTX]
  writes every gitfleet object of the hub (Applications, ApplicationSets, Projects, Clusters,
  NotificationRules, the gitfleet-rbac ConfigMap) to DIR, one YAML file per kind, and the Secrets
  they need as references (${SECRET_REFS_FILE}: names and key names, never values).
  -l/--selector: only objects with these labels (a team's part of the hub; RBAC left out).`;

/** Every object of one kind in every namespace, cleaned for a backup and sorted (stable diffs). */
async function listAll(client: KubeClient, kind: string, selector?: string): Promise<KubeObject[]> {
  const list = await client.list(API_VERSION, kind, selector ? { labelSelector: selector } : {});
  return list.items
    .map((o) => cleanForBackup({ ...o, apiVersion: API_VERSION, kind }))
    .sort((a, b) =>
      compareStrings(
        `${a.metadata.namespace ?? ''}/${a.metadata.name}`,
        `${b.metadata.namespace ?? ''}/${b.metadata.name}`,
      ),
    );
}

/** The Secrets the exported objects name, and the hub's own labelled Secrets (tokens, credentials). */
async function secretReferences(
  client: KubeClient,
  objects: KubeObject[],
  hubSecrets: boolean,
): Promise<SecretReference[]> {
  const refs = new Map<string, SecretReference>();
  const add = (namespace: string, name: string, usedBy: string): void => {
    const k = `${namespace}/${name}`;
    const r = refs.get(k) ?? { namespace, name, keys: [], usedBy: [] };
    if (!r.usedBy.includes(usedBy)) r.usedBy.push(usedBy);
    refs.set(k, r);
  };
  for (const o of objects) {
    const spec = (o.spec ?? {}) as Record<string, unknown>;
    const ns = o.metadata.namespace ?? FLEET_NAMESPACE;
    const id = `${o.kind} ${ns}/${o.metadata.name}`;
    const secretRef = spec.secretRef as { name?: string } | undefined;
    if (o.kind === 'Cluster' && secretRef?.name) add(ns, secretRef.name, `${id} spec.secretRef`);
    if (o.kind === 'Application') {
      const sources = [spec.source, ...((spec.sources as unknown[] | undefined) ?? [])];
      for (const s of sources) {
        const name = (s as { secretRef?: { name?: string } } | undefined)?.secretRef?.name;
        if (name) add(ns, name, `${id} spec.source.secretRef`);
      }
    }
    if (o.kind === 'NotificationRule') {
      const dest = spec.destination as { slack?: { urlSecretRef?: { name?: string } } } | undefined;
      if (dest?.slack?.urlSecretRef?.name) add(ns, dest.slack.urlSecretRef.name, `${id} slack.urlSecretRef`);
    }
  }
  // Tokens and credentials the hub wrote carry the secret-type label; list them even when unnamed.
  const labelled = hubSecrets
    ? await client
        .list('v1', 'Secret', { namespace: FLEET_NAMESPACE, labelSelector: CLUSTER_SECRET_LABEL })
        .catch(() => ({ items: [] as KubeObject[] }))
    : { items: [] as KubeObject[] };
  for (const s of labelled.items) add(FLEET_NAMESPACE, s.metadata.name, 'hub');
  // Key names (and the type label) from the live Secrets; values are never read into the backup.
  for (const r of refs.values()) {
    const live = await client.getOrUndefined({
      apiVersion: 'v1',
      kind: 'Secret',
      namespace: r.namespace,
      name: r.name,
    });
    if (!live) continue;
    r.keys = Object.keys((live.data as Record<string, string> | undefined) ?? {}).sort();
    const type = live.metadata.labels?.[CLUSTER_SECRET_LABEL];
    if (type) r.type = type;
  }
  return [...refs.values()].sort((a, b) =>
    compareStrings(`${a.namespace}/${a.name}`, `${b.namespace}/${b.name}`),
  );
}

export async function exportBackup(
  client: KubeClient,
  dir: string,
  opts: { selector?: string } = {},
): Promise<BackupManifest> {
  const byKind = new Map<string, KubeObject[]>();
  for (const { kind } of BACKUP_KINDS) byKind.set(kind, await listAll(client, kind, opts.selector));
  // The hub-wide RBAC ConfigMap belongs to a whole-hub backup, not to a selected part of it.
  const rbac = opts.selector
    ? undefined
    : await client.getOrUndefined({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        namespace: FLEET_NAMESPACE,
        name: RBAC_CONFIGMAP,
      });
  const all = [...byKind.values()].flat();
  const secrets = await secretReferences(client, all, !opts.selector);
  // Written only once everything was read: a failed read leaves no half backup behind.
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const manifest: BackupManifest = {
    format: 'gitfleet-backup/v1',
    apiVersion: API_VERSION,
    exportedAt: new Date().toISOString(),
    cliVersion: cliVersion(),
    counts: {},
  };
  for (const { kind, file } of BACKUP_KINDS) {
    const items = byKind.get(kind) ?? [];
    manifest.counts[kind] = items.length;
    writeFileSync(join(dir, file), items.map((o) => `---\n${stringify(o)}`).join(''));
  }
  if (rbac)
    writeFileSync(
      join(dir, RBAC_FILE),
      stringify(cleanForBackup({ ...rbac, apiVersion: 'v1', kind: 'ConfigMap' })),
    );
  manifest.counts.SecretReference = secrets.length;
  writeFileSync(join(dir, SECRET_REFS_FILE), stringify({ secrets }));
  writeFileSync(join(dir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  chmodSync(dir, 0o700);
  return manifest;
}

/** `gitfleet export DIR`: a backup of the hub's objects, restorable with `gitfleet import DIR`. */
export async function exportCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      kubeconfig: { type: 'string' },
      context: { type: 'string' },
      selector: { type: 'string', short: 'l' },
    },
  });
  const dir = positionals[0];
  if (!dir || positionals.length > 1) throw new UsageError(USAGE);
  if (existsSync(dir) && readdirSync(dir).length > 0)
    throw new UsageError(`${dir}: not empty; export writes into a new or empty directory`);
  const client = await clientFrom(values);
  try {
    const m = await exportBackup(client, dir, values.selector ? { selector: values.selector } : {});
    for (const [kind, n] of Object.entries(m.counts)) console.log(`${kind}: ${n}`);
    console.log(`exported to ${dir}`);
  } finally {
    client.close();
  }
  return 0;
}
