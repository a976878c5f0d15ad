import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  parsePullRequestWebhook,
  WebhookAuthError,
  WebhookIgnoredError,
  WebhookPayloadError,
} from './webhook.js';

const SECRET = 'pr-secret';
const sha = 'a'.repeat(40);

const githubLike = (action: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  action,
  number: 7,
  pull_request: {
    number: 7,
    title: 'Green web',
    html_url: 'https://git.example.com/team/fleet/pulls/7',
    head: { ref: 'change', sha, repo: { full_name: 'team/fleet' } },
    base: { ref: 'main', sha: 'b'.repeat(40), repo: { full_name: 'team/fleet' } },
  },
  repository: {
    name: 'fleet',
    full_name: 'team/fleet',
    owner: { login: 'team' },
    clone_url: 'https://git.example.com/team/fleet.git',
  },
  ...extra,
});

function gitea(body: unknown, secret = SECRET): [Record<string, string>, Buffer] {
  const raw = Buffer.from(JSON.stringify(body));
  return [
    {
      'x-gitea-event': 'pull_request',
      'x-gitea-signature': createHmac('sha256', secret).update(raw).digest('hex'),
    },
    raw,
  ];
}

function github(body: unknown): [Record<string, string>, Buffer] {
  const raw = Buffer.from(JSON.stringify(body));
  return [
    {
      'x-github-event': 'pull_request',
      'x-hub-signature-256': `sha256=${createHmac('sha256', SECRET).update(raw).digest('hex')}`,
    },
    raw,
  ];
}

function gitlab(attrs: Record<string, unknown>, token = SECRET): [Record<string, string>, Buffer] {
  const body = {
    object_kind: 'merge_request',
    project: {
      path_with_namespace: 'group/sub/fleet',
      git_http_url: 'https://gitlab.example.com/group/sub/fleet.git',
    },
    object_attributes: {
      iid: 3,
      source_branch: 'feature',
      target_branch: 'main',
      last_commit: { id: sha },
      source_project_id: 1,
      target_project_id: 1,
      ...attrs,
    },
  };
  return [
    { 'x-gitlab-event': 'Merge Request Hook', 'x-gitlab-token': token },
    Buffer.from(JSON.stringify(body)),
  ];
}

const secrets = { gitea: SECRET, github: SECRET, gitlab: SECRET };

describe('pull request webhooks', () => {
  it('reads an opened Gitea pull request and a push to it (Gitea says "synchronized")', () => {
    const ev = parsePullRequestWebhook(...gitea(githubLike('opened')), secrets);
    expect(ev).toEqual({
      provider: 'gitea',
      repoUrls: ['https://git.example.com/team/fleet'],
      repo: { owner: 'team', repo: 'fleet' },
      number: 7,
      action: 'opened',
      base: 'main',
      head: 'change',
      headSha: sha,
      fromFork: false,
      url: 'https://git.example.com/team/fleet/pulls/7',
      title: 'Green web',
    });
    expect(parsePullRequestWebhook(...gitea(githubLike('synchronized')), secrets)?.action).toBe(
      'synchronize',
    );
    expect(parsePullRequestWebhook(...github(githubLike('synchronize')), secrets)?.action).toBe(
      'synchronize',
    );
    expect(parsePullRequestWebhook(...github(githubLike('reopened')), secrets)?.action).toBe('reopened');
  });

  it('ignores pull request actions that bring no new head, and is not a pull request parser for pushes', () => {
    expect(() => parsePullRequestWebhook(...github(githubLike('closed')), secrets)).toThrow(
      WebhookIgnoredError,
    );
    expect(() => parsePullRequestWebhook(...gitea(githubLike('label_updated')), secrets)).toThrow(
      WebhookIgnoredError,
    );
    const [h, raw] = gitea({ ref: 'refs/heads/main' });
    expect(parsePullRequestWebhook({ ...h, 'x-gitea-event': 'push' }, raw, secrets)).toBeUndefined();
  });

  it('refuses a wrong signature before reading the body, and names missing fields', () => {
    expect(() => parsePullRequestWebhook(...gitea(githubLike('opened'), 'other'), secrets)).toThrow(
      WebhookAuthError,
    );
    expect(() => parsePullRequestWebhook(...gitlab({ action: 'open' }, 'wrong'), secrets)).toThrow(
      WebhookAuthError,
    );
    const broken = githubLike('opened');
    (broken.pull_request as { head: { sha: string } }).head.sha = '--upload-pack=x';
    expect(() => parsePullRequestWebhook(...github(broken), secrets)).toThrow(
      new WebhookPayloadError('github pull_request webhook: missing or invalid pull_request.head.sha'),
    );
  });

  it('marks a pull request from a fork', () => {
    const body = githubLike('opened');
    (body.pull_request as { head: { repo: { full_name: string } } }).head.repo.full_name = 'someone/fleet';
    expect(parsePullRequestWebhook(...github(body), secrets)?.fromFork).toBe(true);
  });

  it('reads GitLab merge requests: open, reopen, and an update that moved the head', () => {
    const ev = parsePullRequestWebhook(...gitlab({ action: 'open', title: 'x' }), secrets);
    expect(ev).toMatchObject({
      provider: 'gitlab',
      repo: { owner: 'group/sub', repo: 'fleet' },
      number: 3,
      action: 'opened',
      base: 'main',
      head: 'feature',
      headSha: sha,
      fromFork: false,
    });
    expect(parsePullRequestWebhook(...gitlab({ action: 'reopen' }), secrets)?.action).toBe('reopened');
    expect(
      parsePullRequestWebhook(...gitlab({ action: 'update', oldrev: 'c'.repeat(40) }), secrets)?.action,
    ).toBe('synchronize');
    // A title edit is an update without oldrev: nothing new to preview.
    expect(() => parsePullRequestWebhook(...gitlab({ action: 'update' }), secrets)).toThrow(
      WebhookIgnoredError,
    );
    expect(() => parsePullRequestWebhook(...gitlab({ action: 'merge' }), secrets)).toThrow(
      WebhookIgnoredError,
    );
  });
});
