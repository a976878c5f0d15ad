import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parse, parseAllDocuments } from 'yaml';
import { API_VERSION } from '../../api/application.js';
import { FLEET_NAMESPACE } from '../../api/cluster.js';
import { RBAC_CONFIGMAP } from '../../governance/rbac-loader.js';
import type { KubeClient } from '../../kube/client.js';
import type { KubeObject } from '../../kube/types.js';
import {
  BACKUP_KINDS,
  MANIFEST_FILE,
  RBAC_FILE,
  SECRET_REFS_FILE,
  type BackupManifest,
  type SecretReference,
} from '../backup.js';
import { clientFrom } from '../connect.js';
import { UsageError } from '../output.js';

const USAGE = `usage: gitfleet import DIR [--dry-run] [--kubeconfig FILE] [--context CTX]
       gitfleet import argocd ...   (convert Argo CD objects; see 'gitfleet import argocd --help')
  restores a directory written by 'gitfleet export' into a hub. Nothing is applied unless every
  file is valid; the Secrets it names must be re-created first (they are backed up as references).`;

export interface ParsedBackup {
  manifest: BackupManifest;
  objects: KubeObject[];
  rbac?: KubeObject;
  secrets: SecretReference[];
}

/** Reads and checks a whole backup; throws naming the file and document on the first problem. */
export function readBackup(dir: string): ParsedBackup {
  const manifestPath = join(dir, MANIFEST_FILE);
  if (!existsSync(manifestPath)) throw new UsageError(`${dir}: no ${MANIFEST_FILE}; not a gitfleet export`);
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as BackupManifest;
  if (manifest.format !== 'gitfleet-backup/v1')
    throw new UsageError(`${manifestPath}: format "${String(manifest.format)}" is not gitfleet-backup/v1`);
  const objects: KubeObject[] = [];
  for (const { kind, file } of BACKUP_KINDS) {
    const path = join(dir, file);
    if (!existsSync(path)) continue;
    parseAllDocuments(readFileSync(path, 'utf8')).forEach((doc, i) => {
      if (doc.errors.length > 0)
        throw new UsageError(`${path}: document ${i + 1}: ${doc.errors[0]?.message}`);
      const o = doc.toJS() as KubeObject | null;
      if (o === null) return;
      const at = `${path}: document ${i + 1}`;
      if (o.apiVersion !== API_VERSION) throw new UsageError(`${at}: apiVersion must be ${API_VERSION}`);
      if (o.kind !== kind) throw new UsageError(`${at}: kind ${String(o.kind)} in the ${kind} file`);
      if (!o.metadata?.name || !o.metadata.namespace)
        throw new UsageError(`${at}: metadata.name and metadata.namespace are required`);
      objects.push(o);
    });
  }
  const rbacPath = join(dir, RBAC_FILE);
  const rbac = existsSync(rbacPath) ? (parse(readFileSync(rbacPath, 'utf8')) as KubeObject) : undefined;
  if (rbac && (rbac.kind !== 'ConfigMap' || rbac.metadata?.name !== RBAC_CONFIGMAP))
    throw new UsageError(`${rbacPath}: must be ConfigMap ${RBAC_CONFIGMAP}`);
  const refsPath = join(dir, SECRET_REFS_FILE);
  const secrets = existsSync(refsPath)
    ? ((parse(readFileSync(refsPath, 'utf8')) as { secrets?: SecretReference[] }).secrets ?? [])
    : [];
  return { manifest, objects, ...(rbac ? { rbac } : {}), secrets };
}

/**
 * Applies a backup in dependency order. An Application owned by an ApplicationSet gets its owner
 * reference re-pointed at the restored set's new uid, so the set adopts it instead of creating a
 * second one. Status is not restored: the new hub reads it from the destinations, where the
 * inventories live, so nothing is re-created there.
 */
