import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { API_VERSION, type Application } from '../../src/api/application.js';
import { FLEET_NAMESPACE } from '../../src/api/cluster.js';
import { installCrds } from '../../src/cli/commands/install.js';
import { registerCluster } from '../../src/controllers/cluster/register.js';
import { loadConnection, type KubeObject } from '../../src/kube/index.js';
import {
  createNamespace,
  testFleet,
  uniqueName,
  type ClusterHandle,
  type TestFleet,
} from '../harness/context.js';
import { startHubProcess } from '../harness/gitfleet-process.js';
import { freePort } from '../harness/ports.js';
import type { ManagedProcess } from '../harness/process.js';
import { repoRoot } from '../harness/tools.js';
import { FatalWaitError, waitFor } from '../harness/wait.js';

/**
 * Disaster recovery: `gitfleet export` → the hub and every gitfleet object gone → Secrets restored
 * from the operator's store → `gitfleet import` → a new hub adopts the fleet: every app Synced and
 * Healthy, and no object on the destination re-created (same UIDs).
 */
let fleet: TestFleet;
let mgmt: ClusterHandle;
let target: ClusterHandle;
let ns: string;
let dest: string;
let logDir: string;
let hub: ManagedProcess | undefined;
const label = uniqueName('dr');
const clusterName = uniqueName('drc');
const apps = ['a', 'b', 'c'].map((x) => `${label}-${x}`);

function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(repoRoot, 'src/cli/main.ts'), ...args], {
    encoding: 'utf8',
    cwd: repoRoot,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

async function startHub(id: string): Promise<void> {
  hub = startHubProcess({
    name: id,
    logDir,
    kubeconfig: mgmt.kubeconfig,
    namespace: ns,
    port: await freePort(),
    shardGroup: label,
    replicaId: id,
  });
}

async function allSynced(): Promise<Application[] | undefined> {
  if (hub && !hub.running) throw new FatalWaitError(`hub exited:\n${hub.tail()}`);
  const list = await mgmt.admin.list<Application>(API_VERSION, 'Application', { namespace: ns });
  const ok = apps.every((n) => {
    const a = list.items.find((x) => x.metadata.name === n);
    return a?.status?.sync?.status === 'Synced' && a.status.health?.status === 'Healthy';
  });
  return ok ? list.items : undefined;
}

async function destUids(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const kind of ['ConfigMap', 'Service']) {
    const list = await target.admin.list(kind === 'ConfigMap' ? 'v1' : 'v1', kind, { namespace: dest });
    for (const o of list.items)
      if (o.metadata.name.startsWith(label)) out[`${kind}/${o.metadata.name}`] = o.metadata.uid ?? '';
  }
  return out;
}

