// Argo CD ApplicationSets as Argo writes them, on the real fleet: errors show in the
// ApplicationSet's status conditions and as Events (not only in the controller log), refused
// fields are named, and a RollingSync with matchExpressions on Application labels and
// `maxUpdate: 50%` rolls a new commit out in Argo's order.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_VERSION, type Application } from '../../src/api/application.js';
import type { ApplicationSet } from '../../src/api/applicationset.js';
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
import { startControllers, type TestControllers } from '../harness/controllers.js';
import { waitFor } from '../harness/wait.js';

let fleet: TestFleet;
let hub: ClusterHandle;
let ns: string;
let controllers: TestControllers;
const cacheDir = mkdtempSync(join(tmpdir(), 'gitfleet-argo-appsets-'));

beforeAll(async () => {
  fleet = await testFleet();
  hub = fleet.clusters[0] as ClusterHandle;
  await installCrds(hub.admin);
  ns = await createNamespace(hub.admin, 'argo-appsets');
  controllers = await startControllers({
    kubeconfig: hub.kubeconfig,
    namespace: ns,
    cacheDir,
    apps: true,
    appsets: true,
    pollIntervalMs: 1000,
    fetchIntervalMs: 500,
  });
});

afterAll(() => {
  controllers?.stop();
  rmSync(cacheDir, { recursive: true, force: true });
});

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

/** Waits until the ApplicationSet reports ErrorOccurred=True and returns that condition. */
async function errorCondition(name: string): Promise<{ reason: string; message: string }> {
  return waitFor(
    `${name}: ErrorOccurred`,
    async () =>
      (await getSet(name)).status?.conditions?.find((c) => c.type === 'ErrorOccurred' && c.status === 'True'),
    { timeoutMs: 30_000, intervalMs: 200 },
  );
}

/** The Warning Events recorded on the ApplicationSet. */
async function warnings(name: string): Promise<{ reason: string; message: string }[]> {
  const events = await hub.admin.list<KubeObject & { reason: string; message: string; type: string }>(
    'v1',
    'Event',
    { namespace: ns },
  );
  return events.items.filter(
    (e) =>
      e.type === 'Warning' &&
      (e as unknown as { involvedObject: { kind: string; name: string } }).involvedObject.kind ===
        'ApplicationSet' &&
      (e as unknown as { involvedObject: { name: string } }).involvedObject.name === name,
  );
}

const template = (name: string): Record<string, unknown> => ({
  metadata: { name },
  spec: {
    source: { repoURL: 'http://git.invalid/x.git', path: 'guestbook' },
    destination: { name: 'in-cluster', namespace: 'guestbook' },
  },
});

