// Adoption of live objects (issue 21): N Applications × M objects that Argo CD and Flux deployed
// exist first (tracking-id annotation, instance label, Flux labels, applied by their own field
// managers); gitfleet Applications of the same names are created and take them over.
//   npx tsx bench/adopt/main.ts [--apps 100] [--objects 10]
// Figures: time from creating the Applications to every one Synced with every object owned, and
// objects recreated (UID changed or gone; must be 0), ReplicaSets and Pods replaced (must be 0).
// Prints figures and, last, `RESULT {json}`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { API_VERSION, type Application } from '../../src/api/application.js';
import { FLEET_NAMESPACE } from '../../src/api/cluster.js';
import { installCrds } from '../../src/cli/commands/install.js';
import { mapLimit } from '../../src/core/concurrency.js';
import type { KubeObject } from '../../src/kube/index.js';
import { startControllers } from '../../test/harness/controllers.js';
import { startFleet } from '../../test/harness/fleet.js';
import { waitFor } from '../../test/harness/wait.js';

const { values } = parseArgs({
  options: { apps: { type: 'string', default: '100' }, objects: { type: 'string', default: '10' } },
});
const apps = Number(values.apps);
const perApp = Number(values.objects);
if (!(apps > 0 && perApp >= 3)) throw new Error('--apps must be > 0 and --objects ≥ 3');

