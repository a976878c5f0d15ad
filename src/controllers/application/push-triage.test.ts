// Which apps of a monorepo a push changed, judged against a real Git smart-HTTP server (the
// harness's git http-backend) from what real renders (kustomize) read: an app whose directory, or
// a base its kustomization reaches with `../`, changed goes first; the others only move revision.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startGitServer, type GitServer } from '../../../test/harness/git.js';
import { toolPath } from '../../../test/harness/tools.js';
import type { Application } from '../../api/application.js';
import type { KubeClient } from '../../kube/client.js';
import { RenderCache } from '../../engine/render/index.js';
import { GitSources, type GitCredentials } from '../../engine/source/index.js';
import { forceRemove } from '../../engine/source/checkout.js';
import { renderApp, type PrepareDeps, type RenderInputs } from './prepare.js';
import { changedByPush, sameRenderInputs, type TriageApp } from './push-triage.js';

vi.setConfig({ testTimeout: 60_000 });

const root = mkdtempSync(join(tmpdir(), 'gitfleet-triage-unit-'));
let server: GitServer;
let url: string;
let creds: GitCredentials;
let deps: PrepareDeps;

/** Nothing in a plain kustomize render reads the management cluster: any request is a failure. */
const noCluster = new Proxy({} as KubeClient, {
  get: (_t, p) => {
    throw new Error(`unexpected management-cluster call: ${String(p)}`);
  },
});

const cm = (name: string, value: string): string =>
  JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { value } });
const kustomization = (...resources: string[]): string =>
  `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n${resources.map((r) => `- ${r}`).join('\n')}\n`;

function app(name: string, path: string, extra: Partial<Application['spec']> = {}): Application {
  return {
    apiVersion: 'gitfleet.dev/v1alpha1',
    kind: 'Application',
    metadata: { name, namespace: 'apps' },
    spec: {
      source: { repoURL: url, path, targetRevision: 'main' },
      destination: { name: 'in-cluster', namespace: 'dest' },
      ...extra,
    },
  } as Application;
}

/** One reconcile's source and render stages, as the controller runs them: what the render read. */
async function rendered(a: Application): Promise<TriageApp> {
  await deps.sources.fetch(url, creds, { force: true, since: Date.now() });
  const { sha } = await deps.sources.resolve(url, 'main', creds);
  let inputs: RenderInputs | undefined;
  await renderApp(deps, a, sha, (i) => (inputs = i));
  return { key: a.metadata.name, app: a, ...(inputs ? { inputs } : {}) };
}

beforeAll(async () => {
  server = await startGitServer(root);
  url = await server.createRepo('mono');
  creds = { username: server.info.admin.username, password: server.info.admin.password };
  await server.commit('mono', {
    'base/kustomization.yaml': kustomization('shared.yaml'),
    'base/shared.yaml': cm('shared', 'v0'),
    'svc-a/kustomization.yaml': kustomization('cm.yaml'),
    'svc-a/cm.yaml': cm('a', 'v0'),
    'svc-b/kustomization.yaml': kustomization('cm.yaml'),
    'svc-b/cm.yaml': cm('b', 'v0'),
    'svc-c/kustomization.yaml': kustomization('cm.yaml', '../base'),
    'svc-c/cm.yaml': cm('c', 'v0'),
  });
  deps = {
    client: noCluster,
    controllerNamespace: 'gitfleet-system',
    sources: new GitSources({ cacheDir: join(root, 'cache'), timeoutMs: 20_000, fetchIntervalMs: 3_600_000 }),
    renderCache: new RenderCache(),
    renderOptions: { kustomizeBinary: toolPath('kustomize') },
  };
});

afterAll(async () => {
  await server?.stop();
  await forceRemove(root);
});

describe('changedByPush', () => {
  it('puts first only the apps whose rendered files the push touched, bases reached with ../ included', async () => {
    const credentials = async (): Promise<GitCredentials> => creds;
    const apps = [app('a', 'svc-a'), app('b', 'svc-b'), app('c', 'svc-c')];
    const judged: TriageApp[] = [];
    for (const a of apps) judged.push(await rendered(a));
    for (const j of judged) expect(j.inputs?.ids, j.key).toBeDefined();
    expect(
      Object.keys(judged[2]?.inputs?.ids ?? {}).some((p) => p.startsWith('base')),
      'c reads ../base',
    ).toBe(true);

    // Nothing pushed since the renders: nothing goes first.
    expect(await changedByPush({ sources: deps.sources, credentials }, judged, Date.now())).toEqual([]);

    // A commit to svc-a alone: only a goes first.
    await server.commit('mono', { 'svc-a/cm.yaml': cm('a', 'v1') });
    expect(await changedByPush({ sources: deps.sources, credentials }, judged, Date.now())).toEqual(['a']);

    // A commit to the shared base: c, which reaches it with ../base, goes first; a still has its
    // old render's inputs, so it too (its file changed since that render).
    await server.commit('mono', { 'base/shared.yaml': cm('shared', 'v1') });
    expect((await changedByPush({ sources: deps.sources, credentials }, judged, Date.now())).sort()).toEqual([
      'a',
      'c',
    ]);

    // A commit elsewhere in the repository: b and c unchanged since their renders, a re-rendered now.
    const a2 = await rendered(apps[0] as Application);
    await server.commit('mono', { 'README.md': 'docs only' });
    expect(
      await changedByPush({ sources: deps.sources, credentials }, [a2, judged[1] as TriageApp], Date.now()),
    ).toEqual([]);
  });

  it('counts as changed what it cannot judge: never rendered, several sources, a failed fetch', async () => {
    const credentials = async (): Promise<GitCredentials> => creds;
    const never: TriageApp = { key: 'never', app: app('never', 'svc-b') };
    const multi = app('multi', 'svc-b', { sources: [{ repoURL: url, path: 'svc-b' }] });
    const inputs: RenderInputs = { repoURL: url, sha: 'f'.repeat(40), ids: { 'svc-b': 'x' } };
    const refused = async (): Promise<GitCredentials> => ({ username: 'nobody', password: 'wrong' });
    expect(
      (
        await changedByPush(
          { sources: deps.sources, credentials },
          [never, { key: 'multi', app: multi, inputs }],
          Date.now(),
        )
      ).sort(),
    ).toEqual(['multi', 'never']);
    const fresh = new GitSources({
      cacheDir: join(root, 'cache-2'),
      timeoutMs: 20_000,
      fetchIntervalMs: 3_600_000,
    });
    expect(
      await changedByPush(
        { sources: fresh, credentials: refused },
        [{ key: 'b', app: app('b', 'svc-b'), inputs }],
        Date.now(),
      ),
    ).toEqual(['b']);
  });
});

describe('sameRenderInputs', () => {
  const a: RenderInputs = {
    repoURL: 'https://git.example/mono.git',
    sha: 's1',
    ids: { app: 't1', base: 't2' },
  };
  it.each([
    [
      'the same objects at another commit, URL spelled differently',
      { ...a, sha: 's2', repoURL: 'https://git.example/mono' },
      true,
    ],
    ['one object changed', { ...a, ids: { app: 't1', base: 't3' } }, false],
    ['one path fewer', { ...a, ids: { app: 't1' } }, false],
    ['another repository', { ...a, repoURL: 'https://git.example/other.git' }, false],
    ['nothing read', { ...a, ids: {} }, false],
  ])('%s', (_name, b, want) => {
    expect(sameRenderInputs(a, b)).toBe(want);
  });
});
