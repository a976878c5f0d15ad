import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  checkWebhookHeaders,
  deliveryIdOf,
  parsePushWebhook,
  WebhookAuthError,
  WebhookIgnoredError,
  WebhookPayloadError,
  type PushEvent,
} from './webhook.js';

const SECRET = 'webhook-secret-123';
const BEFORE = '6113728f27ae82c7b1a177c8d03f9e96e0adf246';
const AFTER = '0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c';
const ZERO = '0000000000000000000000000000000000000000';

const hmac = (body: Buffer, secret = SECRET): string =>
  createHmac('sha256', secret).update(body).digest('hex');
const body = (o: unknown): Buffer => Buffer.from(JSON.stringify(o));

function githubPush(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    ref: 'refs/heads/main',
    before: BEFORE,
    after: AFTER,
    created: false,
    deleted: false,
    forced: false,
    compare: `https://github.com/acme/fleet/compare/${BEFORE.slice(0, 12)}...${AFTER.slice(0, 12)}`,
    commits: [
      {
        id: BEFORE,
        message: 'bump app',
        added: ['apps/web/hpa.yaml'],
        removed: [],
        modified: ['apps/web/deploy.yaml'],
      },
      {
        id: AFTER,
        message: 'fix',
        added: [],
        removed: ['apps/old.yaml'],
        modified: ['apps/web/deploy.yaml'],
      },
    ],
    head_commit: { id: AFTER },
    repository: {
      id: 1296269,
      name: 'fleet',
      full_name: 'acme/fleet',
      private: true,
      html_url: 'https://github.com/acme/fleet',
      url: 'https://github.com/acme/fleet',
      git_url: 'git://github.com/acme/fleet.git',
      ssh_url: 'git@github.com:acme/fleet.git',
      clone_url: 'https://github.com/acme/fleet.git',
      svn_url: 'https://github.com/acme/fleet',
      default_branch: 'main',
    },
    pusher: { name: 'octocat', email: 'octocat@github.com' },
    sender: { login: 'octocat' },
    ...over,
  };
}

function gitlabPush(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    object_kind: 'push',
    event_name: 'push',
    before: BEFORE,
    after: AFTER,
    ref: 'refs/heads/main',
    checkout_sha: AFTER,
    user_username: 'jsmith',
    project_id: 15,
    project: {
      id: 15,
      name: 'Fleet',
      web_url: 'https://gitlab.example.com/platform/Fleet',
      git_ssh_url: 'git@gitlab.example.com:platform/Fleet.git',
      git_http_url: 'https://gitlab.example.com/platform/Fleet.git',
      namespace: 'Platform',
      path_with_namespace: 'platform/Fleet',
      default_branch: 'main',
      ssh_url: 'git@gitlab.example.com:platform/Fleet.git',
      http_url: 'https://gitlab.example.com/platform/Fleet.git',
    },
    commits: [{ id: AFTER, message: 'x', added: ['a.yaml'], modified: [], removed: ['b.yaml'] }],
    total_commits_count: 1,
    repository: {
      name: 'Fleet',
      url: 'git@gitlab.example.com:platform/Fleet.git',
      homepage: 'https://gitlab.example.com/platform/Fleet',
      git_http_url: 'https://gitlab.example.com/platform/Fleet.git',
      git_ssh_url: 'git@gitlab.example.com:platform/Fleet.git',
    },
    ...over,
  };
}

function giteaPush(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    ref: 'refs/heads/main',
    before: BEFORE,
    after: AFTER,
    compare_url: 'https://gitea.example.com/ops/fleet/compare/a...b',
    commits: [{ id: AFTER, message: 'x', added: [], removed: [], modified: ['deploy/app.yaml'] }],
    total_commits: 1,
    head_commit: { id: AFTER },
    repository: {
      id: 3,
      full_name: 'ops/fleet',
      html_url: 'https://gitea.example.com/ops/fleet',
      ssh_url: 'ssh://git@gitea.example.com:2222/ops/fleet.git',
      clone_url: 'https://gitea.example.com/ops/fleet.git',
      url: 'https://gitea.example.com/api/v1/repos/ops/fleet',
      default_branch: 'main',
    },
    pusher: { login: 'ops' },
    ...over,
  };
}

