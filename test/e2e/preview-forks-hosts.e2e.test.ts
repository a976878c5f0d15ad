// Fork pull requests previewed through GitHub and GitLab: signed webhooks in each host's format
// reach a hub started by startHub; the fork's head exists only as the host's pull request ref
// (`refs/pull/<n>/head`, GitLab `refs/merge-requests/<n>/head`) in the repository on the real Git
// server; the comment and commit status go to the recorded-contract servers of the GitHub and
// GitLab REST APIs (test/harness/githost-contracts). A closed pull request's head then leaves the
// hub's mirror when the next fork head is fetched.
import { createHmac } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_VERSION } from '../../src/api/application.js';
import { FLEET_NAMESPACE } from '../../src/api/cluster.js';
import { startHub, type RunningHub } from '../../src/hub/start.js';
import { KubeClient, loadConnection, type KubeObject } from '../../src/kube/index.js';
import { uniqueName } from '../harness/context.js';
import { git } from '../harness/git.js';
import { startGithubContract, type GithubContract } from '../harness/githost-contracts/github.js';
import { startGitlabContract, type GitlabContract } from '../harness/githost-contracts/gitlab.js';
import { startTenant, type Tenant } from '../harness/tenant.js';
import { toolPath } from '../harness/tools.js';
import { waitFor } from '../harness/wait.js';

const SECRET = 'fork-hosts-webhook-secret';
const GH_TOKEN = 'ghp_fork_contract_token';
const GL_TOKEN = 'glpat-fork-contract-token';
const dir = mkdtempSync(join(tmpdir(), 'gitfleet-prfork-'));
let t: Tenant;
let github: GithubContract;
let gitlab: GitlabContract;
let hub: RunningHub;
let client: KubeClient;
const apps: Record<'github' | 'gitlab', { name: string; repo: string; url: string }> = {} as never;

const cm = (color: string): string =>
  JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'web' }, data: { color } });

/** Commits `color` on top of main and pushes it only as the host's pull request ref `ref`. */
async function forkHead(repo: string, ref: string, color: string): Promise<string> {
  const work = mkdtempSync(join(dir, 'work-'));
  const u = new URL(t.fleet.git.repoUrl(repo));
  u.username = t.fleet.git.info.admin.username;
  u.password = t.fleet.git.info.admin.password;
  await git(['clone', '-q', u.toString(), work]);
  writeFileSync(join(work, 'web', 'cm.yaml'), cm(color));
  await git(['-c', 'user.name=fork', '-c', 'user.email=fork@x', 'commit', '-q', '-am', `fork: ${color}`], {
    cwd: work,
  });
  await git(['push', '-q', 'origin', `HEAD:${ref}`], { cwd: work });
  const sha = (await git(['rev-parse', 'HEAD'], { cwd: work })).trim();
  rmSync(work, { recursive: true, force: true });
  return sha;
}

