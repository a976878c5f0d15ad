import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { GitfleetError } from '../../core/errors.js';
import { normalizeRepoUrl } from './url.js';

/** Git hosting products whose push webhooks parsePushWebhook understands. */
export type WebhookProvider = 'github' | 'gitlab' | 'gitea';

/** A verified push: which repository changed, so the hub can force a fetch of its mirror. */
export interface PushEvent {
  provider: WebhookProvider;
  /**
   * Every URL of the repository in the payload (clone, web, SSH, …), each normalizeRepoUrl'd and
   * deduplicated, to match against the normalised URLs of Applications.
   */
  repoUrls: string[];
  /** The pushed ref, e.g. `refs/heads/main` or `refs/tags/v1.2.0`. */
  ref?: string;
  /** The new commit of `ref`; all zeros when the ref was deleted. */
  after?: string;
  /**
   * Files added, modified or removed by the push (deduplicated). Undefined means unknown (a new or
   * deleted ref, a force push, a tag, or a commit list the provider truncated): treat every path
   * as possibly changed.
   */
  changedFiles?: string[];
  /** Whether a signature or token was checked; false when no secret is configured for the provider. */
  verified: boolean;
}

/** Per-provider webhook secrets; a configured secret makes its signature mandatory. */
export interface WebhookSecrets {
  github?: string;
  gitlab?: string;
  gitea?: string;
}

/** The signature or token is missing or wrong while a secret is configured: answer 401. Terminal. */
export class WebhookAuthError extends GitfleetError {
  readonly provider: WebhookProvider;
  constructor(provider: WebhookProvider, why: string) {
    super('webhook.Unauthorized', `${provider} webhook: ${why}`);
    this.provider = provider;
  }
}

/** The request is not a webhook we can read (no provider header, bad JSON, no repository): 400. */
export class WebhookPayloadError extends GitfleetError {
  constructor(message: string, opts: { cause?: unknown } = {}) {
    super('webhook.BadPayload', message, opts);
  }
}

/**
 * An authentic webhook that is not a push (GitHub and Gitea `ping` when a hook is created, issues,
 * merge requests, …): nothing to fetch. The caller answers 2xx and moves on; it is an error type
 * only so that parsePushWebhook always returns a real push.
 */
export class WebhookIgnoredError extends GitfleetError {
  readonly provider: WebhookProvider;
  readonly event: string;
  constructor(provider: WebhookProvider, event: string) {
    super('webhook.Ignored', `${provider} webhook: event "${event}" is not a push; ignored`);
    this.provider = provider;
    this.event = event;
  }
}

/**
 * Verifies and parses a push webhook from GitHub, GitLab or Gitea. The provider comes from
 * `x-gitea-event` (checked first: Gitea also sends GitHub's headers), `x-gitlab-event` or
 * `x-github-event`. Verification happens before the body is parsed: GitHub `x-hub-signature-256`
 * (`sha256=` + hex HMAC-SHA256 of the raw body), GitLab `x-gitlab-token` (the secret itself), Gitea
 * `x-gitea-signature` (hex HMAC-SHA256), all compared in constant time; without a configured
 * secret nothing is checked and `verified` is false. GitHub's form-encoded delivery
 * (`payload=<json>`) is accepted too. `headers` must have lower-case names.
 *
 * Throws WebhookAuthError (bad or missing signature), WebhookIgnoredError (authentic, not a push:
 * ping and other events), WebhookPayloadError (no provider header, malformed JSON, no repository).
 */
export function parsePushWebhook(
  headers: Record<string, string | undefined>,
  rawBody: Buffer,
  secrets: WebhookSecrets,
): PushEvent {
  const provider = detectProvider(headers);
  const secret = secrets[provider];
  if (secret !== undefined) verify(provider, headers, rawBody, secret);
  const event = (
    headers[
      provider === 'gitea' ? 'x-gitea-event' : provider === 'gitlab' ? 'x-gitlab-event' : 'x-github-event'
    ] ?? ''
  ).trim();
  if (provider === 'github' || provider === 'gitea') {
    if (event !== 'push') throw new WebhookIgnoredError(provider, event);
  } else if (!['Push Hook', 'Tag Push Hook', 'System Hook'].includes(event)) {
    throw new WebhookIgnoredError(provider, event);
  }
  const body = parseBody(provider, headers, rawBody);
  if (provider === 'gitlab') {
    // System hooks carry every kind of event; only pushes matter.
    const kind = str(body, 'object_kind') ?? str(body, 'event_name') ?? '';
    if (kind !== 'push' && kind !== 'tag_push') throw new WebhookIgnoredError(provider, kind || event);
  }
  const repoUrls = provider === 'gitlab' ? gitlabUrls(body) : githubLikeUrls(provider, body);
  if (repoUrls.length === 0)
    throw new WebhookPayloadError(`${provider} webhook: the payload names no repository`);
  const ref = str(body, 'ref');
  const after = str(body, 'after');
  const changedFiles = changed(provider, body);
  return {
    provider,
    repoUrls,
    ...(ref !== undefined ? { ref } : {}),
    ...(after !== undefined ? { after } : {}),
    ...(changedFiles !== undefined ? { changedFiles } : {}),
    verified: secret !== undefined,
  };
}