export async function restoreBackup(
  client: KubeClient,
  backup: ParsedBackup,
  opts: { dryRun?: boolean } = {},
): Promise<{ applied: number; missingSecrets: SecretReference[] }> {
  const missingSecrets: SecretReference[] = [];
  for (const s of backup.secrets) {
    const live = await client.getOrUndefined({
      apiVersion: 'v1',
      kind: 'Secret',
      namespace: s.namespace,
      name: s.name,
    });
    if (!live) missingSecrets.push(s);
  }
  const namespaces = new Set(backup.objects.map((o) => o.metadata.namespace as string));
  if (backup.rbac) namespaces.add(FLEET_NAMESPACE);
  const apply = async (o: KubeObject): Promise<KubeObject> =>
    client.apply(o, {
      fieldManager: 'gitfleet-import',
      force: true,
      ...(opts.dryRun ? { dryRun: true } : {}),
    });
  let applied = 0;
  for (const ns of namespaces) {
    if (!(await client.getOrUndefined({ apiVersion: 'v1', kind: 'Namespace', name: ns })))
      await apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  }
  if (backup.rbac) {
    await apply(backup.rbac);
    applied++;
  }
  const setUids = new Map<string, string>();
  for (const { kind } of BACKUP_KINDS) {
    for (const o of backup.objects.filter((x) => x.kind === kind)) {
      const refs =
        (o.metadata.ownerReferences as { kind?: string; name?: string; uid?: string }[] | undefined) ?? [];
      const owners = refs.flatMap((r) => {
        if (r.kind !== 'ApplicationSet') return [r];
        const uid = setUids.get(`${o.metadata.namespace}/${r.name}`);
        // The set is not in the backup: drop the reference rather than point at a uid that is gone.
        return uid ? [{ ...r, uid }] : [];
      });
      const out: KubeObject = { ...o, metadata: { ...o.metadata } };
      if (owners.length > 0) out.metadata.ownerReferences = owners;
      else delete out.metadata.ownerReferences;
      const live = await apply(out);
      if (kind === 'ApplicationSet' && live.metadata.uid)
        setUids.set(`${o.metadata.namespace}/${o.metadata.name}`, live.metadata.uid);
      applied++;
    }
  }
  return { applied, missingSecrets };
}

/** `gitfleet import argocd ...` is helper G's converter; loaded by a computed name so this builds without it. */
async function importArgocd(argv: string[]): Promise<number> {
  const spec = './import-argocd.js';
  let mod: Record<string, unknown>;
  try {
    mod = (await import(spec)) as Record<string, unknown>;
  } catch (e) {
    if ((e as { code?: string }).code === 'ERR_MODULE_NOT_FOUND') {
      console.error('gitfleet import argocd: not built');
      return 1;
    }
    throw e;
  }
  const fn = mod.importArgoCdCommand;
  if (typeof fn !== 'function') {
    console.error('gitfleet import argocd: not built');
    return 1;
  }
  return (fn as (a: string[]) => Promise<number>)(argv);
}

export async function importCommand(argv: string[]): Promise<number> {
  if (argv[0] === 'argocd') return importArgocd(argv.slice(1));
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { kubeconfig: { type: 'string' }, context: { type: 'string' }, 'dry-run': { type: 'boolean' } },
  });
  const dir = positionals[0];
  if (!dir || positionals.length > 1) throw new UsageError(USAGE);
  const backup = readBackup(dir);
  const client = await clientFrom(values);
  try {
    const t0 = Date.now();
    const r = await restoreBackup(client, backup, { dryRun: values['dry-run'] ?? false });
    console.log(
      `${values['dry-run'] ? 'would apply' : 'applied'} ${r.applied} objects in ${Date.now() - t0} ms`,
    );
    for (const s of r.missingSecrets)
      console.error(
        `warning: Secret ${s.namespace}/${s.name} (keys: ${s.keys.join(', ') || 'unknown'}; used by ${s.usedBy.join('; ')}) is missing: re-create it`,
      );
    return 0;
  } finally {
    client.close();
  }
}