beforeAll(async () => {
  fleet = await testFleet();
  mgmt = fleet.clusters[0] as ClusterHandle;
  target = fleet.clusters[1] as ClusterHandle;
  await installCrds(mgmt.admin);
  ns = await createNamespace(mgmt.admin, 'dr');
  dest = await createNamespace(target.admin, 'dr-dest');
  logDir = join(fleet.info.runDir, 'logs', ns);
  mkdirSync(logDir, { recursive: true });
  const repo = uniqueName('dr-repo');
  await fleet.git.createRepo(repo);
  const files: Record<string, string> = {};
  for (const n of apps) {
    files[`${n}/cm.yaml`] = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${n}\ndata:\n  v: "1"\n`;
    files[`${n}/svc.yaml`] =
      `apiVersion: v1\nkind: Service\nmetadata:\n  name: ${n}\nspec:\n  ports: [{ port: 80 }]\n  selector: { app: ${n} }\n`;
  }
  await fleet.git.commit(repo, files);
  await mgmt.admin.create({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'creds', namespace: ns },
    stringData: { username: fleet.git.info.admin.username, password: fleet.git.info.admin.password },
  });
  await registerCluster(mgmt.admin, {
    name: clusterName,
    connection: await loadConnection({ file: target.kubeconfig }),
    labels: { 'backup-test': label },
  });
  for (const n of apps)
    await mgmt.admin.create<Application>({
      apiVersion: API_VERSION,
      kind: 'Application',
      metadata: { name: n, namespace: ns, labels: { 'backup-test': label } },
      spec: {
        source: { repoURL: fleet.git.repoUrl(repo), path: n, secretRef: { name: 'creds' } },
        destination: { name: clusterName, namespace: dest },
        syncPolicy: { automated: { prune: true, selfHeal: true } },
      },
    });
  await startHub('hub-old');
}, 120_000);

afterAll(async () => {
  await hub?.stop();
});

describe('export and import (disaster recovery)', () => {
  it('a new hub adopts the fleet from an export: every app Synced, nothing re-created', async () => {
    await waitFor('every app Synced and Healthy on the old hub', allSynced, { timeoutMs: 90_000 });
    const before = await destUids();
    expect(Object.keys(before)).toHaveLength(apps.length * 2);

    const dir = join(logDir, 'backup');
    const exp = cli('export', dir, '-l', `backup-test=${label}`, '--kubeconfig', mgmt.kubeconfig);
    expect(exp.stderr).toBe('');
    expect(exp.status).toBe(0);
    expect(exp.stdout).toMatch(/^Cluster: 1$/m);
    expect(exp.stdout).toMatch(/^Application: 3$/m);
    // Secrets are references: names and key names, never a value.
    const refs = parse(readFileSync(join(dir, 'secret-references.yaml'), 'utf8')) as {
      secrets: { namespace: string; name: string; keys: string[] }[];
    };
    expect(refs.secrets.map((s) => `${s.namespace}/${s.name}`).sort()).toEqual(
      [`${FLEET_NAMESPACE}/cluster-${clusterName}`, `${ns}/creds`].sort(),
    );
    const creds = refs.secrets.find((s) => s.name === 'creds');
    expect(creds?.keys).toEqual(['password', 'username']);
    const backupText = ['applications.yaml', 'clusters.yaml', 'secret-references.yaml']
      .map((f) => readFileSync(join(dir, f), 'utf8'))
      .join('\n');
    expect(backupText).not.toContain(fleet.git.info.admin.password);
    expect(backupText).not.toMatch(/uid:|resourceVersion:|status:/);

    // Disaster: the hub and every gitfleet object of this fleet are gone (finalizers dropped so the
    // loss of the management cluster's state deletes nothing on the destination).
    await hub?.stop();
    hub = undefined;
    const credsSecret = await mgmt.admin.get({
      apiVersion: 'v1',
      kind: 'Secret',
      namespace: FLEET_NAMESPACE,
      name: `cluster-${clusterName}`,
    });
    for (const n of apps) {
      await mgmt.admin.request({
        method: 'PATCH',
        path: `/apis/${API_VERSION}/namespaces/${ns}/applications/${n}`,
        contentType: 'application/merge-patch+json',
        body: { metadata: { finalizers: null } },
      });
      await mgmt.admin.delete({ apiVersion: API_VERSION, kind: 'Application', namespace: ns, name: n });
    }
    await mgmt.admin.delete({
      apiVersion: API_VERSION,
      kind: 'Cluster',
      namespace: FLEET_NAMESPACE,
      name: clusterName,
    });
    await mgmt.admin.delete({
      apiVersion: 'v1',
      kind: 'Secret',
      namespace: FLEET_NAMESPACE,
      name: `cluster-${clusterName}`,
    });
    await waitFor('the Applications gone', async () => {
      const l = await mgmt.admin.list(API_VERSION, 'Application', { namespace: ns });
      return l.items.length === 0;
    });

    // Import with the credentials still missing: it restores, and names what to re-create.
    const t0 = Date.now();
    const warn = cli('import', dir, '--dry-run', '--kubeconfig', mgmt.kubeconfig);
    expect(warn.status).toBe(0);
    expect(warn.stderr).toContain(`Secret ${FLEET_NAMESPACE}/cluster-${clusterName} (keys: `);
    expect(await mgmt.admin.list(API_VERSION, 'Application', { namespace: ns })).toMatchObject({ items: [] });
    // The operator restores the Secret from their own store, then imports and starts a new hub.
    const { metadata, data, type } = credsSecret as KubeObject & { data: unknown; type: string };
    await mgmt.admin.create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: metadata.name, namespace: metadata.namespace, labels: metadata.labels ?? {} },
      data,
      type,
    } as KubeObject);
    const imp = cli('import', dir, '--kubeconfig', mgmt.kubeconfig);
    expect(imp.stderr).toBe('');
    expect(imp.stdout).toMatch(/^applied 4 objects/);
    await startHub('hub-new');
    await waitFor('every app Synced and Healthy on the new hub', allSynced, { timeoutMs: 90_000 });
    const recoveryMs = Date.now() - t0;
    console.log(`recovery: import to every app Synced+Healthy in ${recoveryMs} ms (${apps.length} apps)`);
    expect(await destUids()).toEqual(before);
  });

  it('refuses a broken backup naming the file and document, and applies nothing', async () => {
    const dir = join(logDir, 'broken');
    mkdirSync(dir, { recursive: true });
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(dir, 'backup.json'), JSON.stringify({ format: 'gitfleet-backup/v1' }));
    writeFileSync(
      join(dir, 'projects.yaml'),
      `---\napiVersion: ${API_VERSION}\nkind: Project\nmetadata: { name: ${label}-ok, namespace: ${ns} }\nspec: {}\n`,
    );
    writeFileSync(
      join(dir, 'applications.yaml'),
      `---\napiVersion: ${API_VERSION}\nkind: Project\nmetadata: { name: x, namespace: ${ns} }\n`,
    );
    const r = cli('import', dir, '--kubeconfig', mgmt.kubeconfig);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(
      `${join(dir, 'applications.yaml')}: document 1: kind Project in the Application file`,
    );
    expect(
      await mgmt.admin.getOrUndefined({
        apiVersion: API_VERSION,
        kind: 'Project',
        namespace: ns,
        name: `${label}-ok`,
      }),
    ).toBeUndefined();
  });
});