function githubHeaders(raw: Buffer, event = 'push', secret = SECRET): Record<string, string> {
  return {
    'content-type': 'application/json',
    'x-github-event': event,
    'x-github-delivery': '72d3162e-cc78-11e3-81ab-4c9367dc0958',
    'x-hub-signature-256': `sha256=${hmac(raw, secret)}`,
  };
}

function giteaHeaders(raw: Buffer, event = 'push', secret = SECRET): Record<string, string> {
  // Gitea also sends GitHub's and Gogs' headers.
  return {
    'content-type': 'application/json',
    'x-gitea-event': event,
    'x-gitea-signature': hmac(raw, secret),
    'x-gogs-event': event,
    'x-github-event': event,
    'x-hub-signature-256': `sha256=${hmac(raw, secret)}`,
  };
}

function errorOf(fn: () => PushEvent): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return undefined;
}

describe('parsePushWebhook: GitHub', () => {
  it('verifies X-Hub-Signature-256 and returns every repository URL, normalised', () => {
    const raw = body(githubPush());
    const ev = parsePushWebhook(githubHeaders(raw), raw, { github: SECRET });
    expect(ev).toEqual({
      provider: 'github',
      repoUrls: [
        'https://github.com/acme/fleet',
        'ssh://github.com/acme/fleet',
        'git://github.com/acme/fleet',
      ],
      ref: 'refs/heads/main',
      after: AFTER,
      changedFiles: ['apps/web/hpa.yaml', 'apps/web/deploy.yaml', 'apps/old.yaml'],
      verified: true,
    });
  });

  it('refuses a wrong, missing or malformed signature when a secret is configured', () => {
    const raw = body(githubPush());
    const cases: Record<string, string | undefined>[] = [
      githubHeaders(raw, 'push', 'other-secret'),
      { ...githubHeaders(raw), 'x-hub-signature-256': undefined },
      { ...githubHeaders(raw), 'x-hub-signature-256': hmac(raw) },
      { ...githubHeaders(raw), 'x-hub-signature-256': 'sha256=zz' },
    ];
    for (const headers of cases) {
      const err = errorOf(() => parsePushWebhook(headers, raw, { github: SECRET }));
      expect(err).toBeInstanceOf(WebhookAuthError);
      expect((err as WebhookAuthError).code).toBe('webhook.Unauthorized');
    }
  });

  it('refuses a body changed after signing', () => {
    const raw = body(githubPush());
    const tampered = body(githubPush({ ref: 'refs/heads/evil' }));
    expect(errorOf(() => parsePushWebhook(githubHeaders(raw), tampered, { github: SECRET }))).toBeInstanceOf(
      WebhookAuthError,
    );
  });

  it('reports ping (sent when a hook is created) as ignored, after checking its signature', () => {
    const raw = body({ zen: 'Keep it logically awesome.', hook_id: 1, repository: githubPush().repository });
    const err = errorOf(() => parsePushWebhook(githubHeaders(raw, 'ping'), raw, { github: SECRET }));
    expect(err).toBeInstanceOf(WebhookIgnoredError);
    expect((err as WebhookIgnoredError).event).toBe('ping');
    expect(
      errorOf(() => parsePushWebhook(githubHeaders(raw, 'ping', 'bad'), raw, { github: SECRET })),
    ).toBeInstanceOf(WebhookAuthError);
  });

  it('accepts an unsigned delivery when no secret is configured, marked unverified', () => {
    const raw = body(githubPush());
    const ev = parsePushWebhook({ 'x-github-event': 'push' }, raw, {});
    expect(ev.verified).toBe(false);
    expect(ev.repoUrls[0]).toBe('https://github.com/acme/fleet');
  });

  it('reads the form-encoded delivery format', () => {
    const raw = Buffer.from(new URLSearchParams({ payload: JSON.stringify(githubPush()) }).toString());
    const headers = { ...githubHeaders(raw), 'content-type': 'application/x-www-form-urlencoded' };
    expect(parsePushWebhook(headers, raw, { github: SECRET }).ref).toBe('refs/heads/main');
  });

  it('leaves changedFiles unknown for new, deleted and force-pushed branches and tags', () => {
    const unknown = [
      githubPush({ created: true, before: ZERO }),
      githubPush({ deleted: true, after: ZERO, commits: [] }),
      githubPush({ forced: true }),
      githubPush({ ref: 'refs/tags/v1.0.0', commits: [] }),
    ];
    for (const p of unknown) {
      const raw = body(p);
      expect(parsePushWebhook(githubHeaders(raw), raw, { github: SECRET }).changedFiles).toBeUndefined();
    }
  });

  it('rejects malformed JSON and payloads without a repository', () => {
    const raw = Buffer.from('{"ref": "refs/heads/main",');
    const err = errorOf(() => parsePushWebhook(githubHeaders(raw), raw, { github: SECRET }));
    expect(err).toBeInstanceOf(WebhookPayloadError);
    expect((err as WebhookPayloadError).code).toBe('webhook.BadPayload');
    const noRepo = body({ ref: 'refs/heads/main' });
    expect(errorOf(() => parsePushWebhook(githubHeaders(noRepo), noRepo, { github: SECRET }))).toBeInstanceOf(
      WebhookPayloadError,
    );
    const arr = body([1, 2]);
    expect(errorOf(() => parsePushWebhook(githubHeaders(arr), arr, { github: SECRET }))).toBeInstanceOf(
      WebhookPayloadError,
    );
  });
});

