import { describe, expect, it } from 'vitest';
import type { PullRequest } from '../types.js';
import { fakePorts, generatorError as rejection } from './fake-ports.js';
import { generate } from './generate.js';
import { branchSlug } from './pull-request.js';

const fast = { goTemplate: false };
const go = { goTemplate: true };

describe('pullRequest generator', () => {
  const sha = '0123456789abcdef0123456789abcdef01234567';
  const prs: PullRequest[] = [
    {
      number: 7,
      branch: 'feature/Add_Login',
      targetBranch: 'main',
      headSha: sha,
      title: 'Login',
      labels: ['preview'],
      author: 'ann',
    },
    { number: 8, branch: 'fix/typo', targetBranch: 'release-1', headSha: 'abc', title: 'Typo', labels: [] },
    {
      number: 9,
      branch: 'feature/b',
      targetBranch: 'main',
      headSha: sha,
      title: 'WIP: b',
      labels: ['preview', 'big'],
    },
  ];
  const gitea = { owner: 'o', repo: 'r', api: 'https://gitea.example' };
  const ports = () => fakePorts({ pullRequests: prs });

  it('reads the label filter from the provider, where Argo CD puts it', async () => {
    const out = await generate(
      { pullRequest: { gitea: { ...gitea, labels: ['preview', 'big'] } } },
      ports(),
      fast,
    );
    expect(out.map((p) => p.number)).toEqual(['9']);
    const both = await generate(
      { pullRequest: { gitea: { ...gitea, labels: ['big'] }, labels: ['preview'] } },
      ports(),
      fast,
    );
    expect(both.map((p) => p.number)).toEqual(['9']);
  });

  it('maps every pull request to Argo CD params', async () => {
    const out = await generate({ pullRequest: { gitea } }, ports(), fast);
    expect(out[0]).toEqual({
      number: '7',
      title: 'Login',
      branch: 'feature/Add_Login',
      branch_slug: 'feature-add-login',
      target_branch: 'main',
      target_branch_slug: 'main',
      head_sha: sha,
      head_short_sha: '01234567',
      head_short_sha_7: '0123456',
      author: 'ann',
    });
    expect(out[1]).toMatchObject({ head_short_sha: 'abc', head_short_sha_7: 'abc', author: '' });
  });

  it('adds labels as a list only for goTemplate', async () => {
    const [first] = await generate({ pullRequest: { gitea } }, ports(), go);
    expect(first?.labels).toEqual(['preview']);
    const [flat] = await generate({ pullRequest: { gitea } }, ports(), fast);
    expect(flat).not.toHaveProperty('labels');
  });

  it('keeps pull requests matching any filter, each filter needing all its expressions', async () => {
    const filters = [
      { branchMatch: '^feature/', targetBranchMatch: '^main$', titleMatch: '^(?!WIP)' },
      { targetBranchMatch: 'release' },
    ];
    const out = await generate({ pullRequest: { gitea, filters } }, ports(), fast);
    expect(out.map((p) => p.number)).toEqual(['7', '8']);
  });

  it('keeps only pull requests carrying every required label', async () => {
    const out = await generate({ pullRequest: { gitea, labels: ['preview', 'big'] } }, ports(), fast);
    expect(out.map((p) => p.number)).toEqual(['9']);
  });

  it('hands the provider spec to the port without values', async () => {
    const p = ports();
    await generate({ pullRequest: { gitea, values: { x: '{{number}}' } } }, p, fast);
    expect(p.calls).toEqual([`pullRequests ${JSON.stringify({ gitea })}`]);
  });

  it('rejects an invalid regular expression and a missing provider', async () => {
    const bad = await rejection(
      generate({ pullRequest: { gitea, filters: [{ branchMatch: '(' }] } }, ports(), fast),
    );
    expect(bad.message).toMatch(/pullRequest\.filters\[0\]\.branchMatch: invalid regular expression/);
    const none = await rejection(generate({ pullRequest: {} }, ports(), fast));
    expect(none.message).toMatch(/exactly one provider/);
  });

  it('slugs branches to at most 50 DNS-safe characters', () => {
    expect(branchSlug('Feature/Ünïcode__Name!')).toBe('feature-unicode-name');
    const long = branchSlug(`feature/${'a'.repeat(41)}-${'b'.repeat(20)}`);
    expect(long).toBe(`feature-${'a'.repeat(41)}`);
    expect(long.length).toBeLessThanOrEqual(50);
  });
});
