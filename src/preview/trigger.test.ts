import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { PullRequestPreview } from '../api/preview.js';
import type { PullRequestEvent } from '../engine/source/webhook.js';
import type { KubeClient } from '../kube/client.js';
import { forkRefusal, PullRequestPreviewer } from './trigger.js';

const opted = (name: string, spec: Partial<PullRequestPreview['spec']> = {}): PullRequestPreview => ({
  apiVersion: 'gitfleet.dev/v1alpha1',
  kind: 'PullRequestPreview',
  metadata: { name, namespace: 'gitfleet-system' },
  spec: {
    repoURL: 'https://git.example.com/team/fleet.git',
    host: { provider: 'gitea', api: 'https://git.example.com', tokenRef: { secretName: 's', key: 'token' } },
    ...spec,
  },
});

const event = (over: Partial<PullRequestEvent> = {}): PullRequestEvent => ({
  provider: 'gitea',
  repoUrls: ['https://git.example.com/team/fleet'],
  repo: { owner: 'team', repo: 'fleet' },
  number: 4,
  action: 'opened',
  base: 'main',
  head: 'change',
  headSha: 'a'.repeat(40),
  fromFork: false,
  ...over,
});

function previewer(items: PullRequestPreview[]): PullRequestPreviewer {
  // Only the opt-in lookup is exercised: every case here is decided before a preview would run.
  const client = { list: async () => ({ items }) } as unknown as KubeClient;
  return new PullRequestPreviewer({
    client,
    namespace: 'gitfleet-system',
    preview: {} as never,
    log: pino({ level: 'silent' }),
  });
}

describe('which pull requests are previewed', () => {
  it('ignores a repository without a PullRequestPreview', async () => {
    expect(await previewer([]).handle(event())).toEqual({
      ignored: 'team/fleet#4: the repository has no PullRequestPreview; nothing is previewed',
    });
    const other = opted('x', { repoURL: 'https://git.example.com/team/other.git' });
    expect(await previewer([other]).handle(event())).toHaveProperty('ignored');
  });

  it('ignores suspended previews, other target branches and forks', async () => {
    expect(await previewer([opted('x', { suspend: true })]).handle(event())).toEqual({
      ignored: 'team/fleet#4: previews of this repository are suspended',
    });
    expect(await previewer([opted('x', { branches: ['release'] })]).handle(event())).toEqual({
      ignored: 'team/fleet#4: pull requests into main are not previewed',
    });
  });

  it('refuses forks unless spec.forks is Allow', async () => {
    const refusing = previewer([opted('x')]);
    expect(await refusing.handle(event({ fromFork: true }))).toEqual({
      ignored:
        'team/fleet#4: pull requests from forks are not previewed (spec.forks of PullRequestPreview x is not Allow)',
    });
    expect(
      await previewer([opted('x', { forks: 'Refuse' })]).handle(event({ fromFork: true })),
    ).toHaveProperty('ignored');
    const allowing = previewer([opted('x', { forks: 'Allow' })]);
    expect(await allowing.handle(event({ fromFork: true }))).toEqual({
      queued: `team/fleet#4 at ${'a'.repeat(12)} (PullRequestPreview x)`,
    });
    // The stub has no Secrets: both background runs fail to reach the host and only log it.
    await Promise.all([refusing.idle(), allowing.idle()]);
  });

  it('tells a refused fork why and how to allow it', () => {
    expect(forkRefusal('gitfleet-system', 'x')).toContain(
      '`spec.forks: Allow` on PullRequestPreview gitfleet-system/x',
    );
  });
});