describe('parsePushWebhook: GitLab', () => {
  const headers = (
    event = 'Push Hook',
    token: string | undefined = SECRET,
  ): Record<string, string | undefined> => ({
    'content-type': 'application/json',
    'x-gitlab-event': event,
    'x-gitlab-token': token,
  });

  it('checks X-Gitlab-Token and collects project and repository URLs', () => {
    const raw = body(gitlabPush());
    expect(parsePushWebhook(headers(), raw, { gitlab: SECRET })).toEqual({
      provider: 'gitlab',
      repoUrls: ['https://gitlab.example.com/platform/Fleet', 'ssh://gitlab.example.com/platform/Fleet'],
      ref: 'refs/heads/main',
      after: AFTER,
      changedFiles: ['a.yaml', 'b.yaml'],
      verified: true,
    });
  });

  it('refuses a wrong or missing token', () => {
    const raw = body(gitlabPush());
    const missing = { ...headers(), 'x-gitlab-token': undefined };
    for (const h of [headers('Push Hook', 'wrong'), missing, headers('Push Hook', '')])
      expect(errorOf(() => parsePushWebhook(h, raw, { gitlab: SECRET }))).toBeInstanceOf(WebhookAuthError);
  });

  it('accepts tag pushes and system-hook pushes, ignores other events', () => {
    const tag = body(gitlabPush({ object_kind: 'tag_push', ref: 'refs/tags/v1.0.0' }));
    expect(parsePushWebhook(headers('Tag Push Hook'), tag, { gitlab: SECRET }).changedFiles).toBeUndefined();
    const sys = body(gitlabPush({ event_name: 'push' }));
    expect(parsePushWebhook(headers('System Hook'), sys, { gitlab: SECRET }).provider).toBe('gitlab');
    const mr = body({ object_kind: 'merge_request', project: gitlabPush().project });
    expect(
      errorOf(() => parsePushWebhook(headers('Merge Request Hook'), mr, { gitlab: SECRET })),
    ).toBeInstanceOf(WebhookIgnoredError);
    const sysMr = body({ object_kind: 'merge_request' });
    expect(errorOf(() => parsePushWebhook(headers('System Hook'), sysMr, { gitlab: SECRET }))).toBeInstanceOf(
      WebhookIgnoredError,
    );
  });

  it('leaves changedFiles unknown when GitLab truncated the commit list', () => {
    const raw = body(gitlabPush({ total_commits_count: 40 }));
    expect(parsePushWebhook(headers(), raw, { gitlab: SECRET }).changedFiles).toBeUndefined();
  });
});

