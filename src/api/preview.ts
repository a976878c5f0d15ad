/**
 * PullRequestPreview: the per-repository opt-in for fleet impact previews of pull requests. While
 * one exists (in the hub's namespace, written by whoever administers the hub), a verified
 * `pull_request` / merge-request webhook for its repository makes the hub preview the pull
 * request's head and post the report as one pull request comment (edited on every push) plus a
 * `gitfleet/preview` commit status, through the Git host adapter built from `host`. Without one the
 * webhook is acknowledged and nothing is posted. It lives in the hub's namespace only because the
 * comment shows every Application of the repository, whichever team owns it, to whoever can read
 * the pull request: the decision to publish that belongs to the hub's administrators.
 */
import type { GitHostSpec } from '../githost/factory.js';
import type { KubeObject } from '../kube/types.js';
import type { API_VERSION, Condition } from './application.js';

export const PULL_REQUEST_PREVIEW_KIND = 'PullRequestPreview';

export interface PullRequestPreviewSpec {
  /** The repository as Applications and ApplicationSets name it (matched after normalisation). */
  repoURL: string;
  /**
   * The Git host API the comment and status go to, with a token Secret of this namespace that may
   * comment on pull requests and set commit statuses (write credentials, separate from the read
   * credentials Applications fetch with).
   */
  host: GitHostSpec;
  /** Preview only pull requests into these branches; every branch when empty. */
  branches?: string[];
  /** Stop previewing without deleting the object. */
  suspend?: boolean;
  /**
   * Pull requests whose head lives in a fork: `Refuse` (the default) posts a comment saying they
   * are not previewed and how to allow it; `Allow` previews them like any other (their head is
   * fetched from the host's `refs/pull/<n>/head` and rendered in the same sandbox). A fork's
   * content is written by anyone who can fork the repository, so allowing it is a decision.
   */
  forks?: 'Allow' | 'Refuse';
}

export interface PullRequestPreviewStatus {
  /** The last preview run for any pull request of the repository. */
  lastPreview?: {
    number: number;
    headSha: string;
    /**
     * `success`, `failure` (enforced policy findings), `error` (the preview could not run) or
     * `refused` (a fork's pull request while `spec.forks` is not `Allow`).
     */
    state: 'success' | 'failure' | 'error' | 'refused';
    /** The report's summary line, or why it failed (never credentials). */
    message: string;
    at: string;
  };
  conditions?: Condition<string>[];
}

export interface PullRequestPreview extends KubeObject {
  apiVersion: typeof API_VERSION;
  kind: typeof PULL_REQUEST_PREVIEW_KIND;
  spec: PullRequestPreviewSpec;
  status?: PullRequestPreviewStatus;
}
