// Image update automation end to end: a real registry (CNCF distribution, TLS + htpasswd) with
// images pushed by crane, the real Git server, and the hub's own wiring (startHub runs the image
// controller while leader). A new tag in range → one commit changing exactly the marked lines; a
// tag out of range → nothing; racing writers → one linear history with every change; a push the
// server refuses → a clear error and nothing pushed; a `:digest` marker → refused by name while the
// policy reflects no digest, then the registry's digest (an image index's for a multi-arch tag).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_VERSION } from '../../src/api/application.js';
import type { ImagePolicy, ImageRepository, ImageUpdateAutomation } from '../../src/api/image.js';
import { GitWriter, PushRefusedError } from '../../src/gitwrite/writer.js';
import type { KubeObject } from '../../src/kube/index.js';
import { git } from '../harness/git.js';
import { startGitea, type Gitea } from '../harness/gitea.js';
import { startRegistry, type Registry } from '../harness/registry.js';
import { startTenant, type Tenant } from '../harness/tenant.js';
import { waitFor } from '../harness/wait.js';
import { imagePusher } from './image-fixture.js';

let t: Tenant;
let reg: Registry;
let pusher: Awaited<ReturnType<typeof imagePusher>>;
let work: string;
/** Started by the branch protection test only. */
let gitea: Gitea | undefined;

const DEPLOY = (img: string): string =>
  [
    'apiVersion: apps/v1',
    'kind: Deployment',
    'metadata: {name: web}',
    'spec:',
    '  template:',
    '    spec:',
    '      containers:',
    '        - name: web',
    `          image: ${img}:1.0.0 # {"$imagepolicy": "NS:web"}`,
    `        - name: sidecar`,
    `          image: ${img}:1.0.0`,
    '',
  ].join('\n');
const VALUES = 'image:\n  repository: web\n  tag: "1.0.0"  # plain Helm values, no marker\nreplicas: 1\n';