/**
 * What can be checked from the headers alone, before a byte of the body is read: which provider
 * sent it, that a secret is configured for that provider, that its signature header is present,
 * and (GitLab, whose token is a header) the token itself. Throws WebhookPayloadError when no
 * provider header is present and WebhookAuthError when the request cannot be authentic, so the
 * caller refuses it without reading the body. Returns the provider.
 */
export function checkWebhookHeaders(
  headers: Record<string, string | undefined>,
  secrets: WebhookSecrets,
): WebhookProvider {
  const provider = detectProvider(headers);
  const secret = secrets[provider];
  if (secret === undefined)
    throw new WebhookAuthError(provider, 'no webhook secret is configured; refusing unsigned pushes');
  if (provider === 'gitlab') verify(provider, headers, Buffer.alloc(0), secret);
  else {
    const header = provider === 'github' ? 'x-hub-signature-256' : 'x-gitea-signature';
    if (headers[header] === undefined) throw new WebhookAuthError(provider, `missing ${header} header`);
  }
  return provider;
}

/**
 * The provider's id of one delivery (GitHub `X-GitHub-Delivery`, Gitea `X-Gitea-Delivery`, GitLab
 * `X-Gitlab-Event-UUID`), which a redelivery repeats; undefined when the request has none.
 */
export function deliveryIdOf(
  provider: WebhookProvider,
  headers: Record<string, string | undefined>,
): string | undefined {
  const name =
    provider === 'github'
      ? 'x-github-delivery'
      : provider === 'gitea'
        ? 'x-gitea-delivery'
        : 'x-gitlab-event-uuid';
  const v = headers[name]?.trim();
  return v ? v.slice(0, 200) : undefined;
}

function detectProvider(headers: Record<string, string | undefined>): WebhookProvider {
  if (headers['x-gitea-event'] !== undefined) return 'gitea';
  if (headers['x-gitlab-event'] !== undefined) return 'gitlab';
  if (headers['x-github-event'] !== undefined) return 'github';
  throw new WebhookPayloadError(
    'not a GitHub, GitLab or Gitea webhook: no X-GitHub-Event, X-Gitlab-Event or X-Gitea-Event header',
  );
}

function verify(
  provider: WebhookProvider,
  headers: Record<string, string | undefined>,
  body: Buffer,
  secret: string,
): void {
  if (provider === 'gitlab') {
    const token = headers['x-gitlab-token'];
    if (token === undefined) throw new WebhookAuthError(provider, 'missing X-Gitlab-Token header');
    // Hash both sides so the comparison takes the same time whatever the token's length.
    const digest = (s: string): Buffer => createHash('sha256').update(s).digest();
    if (!timingSafeEqual(digest(token), digest(secret)))
      throw new WebhookAuthError(provider, 'wrong X-Gitlab-Token');
    return;
  }
  const header = provider === 'github' ? 'x-hub-signature-256' : 'x-gitea-signature';
  const given = headers[header];
  if (given === undefined) throw new WebhookAuthError(provider, `missing ${header} header`);
  const hex = provider === 'github' ? (given.startsWith('sha256=') ? given.slice(7) : '') : given;
  const expected = createHmac('sha256', secret).update(body).digest();
  const actual = Buffer.from(hex.trim().toLowerCase(), 'hex');
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected))
    throw new WebhookAuthError(provider, `${header} does not match the payload`);
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(o: Json | undefined, key: string): string | undefined {
  const v = o?.[key];
  return typeof v === 'string' ? v : undefined;
}

function parseBody(
  provider: WebhookProvider,
  headers: Record<string, string | undefined>,
  raw: Buffer,
): Json {
  let text = raw.toString('utf8');
  if (
    provider === 'github' &&
    (headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')
  )
    text = new URLSearchParams(text).get('payload') ?? '';
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new WebhookPayloadError(`${provider} webhook: the body is not valid JSON`, { cause: e });
  }
  if (!isObject(parsed)) throw new WebhookPayloadError(`${provider} webhook: the body is not a JSON object`);
  return parsed;
}

function normalizedUrls(candidates: unknown[]): string[] {
  const out = new Set<string>();
  for (const c of candidates) {
    if (typeof c !== 'string' || c === '') continue;
    try {
      out.add(normalizeRepoUrl(c));
    } catch {
      // A field that is not a URL identifies nothing we could fetch.
    }
  }
  return [...out];
}

