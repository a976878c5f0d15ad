import type { CommitStatus, GitHost, GitHostConfig, RepoRef } from '../../../githost/port.js';
import { DEFAULT_TEXT, DeliveryError, type Delivery, type Target } from './types.js';

const FAILURE = new Set([
  'SyncFailed',
  'HealthDegraded',
  'RolloutHalted',
  'AnalysisFailed',
  'RolledBack',
  'PromotionFailed',
  'AgentLost',
]);
const SUCCESS = new Set(['SyncSucceeded', 'Deployed', 'CanaryPromoted', 'PromotionSucceeded']);

/** The commit status state a trigger means. */
export function commitStateOf(trigger: string): CommitStatus['state'] {
  return FAILURE.has(trigger) ? 'failure' : SUCCESS.has(trigger) ? 'success' : 'pending';
}

/** owner/repo of an HTTP(S) or scp-like Git URL; the owner keeps GitLab's nested groups. */
export function repoRefOf(repoURL: string): RepoRef | undefined {
  const path = /^[a-z+]+:\/\//i.test(repoURL)
    ? new URL(repoURL).pathname
    : (/^[^@]+@[^:]+:(.+)$/.exec(repoURL)?.[1] ?? '');
  const parts = path
    .replace(/\.git$/, '')
    .split('/')
    .filter(Boolean);
  if (parts.length < 2) return undefined;
  return { owner: parts.slice(0, -1).join('/'), repo: parts[parts.length - 1] as string };
}

/**
 * A commit status on the revision the event is about, through the Git host port (the adapters
 * live in src/githost). Needs a full commit SHA: events without one are skipped.
 */
export function commitStatusTarget(hostFor: ((cfg: GitHostConfig) => GitHost) | undefined): Target {
  return {
    name: 'commitStatus',
    async send(d: Delivery): Promise<void> {
      const c = d.rule.spec.destination.commitStatus;
      if (!c) return;
      if (!hostFor) throw new DeliveryError('commitStatus: this hub has no Git host adapters', false);
      const repo = repoRefOf(d.params.repoURL);
      if (!repo)
        throw new DeliveryError(`commitStatus: cannot tell owner/repo from ${d.params.repoURL}`, false);
      if (!/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(d.params.fullRevision)) return;
      const host = hostFor({ provider: c.provider, api: c.api, token: await d.secret(c.tokenSecretRef) });
      try {
        await host.setCommitStatus(repo, d.params.fullRevision, {
          state: commitStateOf(d.params.trigger),
          context: d.render(c.context ?? 'gitfleet/{{cluster}}/{{app}}'),
          description: d.render(c.template ?? DEFAULT_TEXT).slice(0, 140),
          ...(d.params.url ? { targetUrl: d.params.url } : {}),
        });
      } catch (e) {
        throw new DeliveryError(
          `commitStatus: ${e instanceof Error ? e.message : String(e)}`,
          (e as { transient?: boolean }).transient === true,
        );
      }
    },
  };
}