async function deliver(headers: Record<string, string>, body: unknown): Promise<unknown> {
  const res = await fetch(`http://127.0.0.1:${hub.port ?? 0}/api/webhook`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  const answer = (await res.json()) as unknown;
  if (res.status >= 300) throw new Error(`webhook answered ${res.status}: ${JSON.stringify(answer)}`);
  return answer;
}

function githubPull(number: number, sha: string): Promise<unknown> {
  const { repo, url } = apps.github;
  const body = {
    action: 'opened',
    number,
    pull_request: {
      number,
      title: `fork change ${number}`,
      html_url: `https://github.com/team/${repo}/pull/${number}`,
      head: { ref: 'from-fork', sha, repo: { full_name: `contrib/${repo}` } },
      base: { ref: 'main', repo: { full_name: `team/${repo}` } },
    },
    repository: { name: repo, full_name: `team/${repo}`, owner: { login: 'team' }, clone_url: url },
  };
  const sig = createHmac('sha256', SECRET).update(JSON.stringify(body)).digest('hex');
  return deliver({ 'X-GitHub-Event': 'pull_request', 'X-Hub-Signature-256': `sha256=${sig}` }, body);
}

function gitlabMr(iid: number, sha: string): Promise<unknown> {
  const { repo, url } = apps.gitlab;
  return deliver(
    { 'X-Gitlab-Event': 'Merge Request Hook', 'X-Gitlab-Token': SECRET },
    {
      object_kind: 'merge_request',
      project: { path_with_namespace: `team/${repo}`, git_http_url: url },
      object_attributes: {
        iid,
        action: 'open',
        title: `fork change ${iid}`,
        source_branch: 'from-fork',
        target_branch: 'main',
        source_project_id: 2,
        target_project_id: 1,
        last_commit: { id: sha },
        url: `https://gitlab.example/team/${repo}/-/merge_requests/${iid}`,
      },
    },
  );
}

/** The `refs/gitfleet/pull/*` refs of the hub's mirror that holds pull request `n`'s head. */
async function pullRefsBeside(n: number): Promise<string[]> {
  const mirrors = join(dir, 'sources', 'mirrors');
  for (const m of readdirSync(mirrors)) {
    const refs = (
      await git(['--git-dir', join(mirrors, m), 'for-each-ref', '--format=%(refname)', 'refs/gitfleet/pull/'])
    )
      .split('\n')
      .filter(Boolean)
      .sort();
    if (refs.includes(`refs/gitfleet/pull/${n}`)) return refs;
  }
  return [];
}

beforeAll(async () => {
  t = await startTenant('prfork');
  [github, gitlab] = await Promise.all([startGithubContract(GH_TOKEN), startGitlabContract(GL_TOKEN)]);
  for (const host of ['github', 'gitlab'] as const) {
    const a = await t.createApp(
      { 'web/cm.yaml': cm('blue') },
      { targetRevision: 'main', path: 'web' },
      { syncPolicy: {} },
    );
    apps[host] = { name: a.name, repo: a.repo, url: t.fleet.git.repoUrl(a.repo) };
  }
  gitlab.addProject(`team/${apps.gitlab.repo}`);
  client = new KubeClient(await loadConnection({ file: t.hub.kubeconfig }));
  // Real fleets hold Argo CD-style sets whose repoURL is a template variable (the argo-docs
  // examples in this suite's shared fleet do): a preview must not fail on them.
  await client.create({
    apiVersion: API_VERSION,
    kind: 'ApplicationSet',
    metadata: { name: uniqueName('templated-url'), namespace: t.ns },
    spec: {
      goTemplate: true,
      generators: [{ list: { elements: [] } }],
      template: {
        metadata: { name: '{{ .name }}' },
        spec: { source: { repoURL: '{{ .url }}', path: '.' }, destination: { name: 'in-cluster' } },
      },
    },
  } as KubeObject);
  hub = await startHub({
    client,
    log: pino({ level: 'warn' }),
    namespace: t.ns,
    sources: { cacheDir: join(dir, 'sources'), fetchIntervalMs: 1000 },
    pollIntervalMs: 2000,
    controllers: { applications: false, applicationSets: false, images: false, promotions: false },
    renderOptions: { kustomizeBinary: toolPath('kustomize'), helmBinary: toolPath('helm') },
    membership: { identity: uniqueName('prfork-hub'), group: uniqueName('prfork'), leaseSeconds: 15 },
    server: { port: 0, webhookSecrets: { github: SECRET, gitlab: SECRET }, ui: false },
  });
  for (const [host, api, token] of [
    ['github', github.url, GH_TOKEN],
    ['gitlab', gitlab.url, GL_TOKEN],
  ] as const) {
    const secret = uniqueName(`prfork-${host}`);
    await t.hub.admin.create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: secret, namespace: FLEET_NAMESPACE },
      stringData: { token },
    } as KubeObject);
    await t.hub.admin.create({
      apiVersion: API_VERSION,
      kind: 'PullRequestPreview',
      metadata: { name: uniqueName(`prfork-${host}`), namespace: FLEET_NAMESPACE },
      spec: {
        repoURL: apps[host].url,
        host: { provider: host, api, tokenRef: { secretName: secret, key: 'token' } },
        forks: 'Allow',
      },
    } as KubeObject);
  }
}, 240_000);

