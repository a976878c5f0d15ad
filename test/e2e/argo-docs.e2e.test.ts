// Argo CD's documented examples (test/fixtures/argo-docs, only the apiVersion changed) applied to
// the real hub: list, cluster, git directory and files, matrix, merge and progressive syncs give
// the Application names and destinations Argo CD gives; what gitfleet does not implement is
// refused naming the field (the ApplicationSet's condition, or the apiserver's strict validation).
//
// Changes the harness forces, nothing else: each manifest goes into this file's namespace (a
// manifest's `namespace: argocd` means the hub's) under a unique name, a git generator's repoURL
// (Argo CD's GitHub repository) points at the harness Git server, which holds the same example
// tree, and so does a RollingSync template's source (the roll-out resolves its revision). Only the
// ApplicationSet controller runs: the generated Applications name sources on GitHub (no network
// here), and what is asserted is what the ApplicationSet generates.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as yamlParse } from 'yaml';
import { API_VERSION, type Application } from '../../src/api/application.js';
import { APPLICATIONSET_LABEL, type ApplicationSet } from '../../src/api/applicationset.js';
import { installCrds } from '../../src/cli/commands/install.js';
import { registerCluster, removeCluster } from '../../src/controllers/cluster/register.js';
import { KubeApiError, loadConnection, type KubeObject } from '../../src/kube/index.js';
import { ARGO_REPO, argoRepoTree } from '../fixtures/argo-docs/run.js';
import {
  createNamespace,
  testFleet,
  uniqueName,
  type ClusterHandle,
  type TestFleet,
} from '../harness/context.js';
import { startControllers, type TestControllers } from '../harness/controllers.js';
import { waitFor } from '../harness/wait.js';

const fixtures = join(import.meta.dirname, '..', 'fixtures', 'argo-docs', 'manifests');
const IN_CLUSTER = 'https://kubernetes.default.svc';

let fleet: TestFleet;
let hub: ClusterHandle;
let ns: string;
let controllers: TestControllers;
let repoUrl: string;
const c2Name = uniqueName('argodocs-c2');
let c2Url: string;
const cacheDir = mkdtempSync(join(tmpdir(), 'gitfleet-argo-docs-'));

beforeAll(async () => {
  fleet = await testFleet();
  hub = fleet.clusters[0] as ClusterHandle;
  const c2 = fleet.clusters[1] as ClusterHandle;
  await installCrds(hub.admin);
  ns = await createNamespace(hub.admin, 'argo-docs');
  // Argo CD's repository as its examples' git generators read it.
  const repo = uniqueName('argo-cd');
  await fleet.git.createRepo(repo);
  const files: Record<string, string> = {};
  for (const [path, content] of Object.entries(argoRepoTree())) files[path] = content || '# placeholder\n';
  await fleet.git.commit(repo, files);
  repoUrl = fleet.git.repoUrl(repo);
  await hub.admin.create({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: `${repo}-repo`, namespace: ns, labels: { 'gitfleet.dev/secret-type': 'repository' } },
    stringData: {
      url: repoUrl,
      username: fleet.git.info.admin.username,
      password: fleet.git.info.admin.password,
    },
  });
  // Registered under a localhost URL only this file uses (other files register 127.0.0.1).
  const conn = await loadConnection({ file: c2.kubeconfig });
  c2Url = conn.server.replace('//127.0.0.1:', '//localhost:');
  await registerCluster(hub.admin, {
    name: c2Name,
    connection: { ...conn, server: c2Url },
    labels: { 'argo-docs': c2Name },
  });
  controllers = await startControllers({
    kubeconfig: hub.kubeconfig,
    namespace: ns,
    cacheDir,
    appsets: true,
    pollIntervalMs: 1000,
    fetchIntervalMs: 500,
  });
});

afterAll(async () => {
  controllers?.stop();
  await removeCluster(hub.admin, c2Name).catch(() => undefined);
  rmSync(cacheDir, { recursive: true, force: true });
});

/** A corpus manifest as written, moved into this namespace, git generators on the harness repo. */
function manifest(file: string): KubeObject & { spec: Record<string, unknown> } {
  const obj = yamlParse(readFileSync(join(fixtures, file), 'utf8')) as KubeObject & {
    spec: Record<string, unknown>;
  };
  obj.metadata = { ...obj.metadata, name: uniqueName(obj.metadata.name), namespace: ns };
  const retarget = (g: unknown): void => {
    if (!g || typeof g !== 'object') return;
    const rec = g as Record<string, unknown>;
    const git = rec.git as { repoURL?: string } | undefined;
    if (git?.repoURL === ARGO_REPO) git.repoURL = repoUrl;
    for (const k of ['matrix', 'merge'])
      for (const child of (rec[k] as { generators?: unknown[] } | undefined)?.generators ?? [])
        retarget(child);
  };
  for (const g of (obj.spec.generators as unknown[] | undefined) ?? []) retarget(g);
  // A roll-out resolves the template's revision first: its repository must be reachable too.
  const source = (obj.spec.template as { spec?: { source?: { repoURL?: string } } } | undefined)?.spec
    ?.source;
  if (obj.spec.strategy && source?.repoURL) source.repoURL = repoUrl;
  return obj;
}

