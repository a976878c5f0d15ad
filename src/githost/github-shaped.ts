/**
 * What Gitea's API copies from GitHub's — pull request filtering, issue comments, commit statuses —
 * written once for both adapters; each passes only where the two differ (page size, paging, the
 * longest status description the host accepts).
 */
import { allPages, hostRequest, markerLine, type HostTransport } from './http.js';
import type { CommitStatus, HostPullRequest, ListPullRequestsOptions } from './port.js';

/** The API's `state` for a requested one (both hosts list merged pull requests as closed). */
export function apiState(state: ListPullRequestsOptions['state'] = 'open'): 'open' | 'closed' | 'all' {
  return state === 'open' ? 'open' : state === 'all' ? 'all' : 'closed';
}

/** Pull requests in the requested state (merged vs closed told apart here) with every label asked. */
export function selectPulls(pulls: HostPullRequest[], opts: ListPullRequestsOptions): HostPullRequest[] {
  const state = opts.state ?? 'open';
  return pulls
    .filter((p) => state === 'all' || p.state === state)
    .filter((p) => (opts.labels ?? []).every((l) => p.labels.includes(l)));
}

/** Edits the comment carrying `marker` on issue `number`, or posts it: one comment per marker. */
export async function upsertMarkedComment(
  t: HostTransport,
  repoPath: string,
  number: number,
  marker: string,
  body: string,
  o: { pageQuery: string; next: Parameters<typeof allPages>[2] },
): Promise<void> {
  const mark = markerLine(marker);
  const comments = await allPages<{ id: number; body?: string | null }>(
    t,
    `${repoPath}/issues/${number}/comments${o.pageQuery}`,
    o.next,
  );
  const mine = comments.find((c) => (c.body ?? '').includes(mark));
  const text = `${mark}\n${body}`;
  if (mine) await hostRequest(t, 'PATCH', `${repoPath}/issues/comments/${mine.id}`, { body: text });
  else await hostRequest(t, 'POST', `${repoPath}/issues/${number}/comments`, { body: text });
}

/** Sets a commit status; the description is cut to what the host accepts. */
export async function postCommitStatus(
  t: HostTransport,
  repoPath: string,
  sha: string,
  s: CommitStatus,
  maxDescription: number,
): Promise<void> {
  await hostRequest(t, 'POST', `${repoPath}/statuses/${encodeURIComponent(sha)}`, {
    state: s.state,
    context: s.context,
    description: s.description.slice(0, maxDescription),
    ...(s.targetUrl ? { target_url: s.targetUrl } : {}),
  });
}
