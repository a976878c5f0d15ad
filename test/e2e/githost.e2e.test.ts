// The Git host port against the real Gitea and against recorded-contract servers of GitHub and
// GitLab (test/harness/githost-contracts): the same behaviour from all three — pull requests
// listed over every page and filtered, one comment per marker however often it is upserted, commit
// statuses, pull requests created and found — plus tokens, TLS and the pull request generator.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fleetPorts } from '../../src/controllers/applicationset/ports.js';
import { GitSources } from '../../src/engine/source/index.js';
import { generate } from '../../src/fleet/index.js';
import {
  gitHost,
  gitHostFromSpec,
  GitHostError,
  kubeSecrets,
  type GitHost,
} from '../../src/githost/index.js';
import { createNamespace, testFleet, type ClusterHandle } from '../harness/context.js';
import { startGitea, type Gitea } from '../harness/gitea.js';
import { startGithubContract, type GithubContract } from '../harness/githost-contracts/github.js';
import { startGitlabContract, type GitlabContract } from '../harness/githost-contracts/gitlab.js';
import { createPki } from '../harness/pki.js';
import { installExitHooks } from '../harness/process.js';

const dir = mkdtempSync(join(tmpdir(), 'gitfleet-githost-'));
const GH_TOKEN = 'ghp_contract_token_do_not_print';
const GL_TOKEN = 'glpat-contract-token-do-not-print';
let gitea: Gitea;
let github: GithubContract;
let gitlab: GitlabContract;
let hub: ClusterHandle;
let ns: string;

beforeAll(async () => {
  installExitHooks();
  const fleet = await testFleet();
  hub = fleet.clusters[0] as ClusterHandle;
  ns = await createNamespace(hub.admin, 'githost');
  [gitea, github, gitlab] = await Promise.all([
    startGitea(join(dir, 'gitea'), join(fleet.info.runDir, 'logs')),
    startGithubContract(GH_TOKEN),
    startGitlabContract(GL_TOKEN),
  ]);
});

afterAll(async () => {
  await Promise.all([gitea?.stop(), github?.close(), gitlab?.close()]);
  rmSync(dir, { recursive: true, force: true });
});

/** Opens a pull request in the real Gitea from a new branch with one new file; returns number and head. */
async function giteaPull(
  repo: string,
  branch: string,
  labels: number[] = [],
): Promise<{ number: number; sha: string }> {
  const owner = gitea.admin.username;
  await gitea.api('POST', `/repos/${owner}/${repo}/branches`, {
    new_branch_name: branch,
    old_branch_name: 'main',
  });
  await gitea.api('POST', `/repos/${owner}/${repo}/contents/${branch}.txt`, {
    content: Buffer.from(branch).toString('base64'),
    branch,
    message: `add ${branch}`,
  });
  const pr = await gitea.api<{ number: number; head: { sha: string } }>(
    'POST',
    `/repos/${owner}/${repo}/pulls`,
    {
      head: branch,
      base: 'main',
      title: `Change ${branch}`,
      labels,
    },
  );
  return { number: pr.number, sha: pr.head.sha };
}

