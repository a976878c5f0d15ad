/**
 * Gitea's REST API (`/api/v1`) behind the GitHost port. Pagination by Link header (`page`,
 * `limit`); token as `Authorization: token …`; labels are attached by id, looked up by name.
 */
import { allPages, hostRequest, nextLink, type HostTransport } from './http.js';
import { apiState, postCommitStatus, selectPulls, upsertMarkedComment } from './github-shaped.js';
import type {
  CommitStatus,
  GitHost,
  GitHostConfig,
  HostPullRequest,
  ListPullRequestsOptions,
  NewPullRequest,
  RepoRef,
} from './port.js';
import { GitHostError } from './http.js';

interface GiteaPull {
  number: number;
  title: string;
  state: 'open' | 'closed';
  merged?: boolean;
  head: { ref: string; sha: string };
  base: { ref: string };
  labels?: { name: string }[] | null;
  user?: { login: string } | null;
  html_url: string;
}

export function giteaHost(cfg: GitHostConfig): GitHost {
  const t: HostTransport = {
    provider: 'gitea',
    base: `${cfg.api.replace(/\/+$/, '').replace(/\/api\/v1$/, '')}/api/v1`,
    auth: cfg.token ? { authorization: `token ${cfg.token}` } : {},
    ...(cfg.caData ? { caData: cfg.caData } : {}),
    ...(cfg.insecureSkipVerify ? { insecureSkipVerify: true } : {}),
    ...(cfg.timeoutMs ? { timeoutMs: cfg.timeoutMs } : {}),
  };
  const repoPath = (r: RepoRef): string =>
    `/repos/${encodeURIComponent(r.owner)}/${encodeURIComponent(r.repo)}`;
  const next = (h: Parameters<typeof nextLink>[0]): string | undefined => nextLink(h, t.base);

  const list = async (repo: RepoRef, opts: ListPullRequestsOptions = {}): Promise<HostPullRequest[]> => {
    const pulls = await allPages<GiteaPull>(
      t,
      `${repoPath(repo)}/pulls?state=${apiState(opts.state)}&limit=50&page=1`,
      next,
    );
    return selectPulls(pulls.map(toPull), opts);
  };

  return {
    provider: 'gitea',
    listPullRequests: list,
    getPullRequest: async (repo, number) =>
      toPull((await hostRequest<GiteaPull>(t, 'GET', `${repoPath(repo)}/pulls/${number}`)).body),
    findPullRequest: async (repo, head, base) =>
      (await list(repo, { state: 'open' })).find((p) => p.head === head && p.base === base),
    createPullRequest: async (repo: RepoRef, pr: NewPullRequest) => {
      const labelIds = pr.labels?.length ? await labelIdsOf(t, repoPath(repo), pr.labels) : [];
      const res = await hostRequest<GiteaPull>(t, 'POST', `${repoPath(repo)}/pulls`, {
        title: pr.title,
        body: pr.body,
        head: pr.head,
        base: pr.base,
        ...(labelIds.length ? { labels: labelIds } : {}),
      });
      return toPull(res.body);
    },
    upsertComment: (repo, number, marker, body) =>
      upsertMarkedComment(t, repoPath(repo), number, marker, body, { pageQuery: '', next }),
    setCommitStatus: (repo, sha, s: CommitStatus) => postCommitStatus(t, repoPath(repo), sha, s, 255),
  };
}

function toPull(p: GiteaPull): HostPullRequest {
  return {
    number: p.number,
    title: p.title,
    head: p.head.ref,
    headSha: p.head.sha,
    base: p.base.ref,
    labels: (p.labels ?? []).map((l) => l.name),
    ...(p.user?.login ? { author: p.user.login } : {}),
    state: p.merged ? 'merged' : p.state,
    url: p.html_url,
  };
}

/** Gitea attaches labels by id: every named label must exist in the repository. */
async function labelIdsOf(t: HostTransport, repoPath: string, names: string[]): Promise<number[]> {
  const all = await allPages<{ id: number; name: string }>(t, `${repoPath}/labels?limit=50&page=1`, (h) =>
    nextLink(h, t.base),
  );
  return names.map((n) => {
    const l = all.find((x) => x.name === n);
    if (!l) throw new GitHostError('gitea', `${repoPath}: no label named ${JSON.stringify(n)}`, 422);
    return l.id;
  });
}