afterAll(async () => {
  await hub?.stop();
  client?.close();
  t?.stop();
  await Promise.all([github?.close(), gitlab?.close()]);
  rmSync(dir, { recursive: true, force: true });
});

describe('fork pull requests on GitHub and GitLab', () => {
  it('GitHub: previews a fork head fetched from refs/pull/<n>/head; a closed pull request leaves the mirror', async () => {
    const { repo, name } = apps.github;
    const sha1 = await forkHead(repo, 'refs/pull/1/head', 'green');
    expect(
      github.addPull('team', repo, { title: 'fork 1', head: 'from-fork', sha: sha1, base: 'main' }),
    ).toBe(1);
    expect(await githubPull(1, sha1)).toHaveProperty('queued');
    const comment = await waitFor(
      'the preview comment on pull request 1',
      async () => github.comments('team', repo, 1).find((c) => c.body.includes(sha1.slice(0, 8))),
      { timeoutMs: 120_000, intervalMs: 500 },
    );
    expect(comment.body).toContain(name);
    expect(github.comments('team', repo, 1)).toHaveLength(1);
    await waitFor(
      'gitfleet/preview success on the fork head',
      async () =>
        github
          .statuses('team', repo, sha1)
          .some((s) => s.context === 'gitfleet/preview' && s.state === 'success'),
      { timeoutMs: 120_000, intervalMs: 500 },
    );
    expect(await pullRefsBeside(1)).toEqual(['refs/gitfleet/pull/1']);

    // Pull request 1 is closed; the next fork pull request's fetch removes its head from the mirror.
    const first = github.pulls('team', repo).find((p) => p.number === 1);
    if (first) first.state = 'closed';
    const sha2 = await forkHead(repo, 'refs/pull/2/head', 'purple');
    expect(
      github.addPull('team', repo, { title: 'fork 2', head: 'from-fork-2', sha: sha2, base: 'main' }),
    ).toBe(2);
    expect(await githubPull(2, sha2)).toHaveProperty('queued');
    await waitFor(
      'the preview comment on pull request 2',
      async () => github.comments('team', repo, 2).some((c) => c.body.includes(sha2.slice(0, 8))),
      { timeoutMs: 120_000, intervalMs: 500 },
    );
    expect(await pullRefsBeside(2)).toEqual(['refs/gitfleet/pull/2']);
    // The token went only to the contract server's Authorization header.
    expect(github.requests.every((r) => r.auth === `Bearer ${GH_TOKEN}`)).toBe(true);
  }, 300_000);

  it('GitLab: previews a fork head fetched from refs/merge-requests/<n>/head', async () => {
    const { repo, name } = apps.gitlab;
    const path = `team/${repo}`;
    const sha = await forkHead(repo, 'refs/merge-requests/1/head', 'orange');
    expect(gitlab.addMr(path, { title: 'fork 1', source: 'from-fork', target: 'main', sha })).toBe(1);
    expect(await gitlabMr(1, sha)).toHaveProperty('queued');
    const note = await waitFor(
      'the preview note on merge request 1',
      async () => gitlab.notes(path, 1).find((c) => c.body.includes(sha.slice(0, 8))),
      { timeoutMs: 120_000, intervalMs: 500 },
    );
    expect(note.body).toContain(name);
    await waitFor(
      'gitfleet/preview success on the fork head',
      async () =>
        gitlab.statuses(path, sha).some((s) => s.name === 'gitfleet/preview' && s.status === 'success'),
      { timeoutMs: 120_000, intervalMs: 500 },
    );
    expect(gitlab.notes(path, 1)).toHaveLength(1);
  }, 300_000);
});
