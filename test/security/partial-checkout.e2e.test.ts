// A changed app renders from a checkout of only the folders its last render read (partial
// checkouts, `git archive` with the folders as pathspecs). The folder names come from a tenant's
// repository. Read as an attacker: a folder named like pathspec magic or like an option must
// extract that folder alone, and a symlink out of the repository must be refused as it is in a
// whole checkout. Real git (the harness's server) and real kustomize.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { PathEscapeError } from '../../src/engine/errors.js';
import type { Application } from '../../src/api/application.js';
import { configMapFile as cm, kustomizationFile as kustomization, useMonorepo } from '../harness/monorepo.js';

vi.setConfig({ testTimeout: 60_000 });

const MAGIC = ':(glob)**';
const OPTION = '--output=x';

const mono = useMonorepo('partial-security', {
  [`${MAGIC}/kustomization.yaml`]: kustomization('cm.yaml'),
  [`${MAGIC}/cm.yaml`]: cm('magic', 'v0'),
  [`${OPTION}/kustomization.yaml`]: kustomization('cm.yaml'),
  [`${OPTION}/cm.yaml`]: cm('option', 'v0'),
  'svc/kustomization.yaml': kustomization('cm.yaml'),
  'svc/cm.yaml': cm('svc', 'v0'),
  'other/secret.yaml': cm('other-team', 'not yours'),
});

const app = (path: string): Application =>
  ({
    apiVersion: 'gitfleet.dev/v1alpha1',
    kind: 'Application',
    metadata: { name: 'a', namespace: 'apps' },
    spec: {
      source: { repoURL: mono.url, path, targetRevision: 'main' },
      destination: { name: 'in-cluster', namespace: 'dest' },
    },
  }) as Application;

/** The partial checkouts of `sha` and what each holds at its top. */
const partialsOf = (sha: string): string[][] =>
  readdirSync(join(mono.cacheDir, 'checkouts'))
    .filter((n) => n.startsWith(`${sha}-p`))
    .map((n) => readdirSync(join(mono.cacheDir, 'checkouts', n)));

describe('partial checkouts: folder names from a tenant repository', () => {
  it.each([
    ['pathspec magic', MAGIC, 'magic'],
    ['an option', OPTION, 'option'],
  ])('a folder named like %s extracts that folder alone', async (_what, path, name) => {
    await mono.renderAtHead(app(path));
    const sha = await mono.server.commit('mono', { [`${path}/cm.yaml`]: cm(name, 'v1') });
    const { manifests } = await mono.renderAtHead(app(path));
    expect(manifests.map((m) => m.object.metadata.name)).toEqual([name]);
    expect(partialsOf(sha)).toEqual([[path]]);
  });

  it('a symlink out of the repository, added where the app reads, is refused', async () => {
    await mono.renderAtHead(app('svc'));
    await mono.server.commit('mono', {
      'svc/cm.yaml': cm('svc', 'v1'),
      'svc/escape.yaml': { symlink: '../../../../../../../../etc/hostname' },
    });
    await expect(mono.renderAtHead(app('svc'))).rejects.toBeInstanceOf(PathEscapeError);
    // A link to another team's file of the same repository, absent from the partial checkout: the
    // whole commit decides. The target becomes an input (its change re-renders the app); nothing
    // of it is rendered, since the kustomization does not name it.
    await mono.server.commit('mono', {
      'svc/escape.yaml': null,
      'svc/peek.yaml': { symlink: '../other/secret.yaml' },
    });
    const { manifests, inputs } = await mono.renderAtHead(app('svc'));
    expect(manifests.map((m) => m.object.metadata.name)).toEqual(['svc']);
    expect(Object.keys(inputs?.ids ?? {}).sort()).toEqual(['other/secret.yaml', 'svc']);
  });
});
