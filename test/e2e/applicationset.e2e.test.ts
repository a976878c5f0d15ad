import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_VERSION, type Application } from '../../src/api/application.js';
import type { ApplicationSet } from '../../src/api/applicationset.js';
import { FLEET_NAMESPACE } from '../../src/api/cluster.js';
import { installCrds } from '../../src/cli/commands/install.js';
import { registerCluster } from '../../src/controllers/cluster/register.js';
import { loadConnection, type ClusterConnection, type KubeObject } from '../../src/kube/index.js';
import {
  createNamespace,
  testFleet,
  uniqueName,
  type ClusterHandle,
  type TestFleet,
} from '../harness/context.js';
import { startControllers, type TestControllers } from '../harness/controllers.js';
import { waitFor } from '../harness/wait.js';

let fleet: TestFleet;
let hub: ClusterHandle;
let ns: string;
let controllers: TestControllers;
let remoteConn: ClusterConnection;
const cacheDir = mkdtempSync(join(tmpdir(), 'gitfleet-appset-'));

beforeAll(async () => {
  fleet = await testFleet();
  hub = fleet.clusters[0] as ClusterHandle;
  remoteConn = await loadConnection({ file: (fleet.clusters[1] as ClusterHandle).kubeconfig });
  await installCrds(hub.admin);
  ns = await createNamespace(hub.admin, 'appset');
  controllers = await startControllers({
    kubeconfig: hub.kubeconfig,
    namespace: ns,
    cacheDir,
    appsets: true,
  });
});

afterAll(() => {
  controllers?.stop();
  rmSync(cacheDir, { recursive: true, force: true });
});

const apps = async (set: string): Promise<Application[]> =>
  (
    await hub.admin.list<Application>(API_VERSION, 'Application', {
      namespace: ns,
      labelSelector: `gitfleet.dev/applicationset=${set}`,
    })
  ).items.filter((a) => !a.metadata.deletionTimestamp);
const names = async (set: string): Promise<string[]> => (await apps(set)).map((a) => a.metadata.name).sort();
const getSet = (name: string): Promise<ApplicationSet> =>
  hub.admin.get<ApplicationSet>({ apiVersion: API_VERSION, kind: 'ApplicationSet', namespace: ns, name });

async function createSet(name: string, spec: Record<string, unknown>): Promise<void> {
  await hub.admin.create({
    apiVersion: API_VERSION,
    kind: 'ApplicationSet',
    metadata: { name, namespace: ns },
    spec,
  } as KubeObject);
}

