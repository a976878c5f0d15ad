// What the render stage's tests share: a monorepo of kustomize services rendered as the
// controller renders them, with real git (the harness's server) and real kustomize, and no
// management cluster (a plain kustomize render reads none of it).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import type { Application } from '../../src/api/application.js';
import { renderApp, type PrepareDeps, type RenderInputs } from '../../src/controllers/application/prepare.js';
import type { Manifest } from '../../src/engine/manifest.js';
import { RenderCache } from '../../src/engine/render/index.js';
import { forceRemove } from '../../src/engine/source/checkout.js';
import { GitSources, type GitCredentials } from '../../src/engine/source/index.js';
import type { KubeClient } from '../../src/kube/client.js';
import { startGitServer, type GitServer } from './git.js';
import { toolPath } from './tools.js';

/** A management cluster any request to which is a failure. */
export const noCluster = new Proxy({} as KubeClient, {
  get: (_t, p) => {
    throw new Error(`unexpected management-cluster call: ${String(p)}`);
  },
});

export const configMapFile = (name: string, value: string): string =>
  JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { value } });

export const kustomizationFile = (...resources: string[]): string =>
  `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n${resources.map((r) => `- ${r}`).join('\n')}\n`;

/** The render stage's dependencies over a fresh source cache in `root`. */
export function renderDeps(root: string, cacheDir = join(root, 'cache')): PrepareDeps {
  return {
    client: noCluster,
    controllerNamespace: 'gitfleet-system',
    sources: new GitSources({ cacheDir, timeoutMs: 20_000, fetchIntervalMs: 3_600_000 }),
    renderCache: new RenderCache(),
    renderOptions: { kustomizeBinary: toolPath('kustomize') },
  };
}

/** A git server in `root` holding repository `mono` with `files` as its first commit. */
export async function startMonorepo(
  root: string,
  files: Record<string, string>,
): Promise<{ server: GitServer; url: string; creds: GitCredentials }> {
  const server = await startGitServer(root);
  const url = await server.createRepo('mono');
  await server.commit('mono', files);
  return {
    server,
    url,
    creds: { username: server.info.admin.username, password: server.info.admin.password },
  };
}

/** One reconcile's source and render stages at `main`'s head, as the controller runs them. */
export async function renderAtHead(
  deps: PrepareDeps,
  repo: { url: string; creds: GitCredentials },
  app: Application,
): Promise<{ sha: string; manifests: Manifest[]; inputs?: RenderInputs }> {
  await deps.sources.fetch(repo.url, repo.creds, { force: true, since: Date.now() });
  const { sha } = await deps.sources.resolve(repo.url, 'main', repo.creds);
  let inputs: RenderInputs | undefined;
  const manifests = await renderApp(deps, app, sha, (i) => (inputs = i));
  return { sha, manifests, ...(inputs ? { inputs } : {}) };
}

/** A test file's monorepo: filled in by its beforeAll, removed by its afterAll. */
export interface Monorepo {
  root: string;
  cacheDir: string;
  server: GitServer;
  url: string;
  creds: GitCredentials;
  deps: PrepareDeps;
  /** renderAtHead of `app` with this monorepo. */
  renderAtHead(app: Application): ReturnType<typeof renderAtHead>;
}

/** Starts a monorepo holding `files` before the file's tests, and stops it after them. */
export function useMonorepo(name: string, files: Record<string, string>): Monorepo {
  const root = mkdtempSync(join(tmpdir(), `gitfleet-${name}-`));
  const cacheDir = join(root, 'cache');
  const m = { root, cacheDir } as Monorepo;
  m.renderAtHead = (app) => renderAtHead(m.deps, m, app);
  beforeAll(async () => {
    Object.assign(m, await startMonorepo(root, files));
    m.deps = renderDeps(root, cacheDir);
  });
  afterAll(async () => {
    await m.server?.stop();
    await forceRemove(root);
  });
  return m;
}
