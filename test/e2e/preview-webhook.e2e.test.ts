// Pull request previews triggered by the Git host: a real Gitea delivers its signed pull_request
// webhooks to a hub started by the product's own composition root (startHub); the repository
// opted in with a PullRequestPreview gets one comment naming the affected apps and clusters,
// edited in place when the pull request is pushed to, and a gitfleet/preview status per head; a
// repository without one gets nothing; a forged delivery is refused with 401.
import { createHmac } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { API_VERSION } from '../../src/api/application.js';
import { FLEET_NAMESPACE } from '../../src/api/cluster.js';
import type { PullRequestPreview } from '../../src/api/preview.js';
import { installCrds } from '../../src/cli/commands/install.js';
import { registerCluster } from '../../src/controllers/cluster/register.js';
import { startHub, type RunningHub } from '../../src/hub/start.js';
import { KubeClient, loadConnection, type KubeObject } from '../../src/kube/index.js';
import {
  createNamespace,
  testFleet,
  uniqueName,
  type ClusterHandle,
  type TestFleet,
} from '../harness/context.js';
import { git } from '../harness/git.js';
import { startGitea, type Gitea } from '../harness/gitea.js';
import { installExitHooks } from '../harness/process.js';
import { toolPath } from '../harness/tools.js';
import { waitFor } from '../harness/wait.js';

const SECRET = 'pr-webhook-secret';
const dir = mkdtempSync(join(tmpdir(), 'gitfleet-prwh-'));
let fleet: TestFleet;
let hubCluster: ClusterHandle;
let gitea: Gitea;
let hub: RunningHub;
let client: KubeClient;
let owner: string;
let optIn: string;
const clusterNames: string[] = [];
const destNs = uniqueName('prwh');
/** The hub's log lines about pull request webhooks (what it decided for each delivery). */
const hubLog: string[] = [];
/** Waits like waitFor; a timeout also shows what the hub logged about webhooks and previews. */
async function waitExplained<T>(
  what: string,
  fn: () => Promise<T | undefined | false>,
  opts: { timeoutMs: number; intervalMs: number },
): Promise<T> {
  try {
    return await waitFor(what, fn, opts);
  } catch (e) {
    throw new Error(`${e instanceof Error ? e.message : String(e)}\nhub log:\n${hubLog.join('\n')}`);
  }
}
const decisions: { pr?: string; queued?: string; ignored?: string }[] = [];

const cm = (name: string, data: Record<string, string>): string =>
  JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data });

/** Creates a Gitea repository with `files` on main and a webhook to the hub; returns its work tree. */
async function repository(name: string, files: Record<string, string>): Promise<string> {
  await gitea.api('POST', '/user/repos', { name, default_branch: 'main' });
  const work = join(dir, name);
  await git(['init', '-q', '-b', 'main', work]);
  const auth = new URL(`${gitea.url}/${owner}/${name}.git`);
  auth.username = owner;
  auth.password = gitea.admin.password;
  await git(['remote', 'add', 'origin', auth.toString()], { cwd: work });
  await commit(work, 'main', files, null);
  await gitea.api('POST', `/repos/${owner}/${name}/hooks`, {
    type: 'gitea',
    active: true,
    events: ['pull_request', 'pull_request_sync'],
    config: { url: `http://127.0.0.1:${hub.port}/api/webhook`, content_type: 'json', secret: SECRET },
  });
  return work;
}

/** Writes `files` on `branch` (from `from`) and pushes it; returns the commit. */
async function commit(
  work: string,
  branch: string,
  files: Record<string, string>,
  from: string | null = 'main',
): Promise<string> {
  if (from) await git(['checkout', '-q', '-B', branch, `origin/${from}`], { cwd: work });
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(join(work, p, '..'), { recursive: true });
    writeFileSync(join(work, p), text);
  }
  await git(['add', '-A'], { cwd: work });
  await git(['commit', '-q', '-m', `change ${branch}`], { cwd: work });
  await git(['push', '-q', 'origin', `HEAD:refs/heads/${branch}`], { cwd: work });
  await git(['fetch', '-q', 'origin'], { cwd: work });
  return (await git(['rev-parse', 'HEAD'], { cwd: work })).trim();
}

/**
 * Opens a pull request. Gitea takes in a pushed branch in the background, so for a moment after
 * the push it answers 404 for the new head: asked again until it knows it.
 */
const openPull = (path: string, body: Record<string, unknown>): Promise<{ number: number }> =>
  waitFor(
    `pull request ${path}`,
    async () => {
      try {
        return await gitea.api<{ number: number }>('POST', path, body);
      } catch (e) {
        if (e instanceof Error && e.message.includes('HTTP 404')) return undefined;
        throw e;
      }
    },
    { timeoutMs: 60_000, intervalMs: 500 },
  );

