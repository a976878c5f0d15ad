// tidyPullRefs on a real bare repository: refs of pull requests no longer open go, unused ones go
// after the age limit, the least recently used go beyond the count, the one just fetched always
// stays, and nothing outside refs/gitfleet/pull is touched.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { ExecOptions } from './git-exec.js';
import { tidyPullRefs } from './pull-refs.js';

const root = mkdtempSync(join(tmpdir(), 'gitfleet-pullrefs-'));
const env = {
  PATH: process.env.PATH ?? '/usr/bin:/bin',
  HOME: root,
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_AUTHOR_NAME: 't',
  GIT_AUTHOR_EMAIL: 't@t',
  GIT_COMMITTER_NAME: 't',
  GIT_COMMITTER_EMAIL: 't@t',
};
const git = (dir: string, args: string[]): string =>
  execFileSync('git', ['--git-dir', dir, ...args], { encoding: 'utf8', env }).trim();

let dir = '';
let n = 0;
const exec = (): ExecOptions => ({
  gitBinary: 'git',
  home: root,
  timeoutMs: 10_000,
  repoUrl: 'https://git.example/fleet',
});
const refs = (): string[] =>
  git(dir, ['for-each-ref', '--format=%(refname)']).split('\n').filter(Boolean).sort();
const DAY = 24 * 3_600_000;

beforeEach(() => {
  dir = join(root, `m${n++}.git`);
  execFileSync('git', ['init', '--quiet', '--bare', dir], { env });
  const tree = git(dir, ['mktree']);
  const commit = execFileSync('git', ['--git-dir', dir, 'commit-tree', tree, '-m', 'x'], {
    encoding: 'utf8',
    env,
  }).trim();
  git(dir, ['update-ref', 'refs/heads/main', commit]);
  for (const pr of [1, 2, 3, 4]) git(dir, ['update-ref', `refs/gitfleet/pull/${pr}`, commit]);
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('tidyPullRefs', () => {
  it('deletes the refs of pull requests the host no longer lists as open, keeping the one fetched', async () => {
    const gone = await tidyPullRefs(dir, 4, { open: [2], now: 1000 }, exec());
    expect(gone).toEqual([1, 3]);
    expect(refs()).toEqual(['refs/gitfleet/pull/2', 'refs/gitfleet/pull/4', 'refs/heads/main']);
  });

  it('deletes refs unused for longer than the age limit; a ref with no recorded use counts as used now', async () => {
    // First sighting: all four recorded as used at day 0; none is old yet.
    expect(await tidyPullRefs(dir, 1, { now: 0, maxAgeMs: 10 * DAY }, exec())).toEqual([]);
    // Day 8: #2 is fetched again. Day 12: #1 (used at day 0), #3 and #4 are past 10 days; #2 is not.
    await tidyPullRefs(dir, 2, { now: 8 * DAY, maxAgeMs: 10 * DAY }, exec());
    const gone = await tidyPullRefs(dir, 2, { now: 12 * DAY, maxAgeMs: 10 * DAY }, exec());
    expect(gone).toEqual([1, 3, 4]);
    expect(refs()).toEqual(['refs/gitfleet/pull/2', 'refs/heads/main']);
  });

  it('keeps at most maxCount refs, the least recently used going first', async () => {
    await tidyPullRefs(dir, 3, { now: 10, maxCount: 10 }, exec());
    await tidyPullRefs(dir, 1, { now: 20, maxCount: 10 }, exec());
    const gone = await tidyPullRefs(dir, 4, { now: 30, maxCount: 2 }, exec());
    // Used: #2 at 10 (first sighting), #3 at 10, #1 at 20, #4 at 30: #4 and #1 stay.
    expect(gone).toEqual([2, 3]);
    expect(refs()).toEqual(['refs/gitfleet/pull/1', 'refs/gitfleet/pull/4', 'refs/heads/main']);
  });

  it('a damaged use-times file only resets the use times', async () => {
    writeFileSync(join(dir, 'gitfleet-pull-refs.json'), '{not json');
    expect(await tidyPullRefs(dir, 1, { now: 5, maxAgeMs: 1 }, exec())).toEqual([]);
    expect(refs()).toHaveLength(5);
  });
});
