/**
 * The one port through which gitfleet talks to a Git host's API (not to Git itself: clones and
 * pushes go through git). Gitea, GitHub and GitLab each implement it; the pull request generator,
 * commit statuses, pull request comments (fleet impact previews) and pull requests opened by image
 * automation and promotions all use it, so a new host is one adapter.
 *
 * Every method throws a GitfleetError naming the host, the repository and the HTTP status on
 * failure; `transient` is set for 5xx and network errors so callers retry those only.
 */
export interface GitHost {
  /** `gitea`, `github` or `gitlab`: for messages and metrics. */
  readonly provider: GitHostProvider;
  /**
   * Pull requests of `repo`, every page. `state` defaults to `open`; `labels` (optional) keeps
   * those carrying every label (GitLab filters on the server, the others after listing).
   */
  listPullRequests(repo: RepoRef, opts?: ListPullRequestsOptions): Promise<HostPullRequest[]>;
  getPullRequest(repo: RepoRef, number: number): Promise<HostPullRequest>;
  /** The open pull request from `head` into `base`, if there is one (promotions reuse it). */
  findPullRequest(repo: RepoRef, head: string, base: string): Promise<HostPullRequest | undefined>;
  createPullRequest(repo: RepoRef, pr: NewPullRequest): Promise<HostPullRequest>;
  /**
   * Creates the comment, or edits the one earlier calls made: the comment carrying `marker` (an
   * invisible HTML comment the adapter embeds) is found and replaced, so a preview updated on every
   * push stays one comment.
   */
  upsertComment(repo: RepoRef, number: number, marker: string, body: string): Promise<void>;
  setCommitStatus(repo: RepoRef, sha: string, status: CommitStatus): Promise<void>;
}

export type GitHostProvider = 'gitea' | 'github' | 'gitlab';

export interface ListPullRequestsOptions {
  state?: 'open' | 'closed' | 'merged' | 'all';
  labels?: string[];
}

/** A repository on a host: owner (user, org, or GitLab group path) and name. */
export interface RepoRef {
  owner: string;
  repo: string;
}

export interface HostPullRequest {
  number: number;
  title: string;
  /** Source branch. */
  head: string;
  headSha: string;
  /** Target branch. */
  base: string;
  labels: string[];
  author?: string;
  state: 'open' | 'closed' | 'merged';
  url: string;
}

export interface NewPullRequest {
  title: string;
  body: string;
  head: string;
  base: string;
  labels?: string[];
}

export interface CommitStatus {
  state: 'pending' | 'success' | 'failure' | 'error';
  /** Distinguishes statuses on one commit, e.g. `gitfleet/preview` or `gitfleet/prod-eu`. */
  context: string;
  description: string;
  targetUrl?: string;
}

/** How to reach a host: API base URL and a token read from a Secret (never logged). */
export interface GitHostConfig {
  provider: GitHostProvider;
  /** e.g. `https://gitea.example.com`, `https://api.github.com`, `https://gitlab.example.com`. */
  api: string;
  token?: string;
  /** PEM bundle for a private CA; the system roots otherwise. */
  caData?: string;
  insecureSkipVerify?: boolean;
  /** Per request; default 20 s. */
  timeoutMs?: number;
}