describe('Gitea (real)', () => {
  it('lists, filters, comments once per marker, sets statuses, creates and finds pull requests', async () => {
    const owner = gitea.admin.username;
    await gitea.api('POST', '/user/repos', { name: 'port', auto_init: true, default_branch: 'main' });
    const label = await gitea.api<{ id: number }>('POST', `/repos/${owner}/port/labels`, {
      name: 'preview',
      color: '#00aabb',
    });
    const a = await giteaPull('port', 'feature-a', [label.id]);
    await giteaPull('port', 'feature-b');
    const host = gitHost({ provider: 'gitea', api: gitea.url, token: gitea.admin.token });
    const repo = { owner, repo: 'port' };

    const open = await host.listPullRequests(repo);
    expect(open.map((p) => p.head).sort()).toEqual(['feature-a', 'feature-b']);
    const labelled = await host.listPullRequests(repo, { labels: ['preview'] });
    expect(labelled).toMatchObject([
      {
        number: a.number,
        head: 'feature-a',
        headSha: a.sha,
        base: 'main',
        labels: ['preview'],
        state: 'open',
      },
    ]);
    expect(await host.getPullRequest(repo, a.number)).toMatchObject({ number: a.number, author: owner });

    await host.upsertComment(repo, a.number, 'preview', 'first');
    await host.upsertComment(repo, a.number, 'preview', 'second');
    await host.upsertComment(repo, a.number, 'other', 'unrelated');
    const comments = await gitea.api<{ body: string }[]>(
      'GET',
      `/repos/${owner}/port/issues/${a.number}/comments`,
    );
    expect(comments.map((c) => c.body)).toEqual([
      '<!-- gitfleet:preview -->\nsecond',
      '<!-- gitfleet:other -->\nunrelated',
    ]);

    await host.setCommitStatus(repo, a.sha, {
      state: 'pending',
      context: 'gitfleet/preview',
      description: 'rendering',
    });
    await host.setCommitStatus(repo, a.sha, {
      state: 'success',
      context: 'gitfleet/preview',
      description: '2 apps change',
      targetUrl: 'https://gitfleet.example/preview',
    });
    const combined = await gitea.api<{
      state: string;
      statuses: { context: string; status: string; target_url: string }[];
    }>('GET', `/repos/${owner}/port/commits/${a.sha}/status`);
    expect(combined.state).toBe('success');
    expect(combined.statuses).toMatchObject([
      { context: 'gitfleet/preview', status: 'success', target_url: 'https://gitfleet.example/preview' },
    ]);

    await gitea.api('POST', `/repos/${owner}/port/branches`, {
      new_branch_name: 'promote',
      old_branch_name: 'main',
    });
    await gitea.api('POST', `/repos/${owner}/port/contents/promote.txt`, {
      content: Buffer.from('x').toString('base64'),
      branch: 'promote',
      message: 'promote',
    });
    const created = await host.createPullRequest(repo, {
      title: 'Promote',
      body: 'by gitfleet',
      head: 'promote',
      base: 'main',
      labels: ['preview'],
    });
    expect(created).toMatchObject({ head: 'promote', base: 'main', labels: ['preview'], state: 'open' });
    expect((await host.findPullRequest(repo, 'promote', 'main'))?.number).toBe(created.number);
    expect(await host.findPullRequest(repo, 'promote', 'release')).toBeUndefined();

    const denied = gitHost({ provider: 'gitea', api: gitea.url, token: 'wrong-token-value' });
    const err = await denied
      .setCommitStatus(repo, a.sha, { state: 'success', context: 'x', description: 'y' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GitHostError);
    expect((err as GitHostError).status).toBe(401);
    expect((err as Error).message).toContain(`gitea: POST ${gitea.url}/api/v1/repos/${owner}/port/statuses/`);
    expect((err as Error).message).not.toContain('wrong-token-value');
    expect((err as GitHostError).transient).toBe(false);
  });
});

describe('GitHub (recorded contract)', () => {
  const repo = { owner: 'acme', repo: 'fleet' };
  let host: GitHost;
  beforeAll(() => {
    host = gitHost({ provider: 'github', api: github.url, token: GH_TOKEN });
  });

  it('follows Link pagination, filters by state and label, and sends only Bearer auth', async () => {
    for (let i = 0; i < 130; i++)
      github.addPull('acme', 'fleet', {
        title: `pr ${i}`,
        head: `b${i}`,
        sha: `${i}`.padStart(40, '0'),
        base: 'main',
        labels: i % 10 === 0 ? ['preview'] : [],
      });
    github.addPull('acme', 'fleet', {
      title: 'old',
      head: 'old',
      sha: 'a'.repeat(40),
      base: 'main',
      state: 'closed',
      merged: true,
    });
    const open = await host.listPullRequests(repo);
    expect(open).toHaveLength(130);
    expect(new Set(open.map((p) => p.number)).size).toBe(130);
    expect((await host.listPullRequests(repo, { labels: ['preview'] })).map((p) => p.title)).toEqual(
      Array.from({ length: 13 }, (_, i) => `pr ${i * 10}`),
    );
    expect(await host.listPullRequests(repo, { state: 'merged' })).toMatchObject([
      { title: 'old', state: 'merged' },
    ]);
    const lists = github.requests.filter((r) => r.path === '/repos/acme/fleet/pulls');
    expect(lists.length).toBeGreaterThanOrEqual(2);
    expect(github.requests.every((r) => r.auth === `Bearer ${GH_TOKEN}`)).toBe(true);
  });

  it('upserts the marked comment even when it sits on a later page, and sets statuses', async () => {
    for (let i = 0; i < 105; i++) github.addComment('acme', 'fleet', 1, `chatter ${i}`);
    await host.upsertComment(repo, 1, 'preview', 'v1');
    await host.upsertComment(repo, 1, 'preview', 'v2');
    const mine = github.comments('acme', 'fleet', 1).filter((c) => c.body.includes('gitfleet:preview'));
    expect(mine.map((c) => c.body)).toEqual(['<!-- gitfleet:preview -->\nv2']);
    await host.setCommitStatus(repo, 'c'.repeat(40), {
      state: 'failure',
      context: 'gitfleet/prod',
      description: 'x'.repeat(300),
    });
    expect(github.statuses('acme', 'fleet', 'c'.repeat(40))).toMatchObject([
      { state: 'failure', context: 'gitfleet/prod' },
    ]);
  });

  it('creates a pull request with labels, finds it by head and base, and reports a duplicate clearly', async () => {
    const pr = await host.createPullRequest(repo, {
      title: 'Promote to prod',
      body: 'b',
      head: 'promote/prod',
      base: 'main',
      labels: ['promotion'],
    });
    expect(pr).toMatchObject({ head: 'promote/prod', base: 'main', labels: ['promotion'] });
    expect((await host.findPullRequest(repo, 'promote/prod', 'main'))?.number).toBe(pr.number);
    const dup = await host
      .createPullRequest(repo, { title: 'again', body: '', head: 'promote/prod', base: 'main' })
      .catch((e: unknown) => e);
    expect((dup as GitHostError).status).toBe(422);
    expect((dup as Error).message).toContain('Validation Failed');
  });

  it('refuses a wrong token without printing it, and trusts a private CA only when given', async () => {
    const bad = await gitHost({ provider: 'github', api: github.url, token: 'nope-secret' })
      .listPullRequests(repo)
      .catch((e: unknown) => e);
    expect((bad as GitHostError).status).toBe(401);
    expect((bad as Error).message).toContain('Bad credentials');
    expect((bad as Error).message).not.toContain('nope-secret');

    const pki = createPki(join(dir, 'pki'));
    const tls = { cert: readFileSync(pki.serverCert, 'utf8'), key: readFileSync(pki.serverKey, 'utf8') };
    const secure = await startGithubContract(GH_TOKEN, tls);
    try {
      secure.addPull('acme', 'tls', { title: 't', head: 'h', sha: 'd'.repeat(40), base: 'main' });
      const untrusted = await gitHost({ provider: 'github', api: secure.url, token: GH_TOKEN })
        .listPullRequests({ owner: 'acme', repo: 'tls' })
        .catch((e: unknown) => e);
      expect(untrusted).toBeInstanceOf(GitHostError);
      expect((untrusted as GitHostError).transient).toBe(true);
      const trusted = gitHost({
        provider: 'github',
        api: secure.url,
        token: GH_TOKEN,
        caData: readFileSync(pki.caCert, 'utf8'),
      });
      expect(await trusted.listPullRequests({ owner: 'acme', repo: 'tls' })).toHaveLength(1);
    } finally {
      await secure.close();
    }
  });
});

describe('GitLab (recorded contract)', () => {
  const repo = { owner: 'platform/deploy', repo: 'fleet' };
  let host: GitHost;
  beforeAll(() => {
    gitlab.addProject('platform/deploy/fleet');
    host = gitHost({ provider: 'gitlab', api: gitlab.url, token: GL_TOKEN });
  });

  it('follows X-Next-Page, filters labels on the server, maps states, addresses the project by path or id', async () => {
    for (let i = 0; i < 45; i++)
      gitlab.addMr('platform/deploy/fleet', {
        title: `mr ${i}`,
        source: `s${i}`,
        target: 'main',
        sha: `${i}`.padStart(40, '1'),
        labels: i < 3 ? ['preview', 'x'] : [],
      });
    gitlab.addMr('platform/deploy/fleet', {
      title: 'done',
      source: 'done',
      target: 'main',
      sha: 'b'.repeat(40),
      state: 'merged',
    });
    expect(await host.listPullRequests(repo)).toHaveLength(45);
    expect(await host.listPullRequests(repo, { state: 'all' })).toHaveLength(46);
    expect(await host.listPullRequests(repo, { state: 'merged' })).toMatchObject([
      { title: 'done', state: 'merged', number: 46 },
    ]);
    const labelled = await host.listPullRequests(repo, { labels: ['preview', 'x'] });
    expect(labelled.map((p) => p.head)).toEqual(['s0', 's1', 's2']);
    expect(
      gitlab.requests.some((r) => r.path === '/api/v4/projects/platform%2Fdeploy%2Ffleet/merge_requests'),
    ).toBe(true);
    expect(gitlab.requests.every((r) => r.auth === GL_TOKEN)).toBe(true);
    const byId = gitHost({ provider: 'gitlab', api: `${gitlab.url}/api/v4`, token: GL_TOKEN });
    expect(await byId.getPullRequest({ owner: '', repo: '1' }, 2)).toMatchObject({
      number: 2,
      head: 's1',
      author: 'gitlab-user',
    });
  });

  it('upserts one note per marker across pages, maps statuses, creates and finds merge requests', async () => {
    for (let i = 0; i < 30; i++) gitlab.addNote('platform/deploy/fleet', 1, `note ${i}`);
    await host.upsertComment(repo, 1, 'preview', 'one');
    await host.upsertComment(repo, 1, 'preview', 'two');
    expect(
      gitlab
        .notes('platform/deploy/fleet', 1)
        .filter((n) => n.body.includes('gitfleet:preview'))
        .map((n) => n.body),
    ).toEqual(['<!-- gitfleet:preview -->\ntwo']);
    await host.setCommitStatus(repo, 'f'.repeat(40), {
      state: 'failure',
      context: 'gitfleet/prod',
      description: 'degraded on c1',
    });
    await host.setCommitStatus(repo, 'f'.repeat(40), {
      state: 'success',
      context: 'gitfleet/dev',
      description: 'healthy',
    });
    expect(gitlab.statuses('platform/deploy/fleet', 'f'.repeat(40))).toMatchObject([
      { status: 'failed', name: 'gitfleet/prod' },
      { status: 'success', name: 'gitfleet/dev' },
    ]);
    const mr = await host.createPullRequest(repo, {
      title: 'Promote',
      body: 'b',
      head: 'promote',
      base: 'main',
      labels: ['promotion', 'prod'],
    });
    expect(mr).toMatchObject({ head: 'promote', base: 'main', labels: ['promotion', 'prod'], state: 'open' });
    expect((await host.findPullRequest(repo, 'promote', 'main'))?.number).toBe(mr.number);
    const dup = await host
      .createPullRequest(repo, { title: 'again', body: '', head: 'promote', base: 'main' })
      .catch((e: unknown) => e);
    expect((dup as GitHostError).status).toBe(409);
    expect((dup as Error).message).toContain('Another open merge request already exists');
  });
});

describe('pull request generator through the port', () => {
  it('github and gitlab generators (Argo CD field names) list through the host, token from a Secret, labels applied', async () => {
    await hub.admin.create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'scm', namespace: ns },
      stringData: { gh: GH_TOKEN, gl: GL_TOKEN },
    });
    const ports = fleetPorts({
      mgmt: hub.admin,
      namespace: ns,
      sources: new GitSources({ cacheDir: join(dir, 'cache') }),
      clusters: () => [],
    });
    const gh = await generate(
      {
        pullRequest: {
          github: {
            owner: 'acme',
            repo: 'fleet',
            api: github.url,
            tokenRef: { secretName: 'scm', key: 'gh' },
            labels: ['preview'],
          },
        },
      },
      ports,
      { goTemplate: false },
    );
    expect(gh.map((p) => p.branch)).toEqual(Array.from({ length: 13 }, (_, i) => `b${i * 10}`));
    const gl = await generate(
      {
        pullRequest: {
          gitlab: {
            project: 'platform/deploy/fleet',
            api: gitlab.url,
            tokenRef: { secretName: 'scm', key: 'gl' },
            labels: ['preview'],
            pullRequestState: 'opened',
          },
        },
      },
      ports,
      { goTemplate: false },
    );
    expect(gl.map((p) => [p.number, p.branch, p.target_branch])).toEqual([
      ['1', 's0', 'main'],
      ['2', 's1', 'main'],
      ['3', 's2', 'main'],
    ]);
    const missing = await gitHostFromSpec(
      { provider: 'github', api: github.url, tokenRef: { secretName: 'scm', key: 'nope' } },
      kubeSecrets(hub.admin, ns),
      'pullRequest.github',
    ).catch((e: unknown) => e);
    expect((missing as Error).message).toBe('pullRequest.github.tokenRef: Secret scm has no key "nope"');
  });
});