async function log(repo: string): Promise<{ sha: string; parents: string[]; subject: string }[]> {
  const dir = mkdtempSync(join(work, 'clone-'));
  try {
    const u = new URL(t.fleet.git.repoUrl(repo));
    u.username = t.fleet.git.info.admin.username;
    u.password = t.fleet.git.info.admin.password;
    await git(['clone', '--quiet', u.toString(), dir]);
    const out = await git(['log', '--format=%H %P%x09%s', 'main'], { cwd: dir });
    return out
      .trim()
      .split('\n')
      .map((l) => {
        const [ids = '', subject = ''] = l.split('\t');
        const [sha = '', ...parents] = ids.split(' ');
        return { sha, parents, subject };
      });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function show(repo: string, rev: string, args: string[] = []): Promise<string> {
  const dir = mkdtempSync(join(work, 'show-'));
  try {
    const u = new URL(t.fleet.git.repoUrl(repo));
    u.username = t.fleet.git.info.admin.username;
    u.password = t.fleet.git.info.admin.password;
    await git(['clone', '--quiet', u.toString(), dir]);
    return await git(['show', ...args, rev], { cwd: dir });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

beforeAll(async () => {
  t = await startTenant('image');
  work = mkdtempSync(join(tmpdir(), 'gitfleet-image-'));
  reg = await startRegistry(t.fleet.info.pki, join(work, 'registry'), join(t.fleet.info.runDir, 'logs'));
  pusher = await imagePusher(reg);
  await t.hub.admin.create({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'registry', namespace: t.ns },
    stringData: { username: reg.username, password: reg.password },
  } as KubeObject);
  await t.hub.admin.create({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'registry-ca', namespace: t.ns },
    stringData: { 'ca.crt': reg.caPem },
  } as KubeObject);
}, 120_000);

afterAll(async () => {
  t?.stop();
  await gitea?.stop();
  pusher?.dispose();
  await reg?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('image update automation', () => {
  it('writes a new tag in range as one commit changing only the marked values; a tag out of range changes nothing', async () => {
    const repo = `image-${Date.now()}`;
    await t.fleet.git.createRepo(repo);
    const image = `${reg.host}/team/web`;
    await t.fleet.git.commit(repo, {
      'deploy/web.yaml': DEPLOY(image).replace('NS', t.ns),
      'deploy/values.yaml': VALUES,
      'README.md': 'untouched\n',
    });
    await pusher.push('team/web', '1.0.0');
    const c = t.hub.admin;
    await c.create<ImageRepository>({
      apiVersion: API_VERSION,
      kind: 'ImageRepository',
      metadata: { name: 'web', namespace: t.ns },
      spec: {
        image,
        interval: '1s',
        secretRef: { name: 'registry' },
        certSecretRef: { name: 'registry-ca' },
      },
    });
    await c.create<ImagePolicy>({
      apiVersion: API_VERSION,
      kind: 'ImagePolicy',
      metadata: { name: 'web', namespace: t.ns },
      spec: { imageRepositoryRef: { name: 'web' }, policy: { semver: { range: '^1.0.0' } } },
    });
    await c.create<ImageUpdateAutomation>({
      apiVersion: API_VERSION,
      kind: 'ImageUpdateAutomation',
      metadata: { name: 'web', namespace: t.ns },
      spec: {
        interval: '1s',
        git: {
          repoURL: t.fleet.git.repoUrl(repo),
          secretRef: { name: t.credentials },
          checkout: { branch: 'main' },
          commit: {
            author: { name: 'gitfleet bot', email: 'bot@gitfleet.dev' },
            messageTemplate: 'chore: images {{images}}\n\n{{changes}}',
          },
        },
        update: {
          path: 'deploy',
          setters: [{ file: 'deploy/values.yaml', field: 'image.tag', policy: 'web' }],
        },
      },
    });
    const get = <T>(kind: string): Promise<T> =>
      c.get<T>({ apiVersion: API_VERSION, kind, namespace: t.ns, name: 'web' });
    // 1.0.0 is what the files hold: the automation runs and pushes nothing.
    await waitFor('automation up to date', async () => {
      const a = await get<ImageUpdateAutomation>('ImageUpdateAutomation');
      return a.status?.conditions?.[0]?.reason === 'UpToDate';
    });
    expect(await log(repo)).toHaveLength(1);

    await pusher.push('team/web', '1.1.0');
    const pushed = await waitFor('commit of 1.1.0', async () => {
      const a = await get<ImageUpdateAutomation>('ImageUpdateAutomation');
      return a.status?.lastPushCommit ? a : undefined;
    });
    const history = await log(repo);
    expect(history).toHaveLength(2);
    expect(history[0]?.sha).toBe(pushed.status?.lastPushCommit);
    expect(history[0]?.subject).toBe(`chore: images ${image}:1.1.0`);
    expect(pushed.status?.observedPolicies).toEqual({ web: `${image}:1.1.0` });
    // Exactly the marked line and the setter's field changed; the unmarked sidecar kept 1.0.0.
    const diff = await show(repo, 'HEAD', ['--format=', '--unified=0']);
    const changed = diff.split('\n').filter((l) => /^[+-](?![+-])/.test(l));
    expect(changed).toEqual([
      '-  tag: "1.0.0"  # plain Helm values, no marker',
      '+  tag: "1.1.0"  # plain Helm values, no marker',
      `-          image: ${image}:1.0.0 # {"$imagepolicy": "${t.ns}:web"}`,
      `+          image: ${image}:1.1.0 # {"$imagepolicy": "${t.ns}:web"}`,
    ]);
    const author = await show(repo, 'HEAD', ['--no-patch', '--format=%an <%ae>']);
    expect(author.trim()).toBe('gitfleet bot <bot@gitfleet.dev>');
    const policy = await get<ImagePolicy>('ImagePolicy');
    expect(policy.status?.latestImage).toBe(`${image}:1.1.0`);

    // Out of range: scanned (3 tags) but nothing chosen differently, nothing committed.
    await pusher.push('team/web', '2.0.0');
    await waitFor('2.0.0 scanned', async () => {
      const r = await get<ImageRepository>('ImageRepository');
      return r.status?.lastScanResult?.tagCount === 3;
    });
    const a0 = await get<ImageUpdateAutomation>('ImageUpdateAutomation');
    await waitFor('another automation run', async () => {
      const a = await get<ImageUpdateAutomation>('ImageUpdateAutomation');
      return a.status?.lastAutomationRunTime !== a0.status?.lastAutomationRunTime;
    });
    expect((await get<ImagePolicy>('ImagePolicy')).status?.latestImage).toBe(`${image}:1.1.0`);
    expect(await log(repo)).toHaveLength(2);
  }, 120_000);

  it('a :digest marker is refused by name while the policy reflects no digest, then receives the registry digest', async () => {
    const repo = `digest-${Date.now()}`;
    await t.fleet.git.createRepo(repo);
    const image = `${reg.host}/team/pinned`;
    const values = [
      'image:',
      `  repository: ${image}`,
      `  digest: "" # {"$imagepolicy": "${t.ns}:pinned:digest"}`,
      '  pullPolicy: IfNotPresent',
      '',
    ].join('\n');
    await t.fleet.git.commit(repo, { 'deploy/values.yaml': values });
    await pusher.push('team/pinned', '3.0.0');
    const c = t.hub.admin;
    await c.create<ImageRepository>({
      apiVersion: API_VERSION,
      kind: 'ImageRepository',
      metadata: { name: 'pinned', namespace: t.ns },
      spec: {
        image,
        interval: '1s',
        secretRef: { name: 'registry' },
        certSecretRef: { name: 'registry-ca' },
      },
    });
    await c.create<ImagePolicy>({
      apiVersion: API_VERSION,
      kind: 'ImagePolicy',
      metadata: { name: 'pinned', namespace: t.ns, labels: { digest: 'yes' } },
      spec: {
        imageRepositoryRef: { name: 'pinned' },
        policy: { semver: { range: '^3.0.0' } },
      },
    });
    await c.create<ImageUpdateAutomation>({
      apiVersion: API_VERSION,
      kind: 'ImageUpdateAutomation',
      metadata: { name: 'pinned', namespace: t.ns },
      spec: {
        interval: '1s',
        policySelector: { matchLabels: { digest: 'yes' } },
        git: {
          repoURL: t.fleet.git.repoUrl(repo),
          secretRef: { name: t.credentials },
          checkout: { branch: 'main' },
          commit: { author: { name: 'gitfleet bot', email: 'bot@gitfleet.dev' } },
        },
        update: { path: 'deploy' },
      },
    });
    const get = <T>(kind: string): Promise<T> =>
      c.get<T>({ apiVersion: API_VERSION, kind, namespace: t.ns, name: 'pinned' });
    // The policy does not reflect digests (Never, the default): the automation says so, naming the
    // file, line, marker and policy, and commits nothing.
    const refused = await waitFor(
      'DigestUnavailable condition',
      async () => {
        const a = await get<ImageUpdateAutomation>('ImageUpdateAutomation');
        const r = a.status?.conditions?.find((x) => x.type === 'Ready');
        return r?.reason === 'DigestUnavailable' ? r : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 500 },
    );
    expect(refused.status).toBe('False');
    expect(refused.message).toContain(`deploy/values.yaml:3: ${t.ns}:pinned:digest`);
    expect(refused.message).toContain(`ImagePolicy ${t.ns}/pinned`);
    expect(refused.message).toContain('digestReflectionPolicy is Never');
    expect(
      (await get<ImageUpdateAutomation>('ImageUpdateAutomation')).status?.lastPushCommit,
    ).toBeUndefined();
    expect(await log(repo)).toHaveLength(1);
    await c.patch(
      { apiVersion: API_VERSION, kind: 'ImagePolicy', namespace: t.ns, name: 'pinned' },
      { spec: { digestReflectionPolicy: 'IfNotPresent' } },
    );
    const pushed = await waitFor(
      'commit of the digest',
      async () => {
        const a = await get<ImageUpdateAutomation>('ImageUpdateAutomation');
        return a.status?.lastPushCommit ? a : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 500 },
    );
    const digest = (await get<ImagePolicy>('ImagePolicy')).status?.latestRef?.digest ?? '';
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(pushed.status?.observedPolicies).toEqual({ pinned: `${image}:3.0.0@${digest}` });
    // Only the marked value changed, to the digest the registry serves for 3.0.0.
    expect(await show(repo, 'HEAD:deploy/values.yaml')).toBe(
      values.replace('digest: ""', `digest: "${digest}"`),
    );
    expect(await log(repo)).toHaveLength(2);

    // A multi-arch tag (an OCI image index of linux/amd64 and linux/arm64): the digest written is
    // the index's, which pins every platform, never one platform's manifest.
    const multi = await pusher.pushIndex('team/pinned', '3.1.0');
    expect(multi.platforms).not.toContain(multi.index);
    await waitFor(
      'commit of the index digest',
      async () => {
        const a = await get<ImageUpdateAutomation>('ImageUpdateAutomation');
        return a.status?.observedPolicies?.pinned === `${image}:3.1.0@${multi.index}` &&
          a.status.lastPushCommit !== pushed.status?.lastPushCommit
          ? a
          : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 500 },
    );
    expect((await get<ImagePolicy>('ImagePolicy')).status?.latestRef).toEqual({
      name: image,
      tag: '3.1.0',
      digest: multi.index,
    });
    expect(await show(repo, 'HEAD:deploy/values.yaml')).toBe(
      values.replace('digest: ""', `digest: "${multi.index}"`),
    );
    expect(await log(repo)).toHaveLength(3);
  }, 180_000);

  it('a push refused by branch protection on real Gitea is named, records nothing, leaves no branch, and goes through once lifted', async () => {
    gitea = await startGitea(join(work, 'gitea'), join(t.fleet.info.runDir, 'logs'));
    const g = gitea;
    const owner = g.admin.username;
    const repo = `guarded-${Date.now()}`;
    const image = `${reg.host}/team/guarded`;
    const file = `image: ${image}:1.0.0 # {"$imagepolicy": "${t.ns}:guarded"}\nreplicas: 1\n`;
    await g.api('POST', '/user/repos', { name: repo, default_branch: 'main', auto_init: true });
    await g.api('POST', `/repos/${owner}/${repo}/contents/deploy/web.yaml`, {
      content: Buffer.from(file).toString('base64'),
      branch: 'main',
      message: 'add web',
    });
    const head = async (): Promise<string> =>
      (await g.api<{ commit: { id: string } }>('GET', `/repos/${owner}/${repo}/branches/main`)).commit.id;
    const branches = async (): Promise<string[]> =>
      (await g.api<{ name: string }[]>('GET', `/repos/${owner}/${repo}/branches`)).map((b) => b.name).sort();
    const before = await head();
    await g.api('POST', `/repos/${owner}/${repo}/branch_protections`, {
      branch_name: 'main',
      enable_push: false,
    });
    await pusher.push('team/guarded', '2.0.0');
    const c = t.hub.admin;
    await c.create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'gitea-writer', namespace: t.ns },
      stringData: { username: owner, password: g.admin.password },
    } as KubeObject);
    await c.create<ImageRepository>({
      apiVersion: API_VERSION,
      kind: 'ImageRepository',
      metadata: { name: 'guarded', namespace: t.ns },
      spec: {
        image,
        interval: '1s',
        secretRef: { name: 'registry' },
        certSecretRef: { name: 'registry-ca' },
      },
    });
    await c.create<ImagePolicy>({
      apiVersion: API_VERSION,
      kind: 'ImagePolicy',
      metadata: { name: 'guarded', namespace: t.ns, labels: { guarded: 'yes' } },
      spec: { imageRepositoryRef: { name: 'guarded' }, policy: { semver: { range: '^2.0.0' } } },
    });
    const repoURL = `${g.url}/${owner}/${repo}.git`;
    await c.create<ImageUpdateAutomation>({
      apiVersion: API_VERSION,
      kind: 'ImageUpdateAutomation',
      metadata: { name: 'guarded', namespace: t.ns },
      spec: {
        interval: '1s',
        policySelector: { matchLabels: { guarded: 'yes' } },
        git: {
          repoURL,
          secretRef: { name: 'gitea-writer' },
          checkout: { branch: 'main' },
          commit: { author: { name: 'gitfleet bot', email: 'bot@gitfleet.dev' } },
        },
        update: { path: 'deploy' },
      },
    });
    const get = (): Promise<ImageUpdateAutomation> =>
      c.get<ImageUpdateAutomation>({
        apiVersion: API_VERSION,
        kind: 'ImageUpdateAutomation',
        namespace: t.ns,
        name: 'guarded',
      });
    const refused = await waitFor(
      'BranchProtected condition',
      async () => {
        const r = (await get()).status?.conditions?.find((x) => x.type === 'Ready');
        return r?.reason === 'BranchProtected' ? r : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 500 },
    );
    expect(refused.status).toBe('False');
    expect(refused.message).toContain(`${repoURL}: branch main is protected`);
    expect(refused.message).toContain('nothing was pushed');
    expect(refused.message).not.toContain(g.admin.password);
    // Nothing recorded as updated, nothing half-done on the host.
    const a = await get();
    expect(a.status?.lastPushCommit).toBeUndefined();
    expect(a.status?.observedPolicies).toBeUndefined();
    expect(await head()).toBe(before);
    expect(await branches()).toEqual(['main']);
    // Protection lifted: a following pass pushes the update.
    await g.api('DELETE', `/repos/${owner}/${repo}/branch_protections/main`);
    const pushed = await waitFor(
      'push after the protection is lifted',
      async () => {
        const x = await get();
        return x.status?.lastPushCommit ? x : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 500 },
    );
    expect(pushed.status?.conditions?.[0]?.reason).toBe('Pushed');
    // Gitea records a push in its database in the background: read its branch until it has it.
    await waitFor(
      'Gitea main at the pushed commit',
      async () => (await head()) === pushed.status?.lastPushCommit,
      {
        timeoutMs: 60_000,
        intervalMs: 500,
      },
    );
    expect(await branches()).toEqual(['main']);
    const content = await g.api<{ content: string }>(
      'GET',
      `/repos/${owner}/${repo}/contents/deploy/web.yaml?ref=${pushed.status?.lastPushCommit ?? 'main'}`,
    );
    expect(Buffer.from(content.content, 'base64').toString('utf8')).toBe(file.replace(':1.0.0', ':2.0.0'));
  }, 300_000);

  it('racing writers end in one linear history holding every change (fresh clone and retry)', async () => {
    const repo = `race-${Date.now()}`;
    await t.fleet.git.createRepo(repo);
    const files = Object.fromEntries(Array.from({ length: 4 }, (_, i) => [`f${i}.yaml`, `v: old\n`]));
    await t.fleet.git.commit(repo, files);
    const writer = new GitWriter({ workDir: work });
    const creds = { username: t.fleet.git.info.admin.username, password: t.fleet.git.info.admin.password };
    const results = await Promise.all(
      Object.keys(files).map((f) =>
        writer.write({
          repoURL: t.fleet.git.repoUrl(repo),
          creds,
          checkoutBranch: 'main',
          author: { name: 'racer', email: 'racer@gitfleet.dev' },
          message: `set ${f}`,
          edit: async (dir) => {
            const { writeFile } = await import('node:fs/promises');
            await writeFile(join(dir, f), `v: new\n`);
            return [f];
          },
        }),
      ),
    );
    expect(results.every((r) => r.commit)).toBe(true);
    const history = await log(repo);
    expect(history).toHaveLength(5);
    expect(history.every((c) => c.parents.length <= 1)).toBe(true);
    expect(
      history
        .slice(0, 4)
        .map((c) => c.subject)
        .sort(),
    ).toEqual(Object.keys(files).map((f) => `set ${f}`));
    for (const f of Object.keys(files)) expect(await show(repo, `HEAD:${f}`)).toBe('v: new\n');
  }, 120_000);

  it('a push the server refuses is a clear error, nothing is pushed, and no secret is in the message', async () => {
    const repo = `refused-${Date.now()}`;
    await t.fleet.git.createRepo(repo);
    await t.fleet.git.commit(repo, { 'a.yaml': 'v: 1\n' });
    const password = `ro-${Math.random().toString(36).slice(2)}-secret`;
    t.fleet.git.setUser('reader', password, 'read');
    const err = await new GitWriter({ workDir: work })
      .write({
        repoURL: t.fleet.git.repoUrl(repo),
        creds: { username: 'reader', password },
        checkoutBranch: 'main',
        author: { name: 'bot', email: 'bot@gitfleet.dev' },
        message: 'should not land',
        edit: async (dir) => {
          const { writeFile } = await import('node:fs/promises');
          await writeFile(join(dir, 'a.yaml'), 'v: 2\n');
          return ['a.yaml'];
        },
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PushRefusedError);
    expect(String((err as Error).message)).toMatch(/refused|nothing was pushed/);
    expect(String((err as Error).message)).toContain('nothing was pushed');
    expect(String((err as Error).message)).not.toContain(password);
    expect(await log(repo)).toHaveLength(1);
  }, 60_000);
});
