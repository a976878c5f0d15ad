// The engine's chart and artifact sources against real servers: a Helm chart repository (HTTPS,
// basic auth) and a CNCF distribution registry (htpasswd, TLS), charts packaged and pushed with
// the real helm, rendered with the real helm. No controller: these pin the source stage itself.
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { render } from '../../src/engine/render/index.js';
import { ChartSources } from '../../src/engine/source/charts.js';
import type { RepoAuth } from '../../src/engine/source/http-get.js';
import { startChartRepo, type ChartRepo } from '../harness/chart-repo.js';
import { testFleet } from '../harness/context.js';
import { startRegistry, type Registry } from '../harness/registry.js';
import { toolPath } from '../harness/tools.js';
import { writeChart } from './sources-fixtures.js';

let repo: ChartRepo;
let reg: Registry;
let work: string;
let repoAuth: RepoAuth;
let regAuth: RepoAuth;
const renderOpts = { helmBinary: toolPath('helm'), kustomizeBinary: toolPath('kustomize') };

beforeAll(async () => {
  const fleet = await testFleet();
  work = mkdtempSync(join(tmpdir(), 'gitfleet-sources-'));
  [repo, reg] = await Promise.all([
    startChartRepo(fleet.info.pki, join(work, 'repo')),
    startRegistry(fleet.info.pki, join(work, 'registry'), join(fleet.info.runDir, 'logs')),
  ]);
  repoAuth = { username: repo.username, password: repo.password, caData: repo.caPem };
  regAuth = { username: reg.username, password: reg.password, caData: reg.caPem };
  // A library chart `dep` in both places; `app` depends on it by a range, from the Helm repository.
  await repo.publish(writeChart(join(work, 'src'), 'dep', '1.0.0'));
  await reg.pushChart(join(repo.dir, 'dep-1.0.0.tgz'), 'charts');
  await repo.publish(
    writeChart(join(work, 'src'), 'app', '1.0.0', { name: 'dep', version: '^1.0.0', repository: repo.url }),
  );
  // The same app depending on the OCI copy of dep.
  const ociApp = writeChart(join(work, 'src-oci'), 'ociapp', '1.0.0', {
    name: 'dep',
    version: '1.0.0',
    repository: `oci://${reg.host}/charts`,
  });
  const pkgDir = join(work, 'pkg');
  mkdirSync(pkgDir, { recursive: true });
  await tarChart(ociApp, join(pkgDir, 'ociapp-1.0.0.tgz'));
  await reg.pushChart(join(pkgDir, 'ociapp-1.0.0.tgz'), 'charts');
}, 180_000);

afterAll(async () => {
  await Promise.all([repo?.stop(), reg?.stop()]);
});

/** An archive of a chart whose dependencies are left to the installer (helm package refuses it). */
async function tarChart(chartDir: string, tgz: string): Promise<void> {
  const { execFile } = await import('node:child_process');
  await new Promise<void>((resolve, reject) =>
    execFile('tar', ['-czf', tgz, '-C', join(chartDir, '..'), 'ociapp'], (e) => (e ? reject(e) : resolve())),
  );
}

function sources(intervalMs = 60_000): ChartSources {
  return new ChartSources({ cacheDir: mkdtempSync(join(tmpdir(), 'gitfleet-charts-')), intervalMs });
}

const names = (ms: { object: { kind: string; metadata: { name: string } } }[]): string[] =>
  ms.map((m) => `${m.object.kind}/${m.object.metadata.name}`).sort();

