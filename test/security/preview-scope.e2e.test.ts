// A pull request's preview reads the cluster only where its app may manage objects. The preview
// dry-runs the proposed objects against the live cluster and puts the diff in a comment any PR
// reader sees; a PR (a fork's, once an admin allows forks) that names an object outside the app's
// Project must get "would be refused", never that object's live contents.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_VERSION } from '../../src/api/application.js';
import { FLEET_NAMESPACE } from '../../src/api/cluster.js';
import { installCrds } from '../../src/cli/commands/install.js';
import { ClusterResolver } from '../../src/controllers/clusters.js';
import { GitSources } from '../../src/engine/source/index.js';
import type { KubeObject } from '../../src/kube/index.js';
import { previewChange, type PreviewDeps } from '../../src/preview/preview.js';
import {
  createNamespace,
  testFleet,
  uniqueName,
  type ClusterHandle,
  type TestFleet,
} from '../harness/context.js';
import { toolPath } from '../harness/tools.js';

const dir = mkdtempSync(join(tmpdir(), 'gitfleet-preview-scope-'));
/** What the victim namespace holds, which no preview of this app may show. */
const STOLEN = `hunter2-${Math.random().toString(36).slice(2)}`;
let fleet: TestFleet;
let hub: ClusterHandle;
let deps: PreviewDeps;
let repo: string;
let destNs: string;
let victimNs: string;

const cm = (name: string, data: Record<string, string>, namespace?: string): string =>
  JSON.stringify({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, ...(namespace ? { namespace } : {}) },
    data,
  });

beforeAll(async () => {
  fleet = await testFleet();
  hub = fleet.clusters[0] as ClusterHandle;
  await installCrds(hub.admin);
  await hub.admin.apply(
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: FLEET_NAMESPACE } },
    { fieldManager: 'test' },
  );
  const ns = await createNamespace(hub.admin, 'pvscope');
  destNs = await createNamespace(hub.admin, 'pvscope-dest');
  victimNs = await createNamespace(hub.admin, 'pvscope-victim');
  // Live objects: the app's own ConfigMap (as a sync would have left it) and another team's.
  await hub.admin.create({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'settings', namespace: destNs, annotations: { 'gitfleet.dev/owner': `${ns}/web` } },
    data: { color: 'live-blue' },
  } as KubeObject);
  await hub.admin.create({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'db', namespace: victimNs },
    data: { password: STOLEN },
  } as KubeObject);
  repo = uniqueName('pvscope-repo');
  await fleet.git.createRepo(repo);
  await fleet.git.commit(repo, { 'app/settings.yaml': cm('settings', { color: 'blue' }) });
  await hub.admin.create({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'creds', namespace: ns },
    stringData: { username: fleet.git.info.admin.username, password: fleet.git.info.admin.password },
  });
  // The app may deploy into its own namespace only.
  const project = uniqueName('pvscope-proj');
  await hub.admin.create({
    apiVersion: API_VERSION,
    kind: 'Project',
    metadata: { name: project, namespace: FLEET_NAMESPACE },
    spec: {
      sourceNamespaces: [ns],
      sourceRepos: [`${fleet.git.info.url}/*`],
      destinations: [{ namespace: destNs }],
    },
  } as KubeObject);
  await hub.admin.create({
    apiVersion: API_VERSION,
    kind: 'Application',
    metadata: { name: 'web', namespace: ns },
    spec: {
      project,
      source: {
        repoURL: fleet.git.repoUrl(repo),
        targetRevision: 'main',
        path: 'app',
        secretRef: { name: 'creds' },
      },
      destination: { namespace: destNs },
    },
  } as KubeObject);
  deps = {
    client: hub.admin,
    sources: new GitSources({ cacheDir: join(dir, 'sources') }),
    clusters: new ClusterResolver(hub.admin, FLEET_NAMESPACE),
    namespace: ns,
    renderOptions: { kustomizeBinary: toolPath('kustomize'), helmBinary: toolPath('helm') },
  };
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the preview of a pull request', () => {
  it('shows the live value of an object the app manages (the control case)', async () => {
    const head = await fleet.git.commit(
      repo,
      { 'app/settings.yaml': cm('settings', { color: 'green' }) },
      { branch: 'recolour' },
    );
    const report = await previewChange(deps, { repoURL: fleet.git.repoUrl(repo), base: 'main', head });
    const text = JSON.stringify(report);
    expect(report.summary.changed).toBe(1);
    expect(text).toContain('live-blue');
    expect(report.apps[0]?.error).toBeUndefined();
  });

  it('names an object outside the Project as refused and never reads it', async () => {
    const head = await fleet.git.commit(
      repo,
      {
        'app/settings.yaml': cm('settings', { color: 'green' }),
        'app/steal.yaml': cm('db', { password: 'x' }, victimNs),
      },
      { branch: 'steal' },
    );
    const report = await previewChange(deps, { repoURL: fleet.git.repoUrl(repo), base: 'main', head });
    const text = JSON.stringify(report);
    expect(text).not.toContain(STOLEN);
    // Nothing of the refused change was compared with the cluster: not even the allowed object.
    expect(text).not.toContain('live-blue');
    const app = report.apps.find((a) => a.app.endsWith('/web'));
    expect(app?.error).toMatch(/would be refused: .*ConfigMap\/.*db/);
    expect(app?.error).toContain(victimNs);
  });
});