const appsOf = async (set: string): Promise<Application[]> =>
  (
    await hub.admin.list<Application>(API_VERSION, 'Application', {
      namespace: ns,
      labelSelector: `${APPLICATIONSET_LABEL}=${set}`,
    })
  ).items;

const line = (a: Application): string =>
  `${a.metadata.name} -> ${a.spec.destination.server ?? `name=${a.spec.destination.name}`} ${a.spec.destination.namespace}`;

/** Applies one ApplicationSet, waits for what it generates, deletes it and its Applications. */
async function generated(
  file: string,
  count: number,
  edit?: (set: KubeObject & { spec: Record<string, unknown> }) => void,
  /** When the generated Applications are complete, beyond their count (default: the count alone). */
  ready: (apps: Application[]) => boolean = () => true,
): Promise<Application[]> {
  const set = manifest(file);
  edit?.(set);
  // Examples reuse names (engineering-dev-guestbook…): start only once the previous example's
  // Applications are all gone, including one a reconcile in flight wrote after its set was deleted.
  await waitFor(`${file}: namespace free of earlier Applications`, async () => {
    const left = (await hub.admin.list<Application>(API_VERSION, 'Application', { namespace: ns })).items;
    for (const a of left) {
      const ref = { apiVersion: API_VERSION, kind: 'Application', namespace: ns, name: a.metadata.name };
      if (a.metadata.finalizers?.length) await hub.admin.patch(ref, { metadata: { finalizers: null } });
      if (!a.metadata.deletionTimestamp) await hub.admin.delete(ref).catch(() => undefined);
    }
    return left.length === 0;
  });
  await hub.admin.create(set);
  try {
    return await waitFor(
      `${file}: ${count} Applications`,
      async () => {
        const s = await hub.admin.get<ApplicationSet>({
          apiVersion: API_VERSION,
          kind: 'ApplicationSet',
          namespace: ns,
          name: set.metadata.name,
        });
        const failed = s.status?.conditions?.find((c) => c.type === 'ErrorOccurred' && c.status === 'True');
        if (failed) throw new Error(`${file}: ${failed.reason}: ${failed.message}`);
        const apps = await appsOf(set.metadata.name);
        return apps.length >= count && ready(apps) && apps;
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
  } finally {
    const setRef = {
      apiVersion: API_VERSION,
      kind: 'ApplicationSet',
      namespace: ns,
      name: set.metadata.name,
    };
    await hub.admin.delete(setRef);
    // No Application controller runs here to handle a finalizer: the Applications are removed
    // directly, until the set is gone and none is left (a reconcile in flight may write one more).
    const seen = new Set<string>();
    await waitFor(
      `${file}: ApplicationSet and Applications deleted`,
      async () => {
        for (const a of (await hub.admin.list<Application>(API_VERSION, 'Application', { namespace: ns }))
          .items)
          seen.add(a.metadata.name);
        let left = 0;
        for (const name of seen) {
          const ref = { apiVersion: API_VERSION, kind: 'Application', namespace: ns, name };
          const app = await hub.admin.getOrUndefined<Application>(ref);
          if (!app) continue;
          left++;
          if (app.metadata.finalizers?.length) await hub.admin.patch(ref, { metadata: { finalizers: null } });
          if (!app.metadata.deletionTimestamp) await hub.admin.delete(ref).catch(() => undefined);
        }
        return left === 0 && !(await hub.admin.getOrUndefined(setRef));
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
  }
}

const ex = (p: string): string => `applicationset__examples__${p}.yaml`;

describe("Argo CD's documented ApplicationSets on the hub", () => {
  it('list, git directories and git files: the names and destinations Argo CD generates', async () => {
    expect((await generated(ex('list-generator__list-example'), 2)).map(line).sort()).toEqual([
      `engineering-dev-guestbook -> ${IN_CLUSTER} guestbook`,
      `engineering-prod-guestbook -> ${IN_CLUSTER} guestbook`,
    ]);
    const dirs = await generated(ex('git-generator-directory__git-directories-example'), 2);
    expect(dirs.map(line).sort()).toEqual([
      `argo-workflows -> ${IN_CLUSTER} argo-workflows`,
      `prometheus-operator -> ${IN_CLUSTER} prometheus-operator`,
    ]);
    // Each Application's source is Argo's repository at the directory found (template unchanged).
    expect(dirs.map((a) => a.spec.source?.path).sort()).toEqual([
      'applicationset/examples/git-generator-directory/cluster-addons/argo-workflows',
      'applicationset/examples/git-generator-directory/cluster-addons/prometheus-operator',
    ]);
    expect(dirs[0]?.spec.syncPolicy?.syncOptions).toEqual(['CreateNamespace=true']);
    expect(
      (await generated(ex('git-generator-files-discovery__git-generator-files'), 2)).map(line).sort(),
    ).toEqual([
      `engineering-dev-guestbook -> ${IN_CLUSTER} guestbook`,
      `engineering-prod-guestbook -> ${IN_CLUSTER} guestbook`,
    ]);
  });

  it("cluster and merge: one Application per cluster, each on that cluster's server", async () => {
    // Other test files register Clusters on the same hub: assert ours and Argo's in-cluster, and
    // that every generated copy points at the server of the cluster it is named after.
    // Clusters are generated as the set's informer sees them: wait for both this file counts on.
    const wanted = [
      `in-cluster-guestbook -> ${IN_CLUSTER} guestbook`,
      `${c2Name}-guestbook -> ${c2Url} guestbook`,
    ];
    const clusters = await generated(ex('cluster__cluster-example'), 2, undefined, (apps) =>
      wanted.every((w) => apps.map(line).includes(w)),
    );
    const names = clusters.map(line);
    expect(names).toContain(`in-cluster-guestbook -> ${IN_CLUSTER} guestbook`);
    expect(names).toContain(`${c2Name}-guestbook -> ${c2Url} guestbook`);
    // The merge keys on `server`: other files register one apiserver under several names at once
    // (two parameter sets with one key is an error, as in Argo), so the base generator is narrowed
    // to this file's cluster; the merge itself is as documented.
    const merged = await generated(ex('merge__merge-clusters-and-list'), 1, (set) => {
      const merge = (set.spec.generators as { merge: { generators: { clusters?: object }[] } }[])[0]?.merge;
      const base = merge?.generators[0];
      if (base?.clusters)
        base.clusters = { ...base.clusters, selector: { matchLabels: { 'argo-docs': c2Name } } };
    });
    expect(merged.map(line)).toEqual([`${c2Name} -> ${c2Url} default`]);
    const ours = merged.find((a) => a.metadata.name === c2Name);
    expect(ours?.spec.source?.helm?.parameters).toEqual([
      { name: 'kafka', value: 'true' },
      { name: 'redis', value: 'false' },
    ]);
  });

  it('matrix: git directories × list elements', async () => {
    expect((await generated(ex('matrix__list-and-git'), 4)).map(line).sort()).toEqual([
      'argo-workflows-engineering-dev -> https://1.2.3.4 argo-workflows',
      'argo-workflows-engineering-prod -> https://2.4.6.8 argo-workflows',
      'prometheus-operator-engineering-dev -> https://1.2.3.4 prometheus-operator',
      'prometheus-operator-engineering-prod -> https://2.4.6.8 prometheus-operator',
    ]);
  });

  it("progressive syncs: the documented RollingSync generates its Applications, which the roll-out syncs (Argo's own RollingSync triggers their syncs)", async () => {
    const apps = await generated('docs__operator-manual__applicationset__Progressive-Syncs-5.yaml', 3);
    expect(apps.map(line).sort()).toEqual([
      'engineering-dev-guestbook -> https://1.2.3.4 guestbook',
      'engineering-prod-guestbook -> https://9.8.7.6/ guestbook',
      'engineering-qa-guestbook -> https://2.4.6.8 guestbook',
    ]);
    expect(apps.map((a) => a.metadata.labels?.envLabel).sort()).toEqual(['env-dev', 'env-prod', 'env-qa']);
    for (const a of apps) expect(a.spec.syncPolicy?.automated).toEqual({});
  });

  it('refused naming the field: an unimplemented generator, and AppProject fields the Project lacks', async () => {
    const set = manifest(ex('scm-provider-generator__scm-provider-example'));
    await hub.admin.create(set);
    const cond = await waitFor(
      'ErrorOccurred',
      async () =>
        (
          await hub.admin.get<ApplicationSet>({
            apiVersion: API_VERSION,
            kind: 'ApplicationSet',
            namespace: ns,
            name: set.metadata.name,
          })
        ).status?.conditions?.find((c) => c.type === 'ErrorOccurred' && c.status === 'True'),
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    expect(cond.message).toContain('spec.generators[0].scmProvider: not supported');
    expect(await appsOf(set.metadata.name)).toEqual([]);

    // Argo's AppProject reference, as `kubectl apply` sends it (strict field validation).
    const project = manifest('docs__operator-manual__project.yaml');
    const err = await hub.admin
      .request({
        method: 'POST',
        path: `/apis/${API_VERSION}/namespaces/${ns}/projects`,
        query: { fieldValidation: 'Strict' },
        body: project,
      })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(KubeApiError);
    const message = (err as Error).message;
    for (const field of [
      'spec.orphanedResources',
      'spec.sourceIntegrity',
      'spec.permitOnlyProjectScopedClusters',
    ])
      expect(message).toContain(field);
    expect(
      await hub.admin.getOrUndefined({
        apiVersion: API_VERSION,
        kind: 'Project',
        namespace: ns,
        name: project.metadata.name,
      }),
    ).toBeUndefined();
  });
});
