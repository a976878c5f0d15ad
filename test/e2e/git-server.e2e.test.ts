import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { testFleet, uniqueName } from '../harness/context.js';
import { git } from '../harness/git.js';

const scratch = mkdtempSync(join(tmpdir(), 'gitfleet-git-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function withCredentials(url: string, user: string, password: string): string {
  const u = new URL(url);
  u.username = user;
  u.password = password;
  return u.toString();
}

async function cloneError(url: string): Promise<string> {
  const dest = join(scratch, uniqueName('clone'));
  return git(['clone', '--quiet', url, dest]).then(
    () => 'cloned',
    (e: unknown) => String((e as { stderr?: string }).stderr ?? e),
  );
}

describe('test Git server', () => {
  it('serves a pushed repository over smart HTTP to the right credentials only', async () => {
    const { git: server } = await testFleet();
    const repo = uniqueName('app');
    await server.createRepo(repo);
    const sha = await server.commit(repo, { 'deploy/cm.yaml': 'kind: ConfigMap\n' }, { message: 'first' });
    const reader = uniqueName('reader');
    server.setUser(reader, 'right-password', 'read');

    const dest = join(scratch, uniqueName('clone'));
    await git(['clone', '--quiet', withCredentials(server.repoUrl(repo), reader, 'right-password'), dest]);
    expect(readFileSync(join(dest, 'deploy/cm.yaml'), 'utf8')).toBe('kind: ConfigMap\n');
    expect((await git(['rev-parse', 'HEAD'], { cwd: dest })).trim()).toBe(sha);

    expect(await cloneError(withCredentials(server.repoUrl(repo), reader, 'wrong-password'))).toMatch(
      /Authentication failed|401/,
    );
    expect(await cloneError(server.repoUrl(repo))).toMatch(
      /could not read Username|Authentication failed|401/,
    );
  });

  it('refuses a user whose access is withdrawn, and pushes by read-only users', async () => {
    const { git: server } = await testFleet();
    const repo = uniqueName('app');
    await server.createRepo(repo);
    await server.commit(repo, { 'a.txt': 'a' });
    const user = uniqueName('dev');
    server.setUser(user, 'pw', 'read');
    const url = withCredentials(server.repoUrl(repo), user, 'pw');
    const dest = join(scratch, uniqueName('clone'));
    await git(['clone', '--quiet', url, dest]);

    await git(['commit', '--quiet', '--allow-empty', '-m', 'x'], { cwd: dest });
    const push = await git(['push', '--quiet', 'origin', 'HEAD:refs/heads/main'], { cwd: dest }).then(
      () => 'pushed',
      (e: unknown) => String((e as { stderr?: string }).stderr),
    );
    expect(push).toMatch(/403/);

    server.setUser(user, 'pw', 'none');
    expect(await cloneError(url)).toMatch(/403/);
  });

  it('creates and deletes branches and tags', async () => {
    const { git: server } = await testFleet();
    const repo = uniqueName('app');
    await server.createRepo(repo);
    const main = await server.commit(repo, { 'v.txt': '1' });
    const feature = await server.commit(repo, { 'v.txt': '2' }, { branch: 'feature' });
    await server.tag(repo, 'v1.0.0', 'main');
    const admin = withCredentials(
      server.repoUrl(repo),
      server.info.admin.username,
      server.info.admin.password,
    );
    const refs = async (): Promise<string> => git(['ls-remote', admin], { cwd: scratch });

    const before = await refs();
    expect(before).toContain(`${main}\trefs/heads/main`);
    expect(before).toContain(`${feature}\trefs/heads/feature`);
    expect(before).toContain(`${main}\trefs/tags/v1.0.0`);

    await server.deleteBranch(repo, 'feature');
    const after = await refs();
    expect(after).not.toContain('refs/heads/feature');
    expect(after).toContain('refs/heads/main');
  });
});