function githubLikeUrls(provider: WebhookProvider, body: Json): string[] {
  const repo = isObject(body.repository) ? body.repository : {};
  // Gitea's `url` is its API address, not the repository's.
  const keys =
    provider === 'github'
      ? ['clone_url', 'html_url', 'ssh_url', 'git_url', 'url']
      : ['clone_url', 'html_url', 'ssh_url'];
  return normalizedUrls(keys.map((k) => repo[k]));
}

function gitlabUrls(body: Json): string[] {
  const project = isObject(body.project) ? body.project : {};
  const repo = isObject(body.repository) ? body.repository : {};
  return normalizedUrls([
    project.git_http_url,
    project.http_url,
    project.web_url,
    project.git_ssh_url,
    project.ssh_url,
    repo.git_http_url,
    repo.homepage,
    repo.git_ssh_url,
    repo.url,
  ]);
}

const ZERO = /^0+$/;
/** GitHub lists at most 2048 commits in a push payload and does not say when it cut the list. */
const GITHUB_MAX_COMMITS = 2048;

function changed(provider: WebhookProvider, body: Json): string[] | undefined {
  const ref = str(body, 'ref') ?? '';
  const before = str(body, 'before') ?? '';
  const after = str(body, 'after') ?? '';
  // New or deleted refs and force pushes change files the commit list does not show.
  if (!ref.startsWith('refs/heads/') || ZERO.test(before) || ZERO.test(after) || body.forced === true)
    return undefined;
  const commits = Array.isArray(body.commits) ? body.commits.filter(isObject) : [];
  if (commits.length === 0) return undefined;
  const total =
    provider === 'gitlab' ? body.total_commits_count : provider === 'gitea' ? body.total_commits : undefined;
  if (typeof total === 'number' && total > commits.length) return undefined;
  if (provider === 'github' && commits.length >= GITHUB_MAX_COMMITS) return undefined;
  const files = new Set<string>();
  for (const commit of commits)
    for (const key of ['added', 'modified', 'removed']) {
      const list = commit[key];
      if (!Array.isArray(list)) return undefined;
      for (const f of list) if (typeof f === 'string') files.add(f);
    }
  return [...files];
}

/**
 * A verified pull request (GitHub/Gitea `pull_request`, GitLab merge request) whose head is new:
 * opened, reopened, or pushed to. The hub previews it when its repository opted in.
 */
export interface PullRequestEvent {
  provider: WebhookProvider;
  /** Normalised URLs of the target repository (as in PushEvent). */
  repoUrls: string[];
  /** The target repository on its host: owner (user, org, GitLab group path) and name. */
  repo: { owner: string; repo: string };
  /** The pull request number (GitLab: the merge request's iid). */
  number: number;
  action: 'opened' | 'reopened' | 'synchronize';
  /** Target branch. */
  base: string;
  /** Source branch. */
  head: string;
  headSha: string;
  /** The source branch lives in another repository (a fork). */
  fromFork: boolean;
  url?: string;
  title?: string;
}

/** GitHub/Gitea actions that bring a new head; Gitea spells a push to the branch `synchronized`. */
const PR_ACTIONS: Record<string, PullRequestEvent['action']> = {
  opened: 'opened',
  reopened: 'reopened',
  synchronize: 'synchronize',
  synchronized: 'synchronize',
};

/**
 * Verifies and parses a pull request webhook, with the same secrets and signature checks as
 * parsePushWebhook (verification happens before the body is parsed). Returns undefined when the
 * delivery is not a pull request event at all (a push, a ping: the caller reads it as a push).
 * Throws WebhookIgnoredError for an authentic pull request event that brings no new head (closed,
 * labelled, edited, a GitLab update without `oldrev`), WebhookAuthError and WebhookPayloadError as
 * parsePushWebhook does.
 */
