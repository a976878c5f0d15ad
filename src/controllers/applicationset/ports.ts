import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Cluster } from '../../api/cluster.js';
import type { GitSources } from '../../engine/source/index.js';
import { repositoryCredentials } from '../credentials.js';
import type { ClusterInfo, FleetPorts, PullRequest, PullRequestGeneratorSpec } from '../../fleet/index.js';
import { matchGlob } from '../../fleet/generators/glob.js';
import type { KubeClient } from '../../kube/client.js';
import { gitHostFromSpec, kubeSecrets, type GitHostSpec } from '../../githost/factory.js';
import type { ListPullRequestsOptions, RepoRef } from '../../githost/port.js';
import { GitfleetError } from '../../core/errors.js';
import { readFileWithin, TENANT_FILE_MAX_BYTES } from '../../core/read-within.js';

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
  const commit = async (repoURL: string, revision: string): Promise<string> => {
    const creds = await repositoryCredentials(opts.mgmt, opts.namespace, repoURL);
    await opts.sources.fetch(repoURL, creds);
    return (await opts.sources.resolve(repoURL, revision || 'HEAD', creds)).sha;
  };
  const checkout = async (repoURL: string, revision: string): Promise<string> =>
    opts.sources.checkout(repoURL, await commit(repoURL, revision));
  return {
    clusters: async (): Promise<ClusterInfo[]> =>
      opts.clusters().map((c) => ({
        name: c.metadata.name,
        server: c.spec.server,
        labels: c.metadata.labels ?? {},
        annotations: c.metadata.annotations ?? {},
      })),
    gitDirectories: async (repoURL, revision) => {
      // A monorepo's directories come from one listing of the commit's trees: extracting its
      // thousands of files on every push only to list folders would cost seconds.
      const sha = await commit(repoURL, revision);
      const listed = await opts.sources.directories(repoURL, sha);
      if (listed) return listed;
      const root = await opts.sources.checkout(repoURL, sha);
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
        // Matched files are not followed through links (walk), and each is read within a bound.
        files.push({
          path: rel,
          content: await readFileWithin(join(root, rel), TENANT_FILE_MAX_BYTES, rel, { followLinks: false }),
        });
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

/**
 * Pull requests through the Git host port (src/githost): Gitea and GitHub list open ones; GitLab
 * lists what `pullRequestState` names (all states when unset, as Argo CD), with its labels filtered
 * by the server. The provider's `labels` are applied again by the generator.
 */
async function pullRequests(
  mgmt: KubeClient,
  namespace: string,
  spec: PullRequestGeneratorSpec,
): Promise<PullRequest[]> {
  const target = pullRequestHost(spec);
  const host = await gitHostFromSpec(
    target.spec,
    kubeSecrets(mgmt, namespace),
    `pullRequest.${target.spec.provider}`,
  );
  const prs = await host.listPullRequests(target.repo, target.opts);
  return prs.map((p) => ({
    number: p.number,
    title: p.title,
    branch: p.head,
    headSha: p.headSha,
    targetBranch: p.base,
    labels: p.labels,
    ...(p.author ? { author: p.author } : {}),
  }));
}

const GITLAB_STATES: Record<string, ListPullRequestsOptions['state']> = {
  '': 'all',
  all: 'all',
  opened: 'open',
  closed: 'closed',
  merged: 'merged',
};

/** The host, repository and listing options one generator spec names (Argo CD's field names). */
export function pullRequestHost(spec: PullRequestGeneratorSpec): {
  spec: GitHostSpec;
  repo: RepoRef;
  opts: ListPullRequestsOptions;
} {
  if (spec.gitea) {
    const g = spec.gitea;
    return {
      spec: {
        provider: 'gitea',
        api: g.api,
        ...(g.tokenRef ? { tokenRef: g.tokenRef } : {}),
        ...(g.insecure ? { insecure: true } : {}),
      },
      repo: { owner: g.owner, repo: g.repo },
      opts: { state: 'open' },
    };
  }
  if (spec.github) {
    const g = spec.github;
    return {
      spec: {
        provider: 'github',
        ...(g.api ? { api: g.api } : {}),
        ...(g.tokenRef ? { tokenRef: g.tokenRef } : {}),
      },
      repo: { owner: g.owner, repo: g.repo },
      opts: { state: 'open' },
    };
  }
  if (spec.gitlab) {
    const g = spec.gitlab;
    const state = GITLAB_STATES[g.pullRequestState ?? ''];
    if (!state)
      throw new GitfleetError(
        'applicationset.InvalidSpec',
        `pullRequest.gitlab.pullRequestState: ${JSON.stringify(g.pullRequestState)} is not one of opened, closed, merged, all`,
      );
    // `project` is Argo CD's: a numeric project id or the project's full path (group/sub/name).
    const cut = g.project.lastIndexOf('/');
    if (!/^\d+$/.test(g.project) && cut <= 0)
      throw new GitfleetError(
        'applicationset.InvalidSpec',
        `pullRequest.gitlab.project: ${JSON.stringify(g.project)} is neither a project id nor a path (group/name)`,
      );
    return {
      spec: {
        provider: 'gitlab',
        ...(g.api ? { api: g.api } : {}),
        ...(g.tokenRef ? { tokenRef: g.tokenRef } : {}),
        ...(g.insecure ? { insecure: true } : {}),
      },
      repo:
        cut > 0
          ? { owner: g.project.slice(0, cut), repo: g.project.slice(cut + 1) }
          : { owner: '', repo: g.project },
      opts: { state, ...(g.labels?.length ? { labels: g.labels } : {}) },
    };
  }
  throw new GitfleetError(
    'applicationset.UnsupportedProvider',
    'pullRequest needs one of gitea, github, gitlab',
  );
}
