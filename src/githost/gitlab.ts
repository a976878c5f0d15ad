/**
 * GitLab's REST API (`/api/v4`) behind the GitHost port. A repository is a project addressed by
 * its URL-encoded path (`group/sub/name`); pull requests are merge requests (numbered by `iid`),
 * comments are notes, commit statuses are named by `name`. `PRIVATE-TOKEN` header; pagination by
 * `X-Next-Page` (`per_page=100`).
 */
import type { IncomingHttpHeaders } from 'node:http';

import { allPages, hostRequest, markerLine, type HostTransport } from './http.js';
import type {
  CommitStatus,
  GitHost,
  GitHostConfig,
  HostPullRequest,
  ListPullRequestsOptions,
  RepoRef,
} from './port.js';

export const GITLAB_API = 'https://gitlab.com';

interface GitlabMr {
  iid: number;
  title: string;
  state: 'opened' | 'closed' | 'merged' | 'locked';
  source_branch: string;
  target_branch: string;
  sha: string;
  labels?: string[];
  author?: { username: string } | null;
  web_url: string;
}

const STATES: Record<NonNullable<ListPullRequestsOptions['state']>, string | undefined> = {
  open: 'opened',
  closed: 'closed',
  merged: 'merged',
  all: undefined,
};

/** GitLab's status states: `failure` and `error` are both `failed` there. */
const STATUS: Record<CommitStatus['state'], string> = {
  pending: 'pending',
  success: 'success',
  failure: 'failed',
  error: 'failed',
};

export function gitlabHost(cfg: GitHostConfig): GitHost {
  const t: HostTransport = {
    provider: 'gitlab',
    base: `${(cfg.api || GITLAB_API).replace(/\/+$/, '').replace(/\/api\/v4$/, '')}/api/v4`,
    auth: cfg.token ? { 'private-token': cfg.token } : {},
    ...(cfg.caData ? { caData: cfg.caData } : {}),
    ...(cfg.insecureSkipVerify ? { insecureSkipVerify: true } : {}),
    ...(cfg.timeoutMs ? { timeoutMs: cfg.timeoutMs } : {}),
  };
  // A project is its full path, or its numeric id (owner '').
  const project = (r: RepoRef): string =>
    `/projects/${encodeURIComponent(r.owner ? `${r.owner}/${r.repo}` : r.repo)}`;
  // X-Next-Page is a page number: the same path with `page` replaced.
  const next = (h: IncomingHttpHeaders, current: string): string | undefined => {
    const n = h['x-next-page'];
    if (typeof n !== 'string' || !/^\d+$/.test(n)) return undefined;
    const u = new URL(current, 'http://x');
    u.searchParams.set('page', n);
    return u.pathname + u.search;
  };

  const list = async (
    repo: RepoRef,
    opts: ListPullRequestsOptions = {},
    query = '',
  ): Promise<HostPullRequest[]> => {
    const state = STATES[opts.state ?? 'open'];
    const q = new URLSearchParams({ per_page: '100', page: '1' });
    if (state) q.set('state', state);
    if (opts.labels?.length) q.set('labels', opts.labels.join(','));
    const mrs = await allPages<GitlabMr>(t, `${project(repo)}/merge_requests?${q.toString()}${query}`, next);
    return mrs.map(toPull).filter((p) => (opts.labels ?? []).every((l) => p.labels.includes(l)));
  };

  return {
    provider: 'gitlab',
    listPullRequests: (repo, opts) => list(repo, opts),
    getPullRequest: async (repo, number) =>
      toPull((await hostRequest<GitlabMr>(t, 'GET', `${project(repo)}/merge_requests/${number}`)).body),
    findPullRequest: async (repo, head, base) => {
      const q = `&source_branch=${encodeURIComponent(head)}&target_branch=${encodeURIComponent(base)}`;
      return (await list(repo, { state: 'open' }, q)).find((p) => p.head === head && p.base === base);
    },
    createPullRequest: async (repo, pr) =>
      toPull(
        (
          await hostRequest<GitlabMr>(t, 'POST', `${project(repo)}/merge_requests`, {
            source_branch: pr.head,
            target_branch: pr.base,
            title: pr.title,
            description: pr.body,
            ...(pr.labels?.length ? { labels: pr.labels.join(',') } : {}),
          })
        ).body,
      ),
    upsertComment: async (repo, number, marker, body) => {
      const mark = markerLine(marker);
      const notes = await allPages<{ id: number; body: string }>(
        t,
        `${project(repo)}/merge_requests/${number}/notes?per_page=100&page=1`,
        next,
      );
      const mine = notes.find((n) => (n.body ?? '').includes(mark));
      const text = `${mark}\n${body}`;
      if (mine)
        await hostRequest(t, 'PUT', `${project(repo)}/merge_requests/${number}/notes/${mine.id}`, {
          body: text,
        });
      else await hostRequest(t, 'POST', `${project(repo)}/merge_requests/${number}/notes`, { body: text });
    },
    setCommitStatus: async (repo, sha, s) => {
      await hostRequest(t, 'POST', `${project(repo)}/statuses/${encodeURIComponent(sha)}`, {
        state: STATUS[s.state],
        name: s.context,
        description: s.description.slice(0, 255),
        ...(s.targetUrl ? { target_url: s.targetUrl } : {}),
      });
    },
  };
}

function toPull(m: GitlabMr): HostPullRequest {
  return {
    number: m.iid,
    title: m.title,
    head: m.source_branch,
    headSha: m.sha,
    base: m.target_branch,
    labels: m.labels ?? [],
    ...(m.author?.username ? { author: m.author.username } : {}),
    state: m.state === 'opened' ? 'open' : m.state === 'merged' ? 'merged' : 'closed',
    url: m.web_url,
  };
}