describe('ApplicationSet', () => {
  it('gives a newly labelled cluster its apps, and takes them away when the label goes (sync policy only)', async () => {
    const mark = uniqueName('mark');
    const [a, b] = [uniqueName('ca'), uniqueName('cb')];
    await registerCluster(hub.admin, { name: a, connection: remoteConn, labels: { fleet: mark } });
    const template = {
      metadata: { name: '{{name}}-guestbook' },
      spec: {
        source: { repoURL: 'http://git.invalid/x.git', path: 'guestbook' },
        destination: { name: '{{name}}', namespace: 'guestbook-{{metadata.labels.fleet}}' },
      },
    };
    await createSet('by-cluster', {
      generators: [{ clusters: { selector: { matchLabels: { fleet: mark } } } }],
      template,
    });
    await createSet('by-cluster-keep', {
      generators: [{ clusters: { selector: { matchLabels: { fleet: mark } } } }],
      template: { ...template, metadata: { name: '{{name}}-keep' } },
      syncPolicy: { applicationsSync: 'create-update' },
    });
    await waitFor('app for cluster a', async () => (await names('by-cluster')).join() === `${a}-guestbook`, {
      timeoutMs: 20_000,
    });
    const first = (await apps('by-cluster'))[0];
    expect(first?.spec.destination).toEqual({ name: a, namespace: `guestbook-${mark}` });
    expect((first?.metadata.ownerReferences as { kind: string }[])[0]?.kind).toBe('ApplicationSet');

    await registerCluster(hub.admin, { name: b, connection: remoteConn, labels: { fleet: mark } });
    await waitFor(
      'app for the new cluster b, with no other action',
      async () => (await names('by-cluster')).join() === [`${a}-guestbook`, `${b}-guestbook`].sort().join(),
      { timeoutMs: 20_000 },
    );

    await hub.admin.request({
      method: 'PATCH',
      path: `/apis/${API_VERSION}/namespaces/${FLEET_NAMESPACE}/clusters/${b}`,
      body: { metadata: { labels: { fleet: null } } },
      contentType: 'application/merge-patch+json',
    });
    await waitFor(
      'app for b removed under sync',
      async () => (await names('by-cluster')).join() === `${a}-guestbook`,
      { timeoutMs: 20_000 },
    );
    await waitFor('create-update keeps both', async () => (await names('by-cluster-keep')).length === 2, {
      timeoutMs: 20_000,
    });
    await new Promise((r) => setTimeout(r, 2500));
    expect(await names('by-cluster-keep')).toEqual([`${a}-keep`, `${b}-keep`].sort());
  });

  it('generates one Application per Git directory, skipping excluded ones', async () => {
    const repo = uniqueName('mono');
    await fleet.git.createRepo(repo);
    await fleet.git.commit(repo, {
      'apps/api/cm.yaml': 'x',
      'apps/web/cm.yaml': 'x',
      'apps/legacy/cm.yaml': 'x',
      'README.md': 'x',
    });
    await hub.admin.create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: `${repo}-repo`, namespace: ns, labels: { 'gitfleet.dev/secret-type': 'repository' } },
      stringData: {
        url: fleet.git.repoUrl(repo),
        username: fleet.git.info.admin.username,
        password: fleet.git.info.admin.password,
      },
    });
    await createSet('dirs', {
      goTemplate: true,
      generators: [
        {
          git: {
            repoURL: fleet.git.repoUrl(repo),
            revision: 'main',
            directories: [{ path: 'apps/*' }, { path: 'apps/legacy', exclude: true }],
          },
        },
      ],
      template: {
        metadata: { name: 'svc-{{.path.basename}}' },
        spec: {
          source: { repoURL: fleet.git.repoUrl(repo), path: '{{.path.path}}' },
          destination: { namespace: '{{.path.basename | upper | lower}}' },
        },
      },
    });
    await waitFor('two directory apps', async () => (await names('dirs')).join() === 'svc-api,svc-web', {
      timeoutMs: 20_000,
    });
    const api = (await apps('dirs')).find((a) => a.metadata.name === 'svc-api');
    expect(api?.spec.source.path).toBe('apps/api');
    expect(api?.spec.destination.namespace).toBe('api');

    await fleet.git.commit(repo, { 'apps/jobs/cm.yaml': 'x' });
    await waitFor('a new directory becomes an app', async () => (await names('dirs')).includes('svc-jobs'), {
      timeoutMs: 20_000,
    });
  });

  it('reports a template error naming the ApplicationSet and field, and changes nothing', async () => {
    await createSet('broken', {
      generators: [{ list: { elements: [{ name: 'one' }] } }],
      template: {
        metadata: { name: '{{name}}' },
        spec: {
          source: { repoURL: 'http://git.invalid/x.git', path: '{{nope}}' },
          destination: { namespace: 'x' },
        },
      },
    });
    const set = await waitFor(
      'error condition',
      async () => {
        const s = await getSet('broken');
        return s.status?.conditions?.some((c) => c.type === 'ErrorOccurred' && c.status === 'True') && s;
      },
      { timeoutMs: 20_000 },
    );
    const msg = set.status?.conditions?.find((c) => c.type === 'ErrorOccurred')?.message ?? '';
    expect(msg).toContain(`ApplicationSet ${ns}/broken`);
    expect(msg).toContain('spec.source.path');
    expect(msg).toContain('nope');
    expect(await names('broken')).toEqual([]);
  });

  it('refuses a self-management annotation produced by a parameter; a literal one in the template passes', async () => {
    // The annotation exempts gitfleet's own installation from the protected-resource rules, so only
    // the ApplicationSet's author may claim it, never a generator's values (Git files, labels).
    await createSet('smuggled', {
      generators: [{ list: { elements: [{ name: 'one', exempt: 'true' }] } }],
      template: {
        metadata: {
          name: 'smuggled-{{name}}',
          annotations: { 'gitfleet.dev/self-management': '{{exempt}}' },
        },
        spec: {
          source: { repoURL: 'http://git.invalid/x.git', path: '.' },
          destination: { namespace: 'x' },
        },
      },
    });
    await createSet('literal', {
      generators: [{ list: { elements: [{ name: 'one' }] } }],
      template: {
        metadata: { name: 'literal-{{name}}', annotations: { 'gitfleet.dev/self-management': 'true' } },
        spec: {
          source: { repoURL: 'http://git.invalid/x.git', path: '.' },
          destination: { namespace: 'x' },
        },
      },
    });
    const set = await waitFor(
      'error condition',
      async () => {
        const s = await getSet('smuggled');
        return s.status?.conditions?.some((c) => c.type === 'ErrorOccurred' && c.status === 'True') && s;
      },
      { timeoutMs: 60_000 },
    );
    const msg = set.status?.conditions?.find((c) => c.type === 'ErrorOccurred')?.message ?? '';
    expect(msg).toContain(`ApplicationSet ${ns}/smuggled`);
    expect(msg).toContain('metadata.annotations["gitfleet.dev/self-management"]');
    expect(await names('smuggled')).toEqual([]);
    await waitFor(
      'the literal one generates its app',
      async () => (await names('literal')).join() === 'literal-one',
      {
        timeoutMs: 60_000,
      },
    );
  });

  it('reports a name collision instead of overwriting an Application it does not own', async () => {
    await hub.admin.create({
      apiVersion: API_VERSION,
      kind: 'Application',
      metadata: { name: 'taken', namespace: ns },
      spec: { source: { repoURL: 'http://git.invalid/mine.git' }, destination: { namespace: 'mine' } },
    } as KubeObject);
    await createSet('collide', {
      generators: [{ list: { elements: [{ n: 'taken' }, { n: 'free' }] } }],
      template: {
        metadata: { name: '{{n}}' },
        spec: { source: { repoURL: 'http://git.invalid/theirs.git' }, destination: { namespace: 'theirs' } },
      },
    });
    const set = await waitFor(
      'collision reported',
      async () => {
        const s = await getSet('collide');
        return s.status?.conditions?.some((c) => c.reason === 'ApplicationNameCollision') && s;
      },
      { timeoutMs: 20_000 },
    );
    expect(set.status?.conditions?.find((c) => c.type === 'ErrorOccurred')?.message).toContain(`${ns}/taken`);
    const taken = await hub.admin.get<Application>({
      apiVersion: API_VERSION,
      kind: 'Application',
      namespace: ns,
      name: 'taken',
    });
    expect(taken.spec.source.repoURL).toBe('http://git.invalid/mine.git');
    expect(await names('collide')).toEqual(['free']);
  });
});
