// OCI token auth against a real registry that asks for it: Gitea's container registry answers
// `WWW-Authenticate: Bearer realm=…/v2/token` and hands out a token for the user's basic
// credentials, as Docker Hub, GHCR and Harbor do. The chart is packaged and pushed with the real
// helm; gitfleet's OCI client picks the Bearer challenge out of Gitea's two (Bearer and Basic),
// pulls anonymously with a token, resolves a range over tags with credentials, pins by digest, and
// a wrong password is a clear error that stores nothing. No fleet: this pins the source stage.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { render } from '../../src/engine/render/index.js';
import { ChartSources } from '../../src/engine/source/charts.js';
import { startGitea, type Gitea } from '../harness/gitea.js';
import { toolPath } from '../harness/tools.js';
import { writeChart } from './sources-fixtures.js';

const run = promisify(execFile);
let gitea: Gitea;
let work: string;
let host: string;
const digests: Record<string, string> = {};

function helmEnv(home: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    HOME: home,
    HELM_REGISTRY_CONFIG: join(home, 'registry.json'),
    HELM_CACHE_HOME: join(home, 'cache'),
    HELM_CONFIG_HOME: join(home, 'config'),
    HELM_DATA_HOME: join(home, 'data'),
  };
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'gitfleet-oci-token-'));
  gitea = await startGitea(join(work, 'gitea'), join(work, 'logs'));
  host = new URL(gitea.url).host;
  const helm = toolPath('helm');
  const home = join(work, 'helm');
  mkdirSync(home, { recursive: true });
  const env = helmEnv(home);
  await new Promise<void>((resolve, reject) => {
    const child = execFile(
      helm,
      ['registry', 'login', host, '--username', gitea.admin.username, '--password-stdin', '--insecure'],
      { env, timeout: 60_000 },
      (err) => (err ? reject(err) : resolve()),
    );
    child.stdin?.end(gitea.admin.password);
  });
  const pkg = join(work, 'pkg');
  for (const version of ['1.0.0', '1.1.0', '2.0.0']) {
    const dir = writeChart(join(work, 'src'), 'web', version);
    await run(helm, ['package', dir, '--destination', pkg], { env, timeout: 60_000 });
    const out = await run(
      helm,
      ['push', join(pkg, `web-${version}.tgz`), `oci://${host}/${gitea.admin.username}`, '--plain-http'],
      { env, timeout: 60_000 },
    );
    const m = /Digest: (sha256:[a-f0-9]{64})/u.exec(out.stdout + out.stderr);
    if (!m?.[1]) throw new Error(`helm push printed no digest: ${out.stdout}${out.stderr}`);
    digests[version] = m[1];
  }
}, 180_000);

afterAll(async () => {
  await gitea?.stop();
});

// Gitea serves plain HTTP here; `ociScheme: 'http'` is the tests-only switch for that.
const sources = (cacheDir: string): ChartSources => new ChartSources({ cacheDir, ociScheme: 'http' });

describe('OCI registry token auth (Gitea)', () => {
  it('pulls anonymously through the Bearer token flow, as public images are pulled', async () => {
    // No credentials: the registry answers 401 with a Bearer challenge (next to a Basic one), the
    // token service hands out an anonymous token, and the tag list is read with it.
    const s = sources(mkdtempSync(join(tmpdir(), 'gitfleet-charts-')));
    const c = await s.resolveChart(`oci://${host}/${gitea.admin.username}`, 'web', '^1.0.0', undefined);
    expect(c.revision).toBe(`1.1.0@${digests['1.1.0']}`);
  });

  it('resolves with basic credentials: a range over tags, then a digest pin, rendered', async () => {
    const s = sources(mkdtempSync(join(tmpdir(), 'gitfleet-charts-')));
    const repoURL = `oci://${host}/${gitea.admin.username}`;
    const auth = { username: gitea.admin.username, password: gitea.admin.password };
    const c = await s.resolveChart(repoURL, 'web', '>=1.0.0 <2.0.0', auth);
    expect(c.version).toBe('1.1.0');
    expect(c.revision).toBe(`1.1.0@${digests['1.1.0']}`);
    const pinned = await s.resolveChart(repoURL, 'web', digests['1.0.0'], auth);
    expect(pinned.revision.split('@')[1]).toBe(digests['1.0.0']);
    const tree = await s.chartTree(pinned, () => Promise.resolve(undefined));
    const out = await render(
      { root: tree.root, path: tree.path, type: 'helm', helm: { releaseName: 'tok', namespace: 'default' } },
      { helmBinary: toolPath('helm'), kustomizeBinary: toolPath('kustomize') },
    );
    expect(out.map((m) => m.object.metadata.name)).toEqual(['tok-web']);
    expect((out[0]?.object as { data?: Record<string, string> }).data?.version).toBe('1.0.0');
  });

  it('names credentials the token service refuses, never echoing them, and stores nothing', async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'gitfleet-charts-'));
    const s = sources(cacheDir);
    const err = await s
      .resolveChart(`oci://${host}/${gitea.admin.username}`, 'web', '1.0.0', {
        username: gitea.admin.username,
        password: 'wrong-password',
      })
      .then(
        () => undefined,
        (e: unknown) => e as Error,
      );
    expect(err?.message).toMatch(/refused the credentials/);
    expect(err?.message).not.toContain('wrong-password');
    expect(readdirSync(cacheDir).flatMap((d) => readdirSync(join(cacheDir, d)))).toEqual([]);
  });
});
