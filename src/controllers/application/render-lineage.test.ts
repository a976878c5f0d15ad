// A monorepo's commit moves every app to it, but changes few apps' files. Against a real Git
// smart-HTTP server (the harness's git http-backend) and real kustomize: an app whose files a commit
// left alone renders with no checkout of that commit at all; an app whose files changed renders from
// a checkout of only the folders it read last time; one that now reads a folder besides renders
// from the whole commit, with the right result.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import {
  configMapFile as cm,
  kustomizationFile as kustomization,
  useMonorepo,
} from '../../../test/harness/monorepo.js';
import type { Application } from '../../api/application.js';
import type { RenderInputs } from './prepare.js';

vi.setConfig({ testTimeout: 60_000 });

const mono = useMonorepo('lineage-unit', {
  'base/kustomization.yaml': kustomization('shared.yaml'),
  'base/shared.yaml': cm('shared', 'v0'),
  'extra/kustomization.yaml': kustomization('extra.yaml'),
  'extra/extra.yaml': cm('extra', 'v0'),
  'svc-a/kustomization.yaml': kustomization('cm.yaml', '../base'),
  'svc-a/cm.yaml': cm('a', 'v0'),
  'svc-b/kustomization.yaml': kustomization('cm.yaml'),
  'svc-b/cm.yaml': cm('b', 'v0'),
});

const app = (path: string): Application =>
  ({
    apiVersion: 'gitfleet.dev/v1alpha1',
    kind: 'Application',
    metadata: { name: path, namespace: 'apps' },
    spec: {
      source: { repoURL: mono.url, path, targetRevision: 'main' },
      destination: { name: 'in-cluster', namespace: 'dest' },
    },
  }) as Application;

/** The checkouts of `sha` on disk: the whole commit (`<sha>`) and partial ones (`<sha>-p…`). */
const checkoutsOf = (sha: string): string[] =>
  readdirSync(join(mono.cacheDir, 'checkouts')).filter((n) => n.startsWith(sha));

/** One reconcile's source and render stages, as the controller runs them. */
async function renderAt(a: Application): Promise<{ sha: string; values: string[]; inputs?: RenderInputs }> {
  const { sha, manifests, inputs } = await mono.renderAtHead(a);
  const values = manifests.map(
    (m) => `${m.object.metadata.name}=${(m.object as { data?: { value?: string } }).data?.value ?? ''}`,
  );
  return { sha, values: values.sort(), ...(inputs ? { inputs } : {}) };
}

describe('rendering a later commit of a monorepo', () => {
  it('reads nothing for an app the commit left alone, only its folders for one it changed', async () => {
    const a = app('svc-a');
    const first = await renderAt(a);
    expect(first.values).toEqual(['a=v0', 'shared=v0']);
    expect(checkoutsOf(first.sha), 'the first render reads the whole commit').toEqual([first.sha]);
    expect(Object.keys(first.inputs?.ids ?? {}).sort()).toEqual(['base', 'svc-a']);

    // A commit to another service: the same render, and no checkout of that commit is made.
    await mono.server.commit('mono', { 'svc-b/cm.yaml': cm('b', 'v1') });
    const elsewhere = await renderAt(a);
    expect(elsewhere.sha).not.toBe(first.sha);
    expect(elsewhere.values).toEqual(first.values);
    expect(elsewhere.inputs?.sha).toBe(elsewhere.sha);
    expect(elsewhere.inputs?.ids).toEqual(first.inputs?.ids);
    expect(checkoutsOf(elsewhere.sha)).toEqual([]);

    // A commit to its own base: rendered again, from a checkout of svc-a and base alone.
    await mono.server.commit('mono', {
      'base/shared.yaml': cm('shared', 'v1'),
      'svc-b/cm.yaml': cm('b', 'v2'),
    });
    const changed = await renderAt(a);
    expect(changed.values).toEqual(['a=v0', 'shared=v1']);
    const partial = checkoutsOf(changed.sha);
    expect(partial).toHaveLength(1);
    expect(partial[0]).toMatch(new RegExp(`^${changed.sha}-p[0-9a-f]{16}$`, 'u'));
    expect(readdirSync(join(mono.cacheDir, 'checkouts', partial[0] ?? '')).sort()).toEqual(['base', 'svc-a']);
    // The other service's render is not disturbed by it (its own lineage, its own first render).
    expect((await renderAt(app('svc-b'))).values).toEqual(['b=v2']);

    // It now reads a folder it did not read before: the partial checkout lacks it, so the whole
    // commit is rendered, and the result has the new folder's objects.
    await mono.server.commit('mono', {
      'svc-a/kustomization.yaml': kustomization('cm.yaml', '../base', '../extra'),
    });
    const wider = await renderAt(a);
    expect(wider.values).toEqual(['a=v0', 'extra=v0', 'shared=v1']);
    expect(checkoutsOf(wider.sha)).toContain(wider.sha);
    expect(Object.keys(wider.inputs?.ids ?? {}).sort()).toEqual(['base', 'extra', 'svc-a']);

    // And the next change to one of those three folders reads those three alone.
    await mono.server.commit('mono', { 'extra/extra.yaml': cm('extra', 'v1') });
    const next = await renderAt(a);
    expect(next.values).toEqual(['a=v0', 'extra=v1', 'shared=v1']);
    expect(checkoutsOf(next.sha)).toHaveLength(1);
    expect(checkoutsOf(next.sha)[0]).not.toBe(next.sha);
  });

  it('a folder it read that the commit deletes fails the render as a whole commit would', async () => {
    const c = app('svc-c');
    await mono.server.commit('mono', {
      'svc-c/kustomization.yaml': kustomization('cm.yaml', '../gone'),
      'svc-c/cm.yaml': cm('c', 'v0'),
      'gone/kustomization.yaml': kustomization('g.yaml'),
      'gone/g.yaml': cm('g', 'v0'),
    });
    expect((await renderAt(c)).values).toEqual(['c=v0', 'g=v0']);
    // Still named by the kustomization: kustomize's own error, from the whole commit.
    await mono.server.commit('mono', { 'gone/kustomization.yaml': null, 'gone/g.yaml': null });
    await expect(renderAt(c)).rejects.toThrow(/gone/u);
    await mono.server.commit('mono', { 'svc-c/kustomization.yaml': kustomization('cm.yaml') });
    expect((await renderAt(c)).values).toEqual(['c=v0']);
  });
});