describe('Argo CD ApplicationSet errors', () => {
  it('shows a template error in status.conditions and as an Event, and creates nothing', async () => {
    const name = uniqueName('bad-template');
    await createSet(name, {
      goTemplate: true,
      generators: [{ list: { elements: [{ cluster: 'a' }] } }],
      template: template('{{ .cluster | nosuchfunc }}'),
    });
    const cond = await errorCondition(name);
    expect(cond.reason).toBe('RenderTemplateParamsError');
    expect(cond.message).toContain('unknown function "nosuchfunc"');
    const set = await getSet(name);
    expect(set.status?.conditions?.find((c) => c.type === 'ParametersGenerated')?.status).toBe('True');
    expect(set.status?.conditions?.find((c) => c.type === 'ResourcesUpToDate')?.status).toBe('False');
    const events = await waitFor('Warning event', async () => {
      const w = await warnings(name);
      return w.length > 0 && w;
    });
    expect(events[0]?.reason).toBe('RenderTemplateParamsError');
    expect(events[0]?.message).toContain('nosuchfunc');
    const apps = await hub.admin.list<Application>(API_VERSION, 'Application', { namespace: ns });
    expect(apps.items.filter((a) => a.metadata.name.startsWith('a'))).toEqual([]);
  });

  it('refuses an Argo field it does not implement by name, and honours missingkey=error', async () => {
    const scm = uniqueName('scm');
    await createSet(scm, {
      generators: [{ scmProvider: { github: { organization: 'argoproj' } } }],
      template: template('{{repository}}'),
    });
    const cond = await errorCondition(scm);
    expect(cond.reason).toBe('UnsupportedField');
    expect(cond.message).toContain('spec.generators[0].scmProvider: not supported');
    expect(
      (await getSet(scm)).status?.conditions?.find((c) => c.type === 'ParametersGenerated')?.status,
    ).toBe('False');
    expect(
      (await waitFor('event', async () => (await warnings(scm)).length > 0 && warnings(scm)))[0]?.reason,
    ).toBe('UnsupportedField');

    const strict = uniqueName('strict');
    await createSet(strict, {
      goTemplate: true,
      goTemplateOptions: ['missingkey=error'],
      generators: [{ list: { elements: [{ cluster: 'a' }] } }],
      template: template('x-{{ .clustr }}'),
    });
    const strictCond = await errorCondition(strict);
    expect(strictCond.message).toContain('metadata.name: unknown key ".clustr"');

    // Argo CD's apps-in-any-namespace: refused, a tenant may not write Applications elsewhere.
    const elsewhere = uniqueName('elsewhere');
    await createSet(elsewhere, {
      generators: [{ list: { elements: [{ cluster: 'a' }] } }],
      template: {
        ...template('x-{{cluster}}'),
        metadata: { name: 'x-{{cluster}}', namespace: 'kube-system' },
      },
    });
    expect((await errorCondition(elsewhere)).message).toContain(
      'spec.template.metadata.namespace: "kube-system" is not allowed',
    );
    expect(
      await hub.admin.getOrUndefined({
        apiVersion: API_VERSION,
        kind: 'Application',
        namespace: 'kube-system',
        name: 'x-a',
      }),
    ).toBeUndefined();
  });
});

