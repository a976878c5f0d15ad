/**
 * GitHub's REST API (api.github.com, or `https://HOST/api/v3` for GitHub Enterprise) behind the
 * GitHost port. `Authorization: Bearer`, `X-GitHub-Api-Version: 2022-11-28`, pagination by the
 * Link header (`per_page=100`). Comments of a pull request are its issue's comments.
 */
import { allPages, hostRequest, markerLine, nextLink, type HostTransport } from './http.js';
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
    const state = opts.state ?? 'open';
    const apiState = state === 'open' ? 'open' : state === 'all' ? 'all' : 'closed';
    const pulls = await allPages<GithubPull>(
      t,
      `${repoPath(repo)}/pulls?state=${apiState}&per_page=100${query}`,
      next,
    );
    return pulls
      .map(toPull)
      .filter((p) => state === 'all' || p.state === state)
      .filter((p) => (opts.labels ?? []).every((l) => p.labels.includes(l)));
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
    upsertComment: async (repo, number, marker, body) => {
      const mark = markerLine(marker);
      const comments = await allPages<{ id: number; body: string }>(
        t,
        `${repoPath(repo)}/issues/${number}/comments?per_page=100`,
        next,
      );
      const mine = comments.find((c) => (c.body ?? '').includes(mark));
      const text = `${mark}\n${body}`;
      if (mine) await hostRequest(t, 'PATCH', `${repoPath(repo)}/issues/comments/${mine.id}`, { body: text });
      else await hostRequest(t, 'POST', `${repoPath(repo)}/issues/${number}/comments`, { body: text });
    },
    setCommitStatus: async (repo, sha, s: CommitStatus) => {
      await hostRequest(t, 'POST', `${repoPath(repo)}/statuses/${encodeURIComponent(sha)}`, {
        state: s.state,
        context: s.context,
        // GitHub refuses descriptions over 140 characters.
        description: s.description.slice(0, 140),
        ...(s.targetUrl ? { target_url: s.targetUrl } : {}),
      });
    },
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
