/**
 * Posts a preview to its pull request: one comment (upserted under the `preview` marker, so every
 * push edits the same comment) and a commit status `gitfleet/preview` on the head commit —
 * pending while it runs, success when it ran (failure when enforced policies would block the
 * sync, error when the preview itself failed).
 */
import type { GitHost, HostPullRequest, RepoRef } from '../githost/port.js';
import { previewMarkdown } from './format.js';
import type { PreviewReport } from './types.js';

export const PREVIEW_CONTEXT = 'gitfleet/preview';
export const PREVIEW_MARKER = 'preview';

export async function publishPreview(
  host: GitHost,
  repo: RepoRef,
  pr: HostPullRequest,
  run: () => Promise<PreviewReport>,
  targetUrl?: string,
): Promise<PreviewReport | undefined> {
  const url = targetUrl ? { targetUrl } : {};
  await host.setCommitStatus(repo, pr.headSha, {
    state: 'pending',
    context: PREVIEW_CONTEXT,
    description: 'rendering the change on every affected cluster',
    ...url,
  });
  let report: PreviewReport;
  try {
    report = await run();
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    await host.setCommitStatus(repo, pr.headSha, {
      state: 'error',
      context: PREVIEW_CONTEXT,
      description: `preview failed: ${why}`,
      ...url,
    });
    return undefined;
  }
  await host.upsertComment(repo, pr.number, PREVIEW_MARKER, previewMarkdown(report));
  await host.setCommitStatus(repo, pr.headSha, {
    state: report.blocked ? 'failure' : 'success',
    context: PREVIEW_CONTEXT,
    description: report.summary.line,
    ...url,
  });
  return report;
}
