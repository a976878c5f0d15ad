/**
 * GitHub's REST API (api.github.com, or `https://HOST/api/v3` for GitHub Enterprise) behind the
 * GitHost port. `Authorization: Bearer`, `X-GitHub-Api-Version: 2022-11-28`, pagination by the
 * Link header (`per_page=100`). Comments of a pull request are its issue's comments.
 */
import { allPages, hostRequest, nextLink, type HostTransport } from './http.js';
import { apiState, postCommitStatus, selectPulls, upsertMarkedComment } from './github-shaped.js';
import type {
  CommitStatus,
  GitHost,
  GitHostConfig,
  HostPullRequest,
  ListPullRequestsOptions,
  RepoRef,
} from './port.js';

export const GITHUB_API = 'https://api.github.com';

interface GithubPull {
  number: number;
  title: string;
  state: 'open' | 'closed';
  merged_at?: string | null;
  head: { ref: string; sha: string };
  base: { ref: string };
  labels?: { name: string }[];
  user?: { login: string } | null;
  html_url: string;
}

export function githubHost(cfg: GitHostConfig): GitHost {
  const t: HostTransport = {
    provider: 'github',
    base: (cfg.api || GITHUB_API).replace(/\/+$/, ''),
    auth: {
      accept: 'application/vnd.github+json',
      'x-github-api-version': '2022-11-28',
      ...(cfg.token ? { authorization: `Bearer ${cfg.token}` } : {}),
    },
    ...(cfg.caData ? { caData: cfg.caData } : {}),
    ...(cfg.insecureSkipVerify ? { insecureSkipVerify: true } : {}),
    ...(cfg.timeoutMs ? { timeoutMs: cfg.timeoutMs } : {}),
  };
  const repoPath = (r: RepoRef): string =>
    `/repos/${encodeURIComponent(r.owner)}/${encodeURIComponent(r.repo)}`;
  const next = (h: Parameters<typeof nextLink>[0]): string | undefined => nextLink(h, t.base);

  const list = async (
    repo: RepoRef,
    opts: ListPullRequestsOptions = {},
    query = '',
  ): Promise<HostPullRequest[]> => {
    const pulls = await allPages<GithubPull>(
      t,
      `${repoPath(repo)}/pulls?state=${apiState(opts.state)}&per_page=100${query}`,
      next,
    );
    return selectPulls(pulls.map(toPull), opts);
  };

  return {
    provider: 'github',
    listPullRequests: (repo, opts) => list(repo, opts),
    getPullRequest: async (repo, number) =>
      toPull((await hostRequest<GithubPull>(t, 'GET', `${repoPath(repo)}/pulls/${number}`)).body),
    findPullRequest: async (repo, head, base) => {
      // GitHub filters by `owner:branch` and base on the server.
      const q = `&head=${encodeURIComponent(`${repo.owner}:${head}`)}&base=${encodeURIComponent(base)}`;
      return (await list(repo, { state: 'open' }, q)).find((p) => p.head === head && p.base === base);
    },
    createPullRequest: async (repo, pr) => {
      const created = toPull(
        (
          await hostRequest<GithubPull>(t, 'POST', `${repoPath(repo)}/pulls`, {
            title: pr.title,
            body: pr.body,
            head: pr.head,
            base: pr.base,
          })
        ).body,
      );
      if (pr.labels?.length) {
        await hostRequest(t, 'POST', `${repoPath(repo)}/issues/${created.number}/labels`, {
          labels: pr.labels,
        });
        created.labels = [...pr.labels];
      }
      return created;
    },
    upsertComment: (repo, number, marker, body) =>
      upsertMarkedComment(t, repoPath(repo), number, marker, body, { pageQuery: '?per_page=100', next }),
    // GitHub refuses descriptions over 140 characters.
    setCommitStatus: (repo, sha, s: CommitStatus) => postCommitStatus(t, repoPath(repo), sha, s, 140),
  };
}

function toPull(p: GithubPull): HostPullRequest {
  return {
    number: p.number,
    title: p.title,
    head: p.head.ref,
    headSha: p.head.sha,
    base: p.base.ref,
    labels: (p.labels ?? []).map((l) => l.name),
    ...(p.user?.login ? { author: p.user.login } : {}),
    state: p.merged_at ? 'merged' : p.state,
    url: p.html_url,
  };
}