const comments = async (repo: string, pr: number): Promise<string[]> =>
  (await gitea.api<{ body: string }[]>('GET', `/repos/${owner}/${repo}/issues/${pr}/comments`)).map(
    (c) => c.body,
  );
const statuses = async (repo: string, sha: string): Promise<{ context: string; status: string }[]> =>
  gitea.api('GET', `/repos/${owner}/${repo}/commits/${sha}/statuses`);

beforeAll(async () => {
  installExitHooks();
  fleet = await testFleet();
  hubCluster = fleet.clusters[0] as ClusterHandle;
  await installCrds(hubCluster.admin);
  await hubCluster.admin.apply(
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: FLEET_NAMESPACE } },
    { fieldManager: 'test' },
  );
  const ns = await createNamespace(hubCluster.admin, 'prwh');
  gitea = await startGitea(join(dir, 'gitea'), join(fleet.info.runDir, 'logs'));
  owner = gitea.admin.username;
  client = new KubeClient(await loadConnection({ file: hubCluster.kubeconfig }));
  // The hub: no controllers needed (the preview reads Applications and dry-runs), its webhook
  // route with a Gitea secret, and a log that tells the test what it decided per delivery.
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.includes('pull request webhook'))
          decisions.push(JSON.parse(line) as (typeof decisions)[number]);
        // Everything the previewer says, to explain a wait that times out.
        if (line.includes('"pr-preview"') || line.includes('webhook') || /"level":[4-6]0/.test(line))
          hubLog.push(line.slice(0, 2000));
      }
      done();
    },
  });
  hub = await startHub({
    client,
    log: pino({ level: 'info' }, sink),
    namespace: ns,
    sources: { cacheDir: join(dir, 'sources'), fetchIntervalMs: 1000 },
    pollIntervalMs: 2000,
    controllers: { applications: false, applicationSets: false, images: false, promotions: false },
    renderOptions: { kustomizeBinary: toolPath('kustomize'), helmBinary: toolPath('helm') },
    membership: { identity: uniqueName('prwh-hub'), group: uniqueName('prwh'), leaseSeconds: 15 },
    server: { port: 0, webhookSecrets: { gitea: SECRET }, ui: false },
  });

  const mark = uniqueName('prwh');
  for (const c of fleet.clusters.slice(0, 2)) {
    // The dry-run needs the destination namespace (nothing is synced here).
    await c.admin.apply(
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: destNs } },
      { fieldManager: 'test' },
    );
    const name = uniqueName('prwhc');
    clusterNames.push(name);
    await registerCluster(hubCluster.admin, {
      name,
      connection: await loadConnection({ file: c.kubeconfig }),
      labels: { prwh: mark },
    });
  }
  const project = uniqueName('prwh-proj');
  await hubCluster.admin.create({
    apiVersion: API_VERSION,
    kind: 'Project',
    metadata: { name: project, namespace: FLEET_NAMESPACE },
    spec: { sourceNamespaces: [ns], sourceRepos: [`${gitea.url}/*`], destinations: [{ namespace: '*' }] },
  } as KubeObject);
  const files = {
    'base/web/cm.yaml': cm('web-config', { color: 'blue' }),
    'base/web/kustomization.yaml': 'resources: [cm.yaml]\n',
    'apps/web/kustomization.yaml': 'resources: [../../base/web]\n',
    'apps/other/cm.yaml': cm('other', { x: '1' }),
  };
  await repository('fleet', files);
  await repository('unlisted', files);
  // web on both clusters and other on the first, from each repository.
  for (const repo of ['fleet', 'unlisted'])
    for (const [app, path, cluster] of [
      ['web-0', 'apps/web', clusterNames[0]],
      ['web-1', 'apps/web', clusterNames[1]],
      ['other', 'apps/other', clusterNames[0]],
    ] as const)
      await hubCluster.admin.create({
        apiVersion: API_VERSION,
        kind: 'Application',
        metadata: { name: `${repo}-${app}`, namespace: ns },
        spec: {
          project,
          source: { repoURL: `${gitea.url}/${owner}/${repo}.git`, targetRevision: 'main', path },
          destination: { name: cluster, namespace: destNs },
        },
      } as KubeObject);
  // Only `fleet` opts in; the token Secret lives beside the PullRequestPreview.
  const tokenSecret = uniqueName('prwh-token');
  await hubCluster.admin.create({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: tokenSecret, namespace: FLEET_NAMESPACE },
    stringData: { token: gitea.admin.token },
  });
  optIn = uniqueName('prwh-fleet');
  await hubCluster.admin.create({
    apiVersion: API_VERSION,
    kind: 'PullRequestPreview',
    metadata: { name: optIn, namespace: FLEET_NAMESPACE },
    spec: {
      repoURL: `${gitea.url}/${owner}/fleet.git`,
      host: { provider: 'gitea', api: gitea.url, tokenRef: { secretName: tokenSecret, key: 'token' } },
    },
  } as KubeObject);
});

