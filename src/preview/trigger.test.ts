import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { PullRequestPreview } from '../api/preview.js';
import type { PullRequestEvent } from '../engine/source/webhook.js';
import type { KubeClient } from '../kube/client.js';
import { PullRequestPreviewer } from './trigger.js';

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
    expect(await previewer([opted('x')]).handle(event({ fromFork: true }))).toEqual({
      ignored: 'team/fleet#4: pull requests from forks are not previewed',
    });
  });
});