export function parsePullRequestWebhook(
  headers: Record<string, string | undefined>,
  rawBody: Buffer,
  secrets: WebhookSecrets,
): PullRequestEvent | undefined {
  const provider = detectProvider(headers);
  const event = (
    headers[
      provider === 'gitea' ? 'x-gitea-event' : provider === 'gitlab' ? 'x-gitlab-event' : 'x-github-event'
    ] ?? ''
  ).trim();
  const isPr = provider === 'gitlab' ? event === 'Merge Request Hook' : event === 'pull_request';
  // A System Hook may carry a merge request too; only its body says so, after verification.
  if (!isPr && !(provider === 'gitlab' && event === 'System Hook')) return undefined;
  const secret = secrets[provider];
  if (secret !== undefined) verify(provider, headers, rawBody, secret);
  const body = parseBody(provider, headers, rawBody);
  if (provider === 'gitlab') {
    if ((str(body, 'object_kind') ?? '') !== 'merge_request') return undefined;
    return gitlabMergeRequest(body);
  }
  const action = PR_ACTIONS[str(body, 'action') ?? ''];
  if (!action)
    throw new WebhookIgnoredError(provider, `pull_request ${str(body, 'action') ?? '(no action)'}`);
  const pr = isObject(body.pull_request) ? body.pull_request : undefined;
  const head = isObject(pr?.head) ? pr.head : {};
  const base = isObject(pr?.base) ? pr.base : {};
  const repository = isObject(body.repository) ? body.repository : {};
  const owner = isObject(repository.owner)
    ? (str(repository.owner, 'login') ?? str(repository.owner, 'username'))
    : undefined;
  const name = str(repository, 'name');
  const number = typeof body.number === 'number' ? body.number : pr?.number;
  const headSha = str(head, 'sha');
  const headRef = str(head, 'ref');
  const baseRef = str(base, 'ref');
  const missing = [
    typeof number !== 'number' || !Number.isInteger(number) ? 'number' : '',
    owner ? '' : 'repository.owner.login',
    name ? '' : 'repository.name',
    headSha && /^[0-9a-f]{7,64}$/.test(headSha) ? '' : 'pull_request.head.sha',
    headRef ? '' : 'pull_request.head.ref',
    baseRef ? '' : 'pull_request.base.ref',
  ].filter(Boolean);
  if (missing.length > 0)
    throw new WebhookPayloadError(
      `${provider} pull_request webhook: missing or invalid ${missing.join(', ')}`,
    );
  const repoUrls = githubLikeUrls(provider, body);
  if (repoUrls.length === 0)
    throw new WebhookPayloadError(`${provider} webhook: the payload names no repository`);
  const headRepo = isObject(head.repo) ? head.repo : undefined;
  const fromFork =
    headRepo !== undefined &&
    str(headRepo, 'full_name') !== undefined &&
    str(headRepo, 'full_name') !== str(repository, 'full_name');
  const url = str(pr, 'html_url');
  const title = str(pr, 'title');
  return {
    provider,
    repoUrls,
    repo: { owner: owner as string, repo: name as string },
    number: number as number,
    action,
    base: baseRef as string,
    head: headRef as string,
    headSha: headSha as string,
    fromFork,
    ...(url ? { url } : {}),
    ...(title ? { title } : {}),
  };
}

function gitlabMergeRequest(body: Json): PullRequestEvent {
  const attrs = isObject(body.object_attributes) ? body.object_attributes : {};
  const rawAction = str(attrs, 'action') ?? '';
  // `update` is also sent for a title or label edit; only one with `oldrev` moved the head.
  const action: PullRequestEvent['action'] | undefined =
    rawAction === 'open'
      ? 'opened'
      : rawAction === 'reopen'
        ? 'reopened'
        : rawAction === 'update' && str(attrs, 'oldrev') !== undefined
          ? 'synchronize'
          : undefined;
  if (!action) throw new WebhookIgnoredError('gitlab', `merge_request ${rawAction || '(no action)'}`);
  const project = isObject(body.project) ? body.project : {};
  const path = str(project, 'path_with_namespace') ?? '';
  const cut = path.lastIndexOf('/');
  const lastCommit = isObject(attrs.last_commit) ? attrs.last_commit : {};
  const number = attrs.iid;
  const headSha = str(lastCommit, 'id');
  const head = str(attrs, 'source_branch');
  const base = str(attrs, 'target_branch');
  const missing = [
    typeof number !== 'number' || !Number.isInteger(number) ? 'object_attributes.iid' : '',
    cut > 0 ? '' : 'project.path_with_namespace',
    headSha && /^[0-9a-f]{7,64}$/.test(headSha) ? '' : 'object_attributes.last_commit.id',
    head ? '' : 'object_attributes.source_branch',
    base ? '' : 'object_attributes.target_branch',
  ].filter(Boolean);
  if (missing.length > 0)
    throw new WebhookPayloadError(`gitlab merge request webhook: missing or invalid ${missing.join(', ')}`);
  const repoUrls = gitlabUrls(body);
  if (repoUrls.length === 0) throw new WebhookPayloadError('gitlab webhook: the payload names no repository');
  const url = str(attrs, 'url');
  const title = str(attrs, 'title');
  return {
    provider: 'gitlab',
    repoUrls,
    repo: { owner: path.slice(0, cut), repo: path.slice(cut + 1) },
    number: number as number,
    action,
    base: base as string,
    head: head as string,
    headSha: headSha as string,
    fromFork: attrs.source_project_id !== undefined && attrs.source_project_id !== attrs.target_project_id,
    ...(url ? { url } : {}),
    ...(title ? { title } : {}),
  };
}