const fleet = await startFleet({ clusters: ['adopt'] });
const cluster = fleet.clusters[0];
if (!cluster) throw new Error('no cluster');
const { admin } = cluster;
const cacheDir = mkdtempSync(join(tmpdir(), 'gitfleet-bench-adopt-'));
try {
  await installCrds(admin);
  const apply = (o: Record<string, unknown>, manager = 'bench'): Promise<KubeObject> =>
    admin.apply(o as KubeObject, { fieldManager: manager });
  await apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: FLEET_NAMESPACE } });
  const appNs = 'bench-adopt';
  await apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: appNs } });
  await apply({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'repo', namespace: appNs },
    stringData: { username: fleet.git.info.admin.username, password: fleet.git.info.admin.password },
  });
  await apply({
    apiVersion: API_VERSION,
    kind: 'Project',
    metadata: { name: 'adopt', namespace: FLEET_NAMESPACE },
    spec: { sourceNamespaces: [appNs], sourceRepos: ['*'], destinations: [{ namespace: '*' }] },
  });

  // Each app: one Deployment (Argo CD tracking-id), one Service (Flux labels), ConfigMaps (Argo's
  // instance label): the three kinds of marks, in the shape each tool leaves them.
  const appName = (i: number): string => `shop-${i}`;
  const destNs = (i: number): string => `adopt-${i}`;
  const objectsOf = (i: number): { git: Record<string, unknown>; marks: Record<string, unknown> }[] => {
    const app = appName(i);
    const ns = destNs(i);
    const deploy = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web' },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] },
        },
      },
    };
    const svc = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web' },
      spec: { selector: { app: 'web' }, ports: [{ port: 80 }] },
    };
    const cms = Array.from({ length: perApp - 2 }, (_, k) => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: `settings-${k}` },
      data: { k: String(k) },
    }));
    return [
      {
        git: deploy,
        marks: { annotations: { 'argocd.argoproj.io/tracking-id': `${app}:apps/Deployment:${ns}/web` } },
      },
      {
        git: svc,
        marks: {
          labels: {
            'kustomize.toolkit.fluxcd.io/name': app,
            'kustomize.toolkit.fluxcd.io/namespace': 'flux-system',
          },
        },
      },
      ...cms.map((git) => ({ git, marks: { labels: { 'app.kubernetes.io/instance': app } } })),
    ];
  };

  const t0 = Date.now();
  const indexes = Array.from({ length: apps }, (_, i) => i);
  const repo = 'adopt';
  const url = await fleet.git.createRepo(repo);
  const files: Record<string, string> = {};
  for (const i of indexes)
    files[`apps/${i}/all.yaml`] =
      objectsOf(i)
        .map((o) => JSON.stringify(o.git))
        .join('\n---\n') + '\n';
  await fleet.git.commit(repo, files);
  const uids = new Map<string, string>();
  const key = (o: KubeObject): string => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`;
  await mapLimit(indexes, 8, async (i) => {
    await apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: destNs(i) } });
    for (const o of objectsOf(i)) {
      const meta = o.git.metadata as Record<string, unknown>;
      const live = await apply(
        { ...o.git, metadata: { ...meta, ...o.marks, namespace: destNs(i) } },
        'argocd-controller',
      );
      uids.set(key(live), String(live.metadata.uid));
    }
  });
  const podsOf = async (): Promise<Map<string, string>> => {
    const m = new Map<string, string>();
    for (const p of (await admin.list('v1', 'Pod')).items.filter((p) =>
      p.metadata.namespace?.startsWith('adopt-'),
    ))
      m.set(
        String(p.metadata.uid),
        `${(p.metadata.ownerReferences as { uid: string }[] | undefined)?.[0]?.uid}`,
      );
    return m;
  };
  const rsOf = async (): Promise<Set<string>> =>
    new Set(
      (await admin.list('apps/v1', 'ReplicaSet')).items
        .filter((r) => r.metadata.namespace?.startsWith('adopt-'))
        .map((r) => `${r.metadata.uid}@${r.metadata.generation}`),
    );
  await waitFor('every Deployment has its Pod', async () => (await podsOf()).size === apps, {
    timeoutMs: 300_000,
    intervalMs: 1000,
  });
  const podsBefore = await podsOf();
  const rsBefore = await rsOf();
  console.log(
    `live objects before adoption: ${uids.size} (${apps} apps × ${perApp}), set up in ${Date.now() - t0} ms`,
  );

  const controllers = await startControllers({
    kubeconfig: cluster.kubeconfig,
    namespace: appNs,
    cacheDir,
    apps: true,
  });
  try {
    const start = Date.now();
    await mapLimit(indexes, 8, (i) =>
      admin.create({
        apiVersion: API_VERSION,
        kind: 'Application',
        metadata: { name: appName(i), namespace: appNs },
        spec: {
          project: 'adopt',
          source: { repoURL: url, path: `apps/${i}`, secretRef: { name: 'repo' } },
          destination: { namespace: destNs(i) },
          syncPolicy: { automated: { prune: true, selfHeal: true } },
        },
      } as KubeObject),
    );
    let failed: string[] = [];
    await waitFor(
      'every app Synced',
      async () => {
        const list = (await admin.list(API_VERSION, 'Application', { namespace: appNs }))
          .items as Application[];
        failed = list.filter((a) => a.status?.operationState?.phase === 'Failed').map((a) => a.metadata.name);
        const done = list.filter(
          (a) => a.status?.sync?.status === 'Synced' && a.status.operationState?.phase === 'Succeeded',
        ).length;
        return done === apps;
      },
      { timeoutMs: 900_000, intervalMs: 1000 },
    );
    const adoptMs = Date.now() - start;
    let recreated = 0;
    let owned = 0;
    for (const i of indexes)
      for (const o of objectsOf(i)) {
        const meta = o.git.metadata as { name: string };
        const live = await admin.getOrUndefined({
          apiVersion: String(o.git.apiVersion),
          kind: String(o.git.kind),
          namespace: destNs(i),
          name: meta.name,
        });
        if (!live || uids.get(key(live)) !== live.metadata.uid) recreated++;
        if (live?.metadata.annotations?.['gitfleet.dev/owner'] === `${appNs}/${appName(i)}`) owned++;
      }
    const podsAfter = await podsOf();
    const rsAfter = await rsOf();
    const podsReplaced = [...podsBefore].filter(([uid, owner]) => podsAfter.get(uid) !== owner).length;
    const rsChanged = [...rsBefore].filter((r) => !rsAfter.has(r)).length;
    console.log(
      `adopted ${owned}/${uids.size} objects of ${apps} apps in ${adoptMs} ms (${Math.round(adoptMs / apps)} ms/app)`,
    );
    console.log(
      `objects recreated: ${recreated}; ReplicaSets replaced or changed: ${rsChanged}; Pods replaced: ${podsReplaced}`,
    );
    if (failed.length) console.log(`apps that failed a sync on the way: ${failed.join(', ')}`);
    console.log(
      `RESULT ${JSON.stringify({
        bench: 'adopt',
        apps,
        objectsPerApp: perApp,
        objects: uids.size,
        adoptMs,
        msPerApp: Math.round(adoptMs / apps),
        owned,
        recreated,
        replicaSetsChanged: rsChanged,
        podsReplaced,
      })}`,
    );
  } finally {
    controllers.stop();
  }
} finally {
  await fleet.stop();
  rmSync(cacheDir, { recursive: true, force: true });
}