afterAll(async () => {
  await hub?.stop();
  client?.close();
  await gitea?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('pull request webhooks trigger fleet impact previews', () => {
  it('comments once on an opted-in pull request, edits the comment on a push, and leaves other repositories alone', async () => {
    // First the repository that did not opt in, so its delivery is decided before the other's.
    const unlisted = join(dir, 'unlisted');
    const quietHead = await commit(unlisted, 'green', {
      'base/web/cm.yaml': cm('web-config', { color: 'green' }),
    });
    const quiet = await openPull(`/repos/${owner}/unlisted/pulls`, {
      head: 'green',
      base: 'main',
      title: 'Green web (unlisted)',
    });
    const work = join(dir, 'fleet');
    const head = await commit(work, 'green', { 'base/web/cm.yaml': cm('web-config', { color: 'green' }) });
    const pr = await openPull(`/repos/${owner}/fleet/pulls`, {
      head: 'green',
      base: 'main',
      title: 'Green web',
    });

    const n = clusterNames.length;
    // The ConfigMap of each web app changes; the other app's inputs did not change.
    const line = `${n} apps on ${n} clusters change; 0 objects created, ${n} changed, 0 deleted`;
    const first = await waitExplained(
      'the preview comment on the opted-in pull request',
      async () => {
        const c = await comments('fleet', pr.number);
        return c.length > 0 && c[0]?.includes(line) ? c : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 500 },
    );
    for (const c of clusterNames) {
      expect(first[0]).toContain(c);
    }
    expect(first[0]).toContain('fleet-web-0');
    expect(first[0]).toContain('fleet-web-1');
    expect(first[0]).not.toContain('fleet-other');
    await waitExplained(
      'gitfleet/preview success on the head',
      async () =>
        (await statuses('fleet', head)).some(
          (s) => s.context === 'gitfleet/preview' && s.status === 'success',
        ),
      { timeoutMs: 120_000, intervalMs: 500 },
    );

    // The unlisted repository's delivery was answered "ignored" (the decision is logged before
    // the answer), so nothing can be posted to it later.
    await waitFor(
      'the hub decided the unlisted pull request',
      () => decisions.some((d) => d.pr === `${owner}/unlisted#${quiet.number}`),
      { timeoutMs: 60_000, intervalMs: 200 },
    );
    const decided = decisions.filter((d) => d.pr === `${owner}/unlisted#${quiet.number}`);
    expect(decided.every((d) => d.ignored?.includes('no PullRequestPreview') && !d.queued)).toBe(true);
    expect(await comments('unlisted', quiet.number)).toEqual([]);
    expect(await statuses('unlisted', quietHead)).toEqual([]);

    // A push to the pull request: Gitea sends `synchronized`; the same comment is edited.
    const again = await commit(
      work,
      'green',
      { 'base/web/cm.yaml': cm('web-config', { color: 'red' }) },
      null,
    );
    await waitExplained(
      'the comment edited for the new head',
      async () => (await comments('fleet', pr.number)).some((c) => c.includes(again.slice(0, 8))),
      { timeoutMs: 120_000, intervalMs: 500 },
    );
    await waitExplained(
      'gitfleet/preview success on the new head',
      async () =>
        (await statuses('fleet', again)).some(
          (s) => s.context === 'gitfleet/preview' && s.status === 'success',
        ),
      { timeoutMs: 120_000, intervalMs: 500 },
    );
    const after = await comments('fleet', pr.number);
    expect(after).toHaveLength(1);
    // The one comment now describes the new head only (nothing is synced: the object is new).
    expect(after[0]).toContain(line);
    expect(after[0]).not.toContain(head.slice(0, 8));
    expect(after[0]).toContain('fleet-web-1');
    const status = await waitExplained(
      'the PullRequestPreview status names the new head',
      async () => {
        const o = await client.get<PullRequestPreview>({
          apiVersion: API_VERSION,
          kind: 'PullRequestPreview',
          namespace: FLEET_NAMESPACE,
          name: optIn,
        });
        return o.status?.lastPreview?.headSha === again ? o.status.lastPreview : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 500 },
    );
    expect(status).toMatchObject({ number: pr.number, state: 'success', message: line });
    // No secret data anywhere the hub wrote.
    expect(JSON.stringify(status) + after[0]).not.toContain(gitea.admin.token);
    // Each wait has its own generous timeout; the whole test may take their sum on a loaded machine.
  }, 600_000);

  it('refuses a pull request from a fork with a note, and previews it once spec.forks is Allow', async () => {
    // A second Gitea user forks the repository and opens a pull request from the fork: its head
    // reaches the target repository only as Gitea's refs/pull/<n>/head.
    const contrib = { username: uniqueName('contrib').slice(0, 30), password: `Pw-${uniqueName('x')}` };
    await gitea.api('POST', '/admin/users', {
      username: contrib.username,
      email: `${contrib.username}@gitfleet.dev`,
      password: contrib.password,
      must_change_password: false,
    });
    await gitea.api('POST', `/repos/${owner}/fleet/forks?sudo=${contrib.username}`, {});
    const work = join(dir, 'fleet');
    const forkUrl = new URL(`${gitea.url}/${contrib.username}/fleet.git`);
    forkUrl.username = contrib.username;
    forkUrl.password = contrib.password;
    await git(['remote', 'add', 'fork', forkUrl.toString()], { cwd: work });
    await git(['fetch', '-q', 'origin'], { cwd: work });
    await git(['checkout', '-q', '-B', 'from-fork', 'origin/main'], { cwd: work });
    const forkCommit = async (color: string): Promise<string> => {
      writeFileSync(join(work, 'base/web/cm.yaml'), cm('web-config', { color }));
      await git(['commit', '-q', '-am', `fork: ${color} web`], { cwd: work });
      await git(['push', '-q', 'fork', 'HEAD:refs/heads/from-fork'], { cwd: work });
      return (await git(['rev-parse', 'HEAD'], { cwd: work })).trim();
    };
    const refusedHead = await forkCommit('yellow');
    const pr = await openPull(`/repos/${owner}/fleet/pulls?sudo=${contrib.username}`, {
      head: `${contrib.username}:from-fork`,
      base: 'main',
      title: 'Yellow web from a fork',
    });
    const ref = {
      apiVersion: API_VERSION,
      kind: 'PullRequestPreview',
      namespace: FLEET_NAMESPACE,
      name: optIn,
    };
    // The refusal is recorded in the status after the note is posted: once it is there, the one
    // job this delivery queued has finished.
    const refused = await waitExplained(
      'the PullRequestPreview status records the refused fork',
      async () => {
        const o = await client.get<PullRequestPreview>(ref);
        const last = o.status?.lastPreview;
        return last?.number === pr.number && last.headSha === refusedHead ? last : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 500 },
    );
    expect(refused.state).toBe('refused');
    expect(refused.message).toContain(
      `spec.forks: Allow\` on PullRequestPreview ${FLEET_NAMESPACE}/${optIn}`,
    );
    const note = await comments('fleet', pr.number);
    expect(note).toHaveLength(1);
    expect(note[0]).toContain('does not preview pull requests from forks');
    expect(note[0]).not.toContain('fleet-web-0');
    expect((await statuses('fleet', refusedHead)).filter((s) => s.context === 'gitfleet/preview')).toEqual(
      [],
    );

    // The administrator allows forks; the next push to the fork is previewed from refs/pull/<n>/head.
    await client.patch(ref, { spec: { forks: 'Allow' } });
    const allowedHead = await forkCommit('purple');
    const n = clusterNames.length;
    const line = `${n} apps on ${n} clusters change; 0 objects created, ${n} changed, 0 deleted`;
    const previewed = await waitExplained(
      'the fork pull request previewed at its new head',
      async () => {
        const c = await comments('fleet', pr.number);
        return c.length === 1 && c[0]?.includes(allowedHead.slice(0, 8)) && c[0].includes(line)
          ? c
          : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 500 },
    );
    expect(previewed[0]).toContain('fleet-web-0');
    expect(previewed[0]).toContain('fleet-web-1');
    expect(previewed[0]).not.toContain('fleet-other');
    expect(previewed[0]).not.toContain('does not preview pull requests from forks');
    await waitExplained(
      'gitfleet/preview success on the fork head',
      async () =>
        (await statuses('fleet', allowedHead)).some(
          (s) => s.context === 'gitfleet/preview' && s.status === 'success',
        ),
      { timeoutMs: 120_000, intervalMs: 500 },
    );
    // The contributor's credentials appear nowhere the hub wrote.
    expect(JSON.stringify(previewed) + JSON.stringify(refused)).not.toContain(contrib.password);
  }, 600_000);

  it('refuses a pull request delivery with a bad signature (401) and acts on nothing', async () => {
    const body = JSON.stringify({ action: 'opened', number: 99 });
    const before = decisions.length;
    const res = await fetch(`http://127.0.0.1:${hub.port}/api/webhook`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        'X-Gitea-Event': 'pull_request',
        'X-Gitea-Signature': createHmac('sha256', 'not-the-secret').update(body).digest('hex'),
      },
      body,
    });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: string }).error).toContain('does not match the payload');
    expect(decisions.length).toBe(before);
  });
});