describe('chart sources', () => {
  it('installs a chart with a dependency from a Helm repository: range resolved, dependency fetched, rendered', async () => {
    const s = sources();
    const authFor = async (url: string) => (url.startsWith('oci://') ? regAuth : repoAuth);
    const chart = await s.resolveChart(repo.url, 'app', '>=1.0.0 <2.0.0', repoAuth);
    expect(chart.version).toBe('1.0.0');
    expect(chart.revision).toMatch(/^1\.0\.0@sha256:[a-f0-9]{64}$/);
    const tree = await s.chartTree(chart, authFor);
    const out = await render(
      { root: tree.root, path: tree.path, type: 'helm', helm: { releaseName: 'rel', namespace: 'ns1' } },
      renderOpts,
    );
    expect(names(out)).toEqual(['ConfigMap/rel-app', 'ConfigMap/rel-dep']);
    // Cached by digest: a second tree is the same directory, with no new download.
    const before = s.cache.stats();
    expect((await s.chartTree(await s.resolveChart(repo.url, 'app', '^1.0.0', repoAuth), authFor)).root).toBe(
      tree.root,
    );
    expect(s.cache.stats()).toEqual(before);
  });

  it('installs the same shape from OCI: chart by range over tags, dependency from oci://, digest as revision', async () => {
    const s = sources();
    const chart = await s.resolveChart(`oci://${reg.host}/charts`, 'ociapp', '~1.0.0', regAuth);
    expect(chart.revision).toMatch(/^1\.0\.0@sha256:[a-f0-9]{64}$/);
    const tree = await s.chartTree(chart, async () => regAuth);
    const out = await render(
      { root: tree.root, path: tree.path, type: 'helm', helm: { releaseName: 'o' } },
      renderOpts,
    );
    expect(names(out)).toEqual(['ConfigMap/o-dep', 'ConfigMap/o-ociapp']);
    // A pinned digest resolves to itself.
    const digest = chart.revision.split('@')[1] ?? '';
    const pinned = await s.resolveChart(`oci://${reg.host}/charts`, 'ociapp', digest, regAuth);
    expect(pinned.revision.endsWith(digest)).toBe(true);
  });

  it('fetches a repository index once per interval however many resolve it; a new version in range is picked up after it, out of range never', async () => {
    const s = sources(60_000);
    const before = repo.indexRequests();
    const all = await Promise.all(
      Array.from({ length: 20 }, () => s.resolveChart(repo.url, 'app', '^1.0.0', repoAuth)),
    );
    expect(new Set(all.map((c) => c.version))).toEqual(new Set(['1.0.0']));
    expect(repo.indexRequests() - before).toBe(1);
    await repo.publish(
      writeChart(join(work, 'src'), 'app', '1.1.0', { name: 'dep', version: '^1.0.0', repository: repo.url }),
    );
    await repo.publish(
      writeChart(join(work, 'src'), 'app', '2.0.0', { name: 'dep', version: '^1.0.0', repository: repo.url }),
    );
    // Within the interval the cached index answers; a refresh (force) reads the new one.
    expect((await s.resolveChart(repo.url, 'app', '^1.0.0', repoAuth)).version).toBe('1.0.0');
    expect((await s.resolveChart(repo.url, 'app', '^1.0.0', repoAuth, true)).version).toBe('1.1.0');
    expect(repo.indexRequests() - before).toBe(2);
  });

  it('refuses wrong credentials and an unknown CA with clear errors, for both kinds', async () => {
    const s = sources();
    await expect(
      s.resolveChart(repo.url, 'app', '^1', { ...repoAuth, password: 'wrong' }),
    ).rejects.toMatchObject({
      code: 'source.AuthFailed',
      message: expect.stringMatching(/refused the credentials \(HTTP 401\)/),
    });
    await expect(
      s.resolveChart(repo.url, 'app', '^1', { username: repo.username, password: repo.password }),
    ).rejects.toMatchObject({
      code: 'source.TLSUntrusted',
    });
    await expect(
      s.resolveChart(`oci://${reg.host}/charts`, 'ociapp', '1.0.0', { ...regAuth, password: 'wrong' }),
    ).rejects.toMatchObject({ code: 'source.AuthFailed' });
    await expect(
      s.resolveChart(`oci://${reg.host}/charts`, 'ociapp', '1.0.0', {
        username: reg.username,
        password: reg.password,
      }),
    ).rejects.toMatchObject({ code: 'source.TLSUntrusted', message: expect.stringMatching(/caData/) });
  });

  it('pulls an OCI artifact of a Kustomize tree; the manifest digest is the revision', async () => {
    const s = sources();
    const digest = await reg.pushArtifact('manifests/web', 'v1.0.0', {
      'kustomization.yaml': 'resources: [cm.yaml]\nnamePrefix: web-\n',
      'cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg}\ndata: {a: "1"}\n',
    });
    const a = await s.artifact(`oci://${reg.host}/manifests/web`, '>=1.0.0', regAuth);
    expect(a.revision).toBe(digest);
    const out = await render({ root: a.tree.root, path: a.tree.path }, renderOpts);
    expect(names(out)).toEqual(['ConfigMap/web-cfg']);
  });
});
