// Which apps of a monorepo a push changed, judged against a real Git smart-HTTP server (the
// harness's git http-backend) from what real renders (kustomize) read: an app whose directory, or
// a base its kustomization reaches with `../`, changed goes first; the others only move revision.
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import {
  configMapFile as cm,
  kustomizationFile as kustomization,
  useMonorepo,
} from '../../../test/harness/monorepo.js';
import type { Application } from '../../api/application.js';
import { GitSources, type GitCredentials } from '../../engine/source/index.js';
import type { RenderInputs } from './prepare.js';
import { changedByPush, sameRenderInputs, type TriageApp } from './push-triage.js';

vi.setConfig({ testTimeout: 60_000 });

const mono = useMonorepo('triage-unit', {
  'base/kustomization.yaml': kustomization('shared.yaml'),
  'base/shared.yaml': cm('shared', 'v0'),
  'svc-a/kustomization.yaml': kustomization('cm.yaml'),
  'svc-a/cm.yaml': cm('a', 'v0'),
  'svc-b/kustomization.yaml': kustomization('cm.yaml'),
  'svc-b/cm.yaml': cm('b', 'v0'),
  'svc-c/kustomization.yaml': kustomization('cm.yaml', '../base'),
  'svc-c/cm.yaml': cm('c', 'v0'),
});

function app(name: string, path: string, extra: Partial<Application['spec']> = {}): Application {
  return {
    apiVersion: 'gitfleet.dev/v1alpha1',
    kind: 'Application',
    metadata: { name, namespace: 'apps' },
    spec: {
      source: { repoURL: mono.url, path, targetRevision: 'main' },
      destination: { name: 'in-cluster', namespace: 'dest' },
      ...extra,
    },
  } as Application;
}

/** One reconcile's source and render stages, as the controller runs them: what the render read. */
async function rendered(a: Application): Promise<TriageApp> {
  const { inputs } = await mono.renderAtHead(a);
  return { key: a.metadata.name, app: a, ...(inputs ? { inputs } : {}) };
}

describe('changedByPush', () => {
  it('puts first only the apps whose rendered files the push touched, bases reached with ../ included', async () => {
    const credentials = async (): Promise<GitCredentials> => mono.creds;
    const apps = [app('a', 'svc-a'), app('b', 'svc-b'), app('c', 'svc-c')];
    const judged: TriageApp[] = [];
    for (const a of apps) judged.push(await rendered(a));
    for (const j of judged) expect(j.inputs?.ids, j.key).toBeDefined();
    expect(
      Object.keys(judged[2]?.inputs?.ids ?? {}).some((p) => p.startsWith('base')),
      'c reads ../base',
    ).toBe(true);

    // Nothing pushed since the renders: nothing goes first.
    expect(await changedByPush({ sources: mono.deps.sources, credentials }, judged, Date.now())).toEqual([]);

    // A commit to svc-a alone: only a goes first.
    await mono.server.commit('mono', { 'svc-a/cm.yaml': cm('a', 'v1') });
    expect(await changedByPush({ sources: mono.deps.sources, credentials }, judged, Date.now())).toEqual([
      'a',
    ]);

    // A commit to the shared base: c, which reaches it with ../base, goes first; a still has its
    // old render's inputs, so it too (its file changed since that render).
    await mono.server.commit('mono', { 'base/shared.yaml': cm('shared', 'v1') });
    expect(
      (await changedByPush({ sources: mono.deps.sources, credentials }, judged, Date.now())).sort(),
    ).toEqual(['a', 'c']);

    // A commit elsewhere in the repository: b and c unchanged since their renders, a re-rendered now.
    const a2 = await rendered(apps[0] as Application);
    await mono.server.commit('mono', { 'README.md': 'docs only' });
    expect(
      await changedByPush(
        { sources: mono.deps.sources, credentials },
        [a2, judged[1] as TriageApp],
        Date.now(),
      ),
    ).toEqual([]);
  });

  it('counts as changed what it cannot judge: never rendered, several sources, a failed fetch', async () => {
    const credentials = async (): Promise<GitCredentials> => mono.creds;
    const never: TriageApp = { key: 'never', app: app('never', 'svc-b') };
    const multi = app('multi', 'svc-b', { sources: [{ repoURL: mono.url, path: 'svc-b' }] });
    const inputs: RenderInputs = { repoURL: mono.url, sha: 'f'.repeat(40), ids: { 'svc-b': 'x' } };
    const refused = async (): Promise<GitCredentials> => ({ username: 'nobody', password: 'wrong' });
    expect(
      (
        await changedByPush(
          { sources: mono.deps.sources, credentials },
          [never, { key: 'multi', app: multi, inputs }],
          Date.now(),
        )
      ).sort(),
    ).toEqual(['multi', 'never']);
    const fresh = new GitSources({
      cacheDir: join(mono.root, 'cache-2'),
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