describe('parsePushWebhook: Gitea', () => {
  it('is detected before GitHub (Gitea sends both headers) and verifies X-Gitea-Signature', () => {
    const raw = body(giteaPush());
    expect(parsePushWebhook(giteaHeaders(raw), raw, { gitea: SECRET })).toEqual({
      provider: 'gitea',
      repoUrls: ['https://gitea.example.com/ops/fleet', 'ssh://gitea.example.com:2222/ops/fleet'],
      ref: 'refs/heads/main',
      after: AFTER,
      changedFiles: ['deploy/app.yaml'],
      verified: true,
    });
  });

  it('refuses a bad signature even if the GitHub-style one is right for another secret', () => {
    const raw = body(giteaPush());
    const headers = { ...giteaHeaders(raw), 'x-gitea-signature': hmac(raw, 'other') };
    expect(errorOf(() => parsePushWebhook(headers, raw, { gitea: SECRET, github: SECRET }))).toBeInstanceOf(
      WebhookAuthError,
    );
    const missing = { ...giteaHeaders(raw), 'x-gitea-signature': undefined };
    expect(errorOf(() => parsePushWebhook(missing, raw, { gitea: SECRET }))).toBeInstanceOf(WebhookAuthError);
  });

  it('ignores non-push events', () => {
    const raw = body({ action: 'opened', repository: giteaPush().repository });
    expect(
      errorOf(() => parsePushWebhook(giteaHeaders(raw, 'issues'), raw, { gitea: SECRET })),
    ).toBeInstanceOf(WebhookIgnoredError);
  });
});

describe('parsePushWebhook: unknown senders', () => {
  it('rejects requests without a provider event header', () => {
    const raw = body(githubPush());
    expect(errorOf(() => parsePushWebhook({ 'content-type': 'application/json' }, raw, {}))).toBeInstanceOf(
      WebhookPayloadError,
    );
  });
});

describe('checkWebhookHeaders: what is refused before the body is read', () => {
  const secrets = { github: 's', gitlab: 'tok', gitea: 's' };
  it('refuses no provider, no secret, no signature header and a wrong GitLab token', () => {
    expect(() => checkWebhookHeaders({}, secrets)).toThrow('not a GitHub, GitLab or Gitea webhook');
    expect(() => checkWebhookHeaders({ 'x-github-event': 'push' }, {})).toThrow(
      'github webhook: no webhook secret is configured',
    );
    expect(() => checkWebhookHeaders({ 'x-github-event': 'push' }, secrets)).toThrow(
      'missing x-hub-signature-256 header',
    );
    expect(() => checkWebhookHeaders({ 'x-gitea-event': 'push' }, secrets)).toThrow(
      'missing x-gitea-signature header',
    );
    expect(() =>
      checkWebhookHeaders({ 'x-gitlab-event': 'Push Hook', 'x-gitlab-token': 'nope' }, secrets),
    ).toThrow('wrong X-Gitlab-Token');
  });

  it('lets through what only the body can decide', () => {
    expect(
      checkWebhookHeaders({ 'x-github-event': 'push', 'x-hub-signature-256': 'sha256=00' }, secrets),
    ).toBe('github');
    expect(checkWebhookHeaders({ 'x-gitlab-event': 'Push Hook', 'x-gitlab-token': 'tok' }, secrets)).toBe(
      'gitlab',
    );
  });

  it('reads each provider’s delivery id', () => {
    expect(deliveryIdOf('github', { 'x-github-delivery': 'g-1' })).toBe('g-1');
    expect(deliveryIdOf('gitea', { 'x-gitea-delivery': 't-1' })).toBe('t-1');
    expect(deliveryIdOf('gitlab', { 'x-gitlab-event-uuid': 'l-1' })).toBe('l-1');
    expect(deliveryIdOf('github', {})).toBeUndefined();
  });
});
