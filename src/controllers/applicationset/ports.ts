import { lstat, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Cluster } from '../../api/cluster.js';
import type { GitSources } from '../../engine/source/index.js';
import { repositoryCredentials } from '../credentials.js';
import {
  matchGlob,
  type ClusterInfo,
  type FleetPorts,
  type PullRequest,
  type PullRequestGeneratorSpec,
} from '../../fleet/index.js';
import type { KubeClient } from '../../kube/client.js';
import type { KubeObject } from '../../kube/types.js';
import { GitfleetError } from '../../core/errors.js';

/** Files read per Git files generator: beyond this the generator is surely pointed at the wrong path. */
const MAX_FILES = 2000;

/**
 * The real I/O behind generators: Clusters from the cluster controller's view, Git through the
 * shared mirrors (credentials from repository Secrets in the ApplicationSet's namespace), pull
 * requests from the hosting API.
 */
export function fleetPorts(opts: {
  mgmt: KubeClient;
  namespace: string;
  sources: GitSources;
  clusters: () => Cluster[];
}): FleetPorts {
  const checkout = async (repoURL: string, revision: string): Promise<string> => {
    const creds = await repositoryCredentials(opts.mgmt, opts.namespace, repoURL);
    await opts.sources.fetch(repoURL, creds);
    const { sha } = await opts.sources.resolve(repoURL, revision || 'HEAD', creds);
    return opts.sources.checkout(repoURL, sha);
  };
  return {
    clusters: async (): Promise<ClusterInfo[]> =>
      opts.clusters().map((c) => ({
        name: c.metadata.name,
        server: c.spec.server,
        labels: c.metadata.labels ?? {},
        annotations: c.metadata.annotations ?? {},
      })),
    gitDirectories: async (repoURL, revision) => {
      const root = await checkout(repoURL, revision);
      const dirs: string[] = [];
      await walk(root, '', (rel, isDir) => {
        if (isDir) dirs.push(rel);
      });
      return dirs.sort();
    },
    gitFiles: async (repoURL, revision, glob) => {
      const root = await checkout(repoURL, revision);
      const files: { path: string; content: string }[] = [];
      const matched: string[] = [];
      await walk(root, '', (rel, isDir) => {
        if (!isDir && matchGlob(glob, rel)) matched.push(rel);
      });
      if (matched.length > MAX_FILES)
        throw new GitfleetError(
          'applicationset.TooManyFiles',
          `${glob} matches ${matched.length} files (limit ${MAX_FILES})`,
        );
      for (const rel of matched.sort())
        files.push({ path: rel, content: await readFile(join(root, rel), 'utf8') });
      return files;
    },
    pullRequests: (spec) => pullRequests(opts.mgmt, opts.namespace, spec),
  };
}

/** Depth-first walk of a checkout; symlinks are neither followed nor reported. */
async function walk(root: string, rel: string, visit: (rel: string, isDir: boolean) => void): Promise<void> {
  for (const name of (await readdir(join(root, rel))).sort()) {
    if (name === '.git') continue;
    const child = rel ? `${rel}/${name}` : name;
    const st = await lstat(join(root, child));
    if (st.isSymbolicLink()) continue;
    if (st.isDirectory()) {
      visit(child, true);
      await walk(root, child, visit);
    } else visit(child, false);
  }
}

/** Open pull requests from Gitea's API (GitHub and GitLab would implement the same mapping). */
async function pullRequests(
  mgmt: KubeClient,
  namespace: string,
  spec: PullRequestGeneratorSpec,
): Promise<PullRequest[]> {
  const g = spec.gitea;
  if (!g)
    throw new GitfleetError(
      'applicationset.UnsupportedProvider',
      'only the gitea pull request provider is implemented',
    );
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (g.tokenRef) {
    const s = await mgmt.get<KubeObject & { data?: Record<string, string> }>({
      apiVersion: 'v1',
      kind: 'Secret',
      namespace,
      name: g.tokenRef.secretName,
    });
    const token = s.data?.[g.tokenRef.key];
    if (token) headers.Authorization = `token ${Buffer.from(token, 'base64').toString('utf8')}`;
  }
  const url = `${g.api.replace(/\/+$/, '')}/api/v1/repos/${encodeURIComponent(g.owner)}/${encodeURIComponent(g.repo)}/pulls?state=open&limit=50`;
  const res = await fetch(url, { headers, signal: AbortSignal.timeout(30_000) });
  if (!res.ok)
    throw new GitfleetError('applicationset.PullRequestsFailed', `GET ${url}: HTTP ${res.status}`, {
      transient: res.status >= 500,
    });
  const items = (await res.json()) as {
    number: number;
    title: string;
    head: { ref: string; sha: string };
    base: { ref: string };
    labels?: { name: string }[];
    user?: { login: string };
  }[];
  return items.map((p) => ({
    number: p.number,
    title: p.title,
    branch: p.head.ref,
    headSha: p.head.sha,
    targetBranch: p.base.ref,
    labels: (p.labels ?? []).map((l) => l.name),
    ...(p.user?.login ? { author: p.user.login } : {}),
  }));
}