describe('Argo CD RollingSync over Applications without automated sync', () => {
  it('syncs them itself, as Argo CD does: each gets automated sync without prune', async () => {
    const name = uniqueName('manual-rs');
    const app = uniqueName('manual');
    // A reachable repository: the roll-out resolves the template's revision before anything.
    const repo = uniqueName('manual-repo');
    await fleet.git.createRepo(repo);
    await fleet.git.commit(repo, {
      'guestbook/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: m\n',
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
    const base = template('{{.app}}');
    await createSet(name, {
      goTemplate: true,
      generators: [{ list: { elements: [{ app, env: 'env-dev' }] } }],
      strategy: {
        type: 'RollingSync',
        rollingSync: { steps: [{ matchExpressions: [{ key: 'env', operator: 'In', values: ['env-dev'] }] }] },
      },
      template: {
        ...base,
        spec: { ...(base.spec as object), source: { repoURL: fleet.git.repoUrl(repo), path: 'guestbook' } },
      },
    });
    const created = await waitFor(
      `${app} created`,
      () =>
        hub.admin.getOrUndefined<Application>({
          apiVersion: API_VERSION,
          kind: 'Application',
          namespace: ns,
          name: app,
        }),
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    expect(created.spec.syncPolicy?.automated).toEqual({});
    expect((await getSet(name)).status?.conditions?.find((c) => c.type === 'ErrorOccurred')?.status).not.toBe(
      'True',
    );
  });
});

describe('Argo CD ApplicationSet template features', () => {
  it('merges per-generator templates, applies templatePatch and elementsYaml, and keeps preservedFields', async () => {
    const name = uniqueName('shaped');
    const p = uniqueName('sh');
    await createSet(name, {
      goTemplate: true,
      goTemplateOptions: ['missingkey=error'],
      generators: [
        { list: { elements: [{ app: `${p}-a`, team: 'Blue Team' }] } },
        {
          list: {
            elementsYaml: `- app: ${p}-b\n  team: Red Team\n`,
            template: { metadata: { labels: { tier: 'db' } }, spec: { source: { path: 'db' } } },
          },
        },
      ],
      template: {
        metadata: { name: '{{.app}}', labels: { tier: 'web' }, annotations: { note: 'from-template' } },
        spec: {
          source: { repoURL: 'http://git.invalid/x.git', path: 'web' },
          destination: { name: 'in-cluster', namespace: 'guestbook' },
        },
      },
      templatePatch: 'metadata:\n  labels:\n    team: {{ .team | slugify }}\n',
      preservedFields: { annotations: ['note'] },
    });
    const get = (n: string): Promise<Application | undefined> =>
      hub.admin.getOrUndefined<Application>({
        apiVersion: API_VERSION,
        kind: 'Application',
        namespace: ns,
        name: n,
      });
    const [a, b] = await waitFor('both Applications', async () => {
      const both = await Promise.all([get(`${p}-a`), get(`${p}-b`)]);
      return both.every(Boolean) && (both as Application[]);
    });
    expect(a?.metadata.labels).toMatchObject({ tier: 'web', team: 'blue-team' });
    expect(a?.spec.source.path).toBe('web');
    // The second generator's own template wins where it sets a value; the set's fills the rest.
    expect(b?.metadata.labels).toMatchObject({ tier: 'db', team: 'red-team' });
    expect(b?.spec.source.path).toBe('db');
    expect(b?.spec.source.repoURL).toBe('http://git.invalid/x.git');

    // A person changes a preserved annotation: the ApplicationSet keeps it on later reconciles.
    // (First let reconciles already under way finish: one that read the Application before the
    // change would write what it read, as Argo CD's would.)
    await waitFor('set up to date', async () =>
      (await getSet(name)).status?.conditions?.some(
        (c) => c.type === 'ResourcesUpToDate' && c.status === 'True',
      ),
    );
    await new Promise((r) => setTimeout(r, 1500));
    await hub.admin.request({
      method: 'PATCH',
      path: `/apis/${API_VERSION}/namespaces/${ns}/applications/${p}-a`,
      body: { metadata: { annotations: { note: 'by-hand' } } },
      contentType: 'application/merge-patch+json',
    });
    await hub.admin.request({
      method: 'PATCH',
      path: `/apis/${API_VERSION}/namespaces/${ns}/applicationsets/${name}`,
      body: {
        metadata: { annotations: { touch: '1' } },
        spec: { template: { metadata: { labels: { tier: 'web2' } } } },
      },
      contentType: 'application/merge-patch+json',
    });
    const after = await waitFor('template change applied', async () => {
      const x = await get(`${p}-a`);
      return x?.metadata.labels?.tier === 'web2' && x;
    });
    expect(after.metadata.annotations?.note).toBe('by-hand');
  });
});

describe('Argo CD RollingSync', () => {
  it('rolls out by Application labels: the first step first, then 50% of the next at a time, each waiting for health', async () => {
    const cluster = uniqueName('rs');
    await registerCluster(hub.admin, {
      name: cluster,
      connection: await loadConnection({ file: hub.kubeconfig }),
      labels: {},
    });
    const repo = uniqueName('rs-repo');
    await fleet.git.createRepo(repo);
    const files = (v: string): Record<string, string> => ({
      'app/cm.yaml': JSON.stringify({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'version' },
        data: { v },
      }),
    });
    await fleet.git.commit(repo, files('1'));
    await hub.admin.create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'rs-repo', namespace: ns },
      stringData: { username: fleet.git.info.admin.username, password: fleet.git.info.admin.password },
    });
    const p = uniqueName('rs');
    const elements = [
      { app: `${p}-dev`, env: 'env-dev' },
      { app: `${p}-prod-a`, env: 'env-prod' },
      { app: `${p}-prod-b`, env: 'env-prod' },
    ];
    const set = uniqueName('rolling');
    // Argo CD's documented RollingSync shape, apiVersion aside.
    await createSet(set, {
      goTemplate: true,
      goTemplateOptions: ['missingkey=error'],
      generators: [{ list: { elements } }],
      strategy: {
        type: 'RollingSync',
        rollingSync: {
          steps: [
            { matchExpressions: [{ key: 'envLabel', operator: 'In', values: ['env-dev'] }] },
            {
              matchExpressions: [{ key: 'envLabel', operator: 'In', values: ['env-prod'] }],
              maxUpdate: '50%',
            },
          ],
        },
      },
      template: {
        metadata: { name: '{{.app}}', labels: { envLabel: '{{.env}}' } },
        spec: {
          source: {
            repoURL: fleet.git.repoUrl(repo),
            targetRevision: 'main',
            path: 'app',
            secretRef: { name: 'rs-repo' },
          },
          destination: { name: cluster, namespace: '{{.app}}' },
          syncPolicy: {
            automated: { prune: true },
            syncOptions: ['CreateNamespace=true'],
            retry: { limit: 0 },
          },
        },
      },
    });
    const version = async (app: string): Promise<string | undefined> =>
      (
        (
          await hub.admin.getOrUndefined({
            apiVersion: 'v1',
            kind: 'ConfigMap',
            namespace: app,
            name: 'version',
          })
        )?.data as Record<string, string> | undefined
      )?.v;
    await waitFor(
      'v1 everywhere',
      async () => (await Promise.all(elements.map((e) => version(e.app)))).every((v) => v === '1'),
      { timeoutMs: 90_000, intervalMs: 250 },
    );

    const v2 = await fleet.git.commit(repo, files('2'));
    // Watch every Application: when it was pinned to v2, and when it was Synced and Healthy there.
    const pinnedAt = new Map<string, number>();
    const doneAt = new Map<string, number>();
    await waitFor(
      'v2 rolled out',
      async () => {
        const now = Date.now();
        for (const e of elements) {
          const a = await hub.admin.getOrUndefined<Application>({
            apiVersion: API_VERSION,
            kind: 'Application',
            namespace: ns,
            name: e.app,
          });
          if (a?.spec.source.targetRevision === v2 && !pinnedAt.has(e.app)) pinnedAt.set(e.app, now);
          if (
            a?.spec.source.targetRevision === v2 &&
            a.status?.sync?.revision === v2 &&
            a.status.sync.status === 'Synced' &&
            a.status.health?.status === 'Healthy' &&
            !doneAt.has(e.app)
          )
            doneAt.set(e.app, now);
        }
        return doneAt.size === elements.length && (await getSet(set)).status?.rollout?.phase === 'Completed';
      },
      { timeoutMs: 120_000, intervalMs: 100 },
    );
    const [dev, prodA, prodB] = elements.map((e) => e.app) as [string, string, string];
    const at = (m: Map<string, number>, k: string): number => m.get(k) ?? Number.NaN;
    // Step 1 (env-dev) moves first; step 2 waits until it is Synced and Healthy on v2.
    expect(at(pinnedAt, prodA)).toBeGreaterThanOrEqual(at(doneAt, dev));
    expect(at(pinnedAt, prodB)).toBeGreaterThanOrEqual(at(doneAt, dev));
    // maxUpdate 50% of two prod Applications: one at a time, in name order; the second waits for the first.
    expect(at(pinnedAt, prodB)).toBeGreaterThan(at(pinnedAt, prodA));
    expect(at(pinnedAt, prodB)).toBeGreaterThanOrEqual(at(doneAt, prodA));
    for (const e of elements) expect(await version(e.app)).toBe('2');
    const final = await getSet(set);
    expect(Object.fromEntries((final.status?.applications ?? []).map((x) => [x.name, x.step]))).toEqual({
      [dev]: 0,
      [prodA]: 1,
      [prodB]: 1,
    });
    expect(final.status?.conditions?.find((c) => c.type === 'RolloutProgressing')).toMatchObject({
      status: 'False',
      reason: 'ApplicationSetRolloutComplete',
    });
    expect(final.status?.conditions?.find((c) => c.type === 'ErrorOccurred')?.status).toBe('False');
  });
});
