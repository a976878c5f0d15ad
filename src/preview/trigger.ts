/**
 * Previews pull requests when their webhooks arrive. The opt-in is per repository: a
 * PullRequestPreview in the hub's namespace names the repository and the Git host (with a token
 * Secret) that comments and statuses go to; a pull request of any other repository is
 * acknowledged and nothing is posted. Work is collapsed per pull request (a push arriving while
 * the previous head is still being previewed replaces whatever was waiting, so only the newest
 * head runs next) and bounded across pull requests, because each preview renders and dry-runs
 * many apps.
 */
import type { Logger } from 'pino';
import { API_VERSION } from '../api/application.js';
import {
  PULL_REQUEST_PREVIEW_KIND,
  type PullRequestPreview,
  type PullRequestPreviewStatus,
} from '../api/preview.js';
import { normalizeRepoUrl } from '../engine/source/url.js';
import type { PullRequestEvent } from '../engine/source/webhook.js';
import { gitHostFromSpec, kubeSecrets } from '../githost/factory.js';
import type { GitHost, HostPullRequest } from '../githost/port.js';
import type { KubeClient } from '../kube/client.js';
import { isNotFound } from '../kube/errors.js';
import { previewChange, type PreviewDeps } from './preview.js';
import { PREVIEW_MARKER, publishPreview } from './pull-request.js';
import type { PreviewReport } from './types.js';

export interface PreviewTriggerOptions {
  /** The management cluster: PullRequestPreviews, their token Secrets, and what previews read. */
  client: KubeClient;
  /** The hub's namespace: the only one whose PullRequestPreviews count. */
  namespace: string;
  /** How previews render and dry-run (the hub's Git mirrors, clusters, render options). */
  preview: Omit<PreviewDeps, 'client' | 'visible' | 'namespace'>;
  log: Logger;
  /** Previews running at once across pull requests; default 1. */
  maxConcurrent?: number;
  /** Tries of one preview before the pull request is told it failed; default 3. */
  attempts?: number;
  /** Wait before the next try, times the tries so far; default 2 s. */
  retryDelayMs?: number;
}

/** What the webhook route answers: the preview is queued, or why nothing will be posted. */
export type TriggerAnswer = { queued: string } | { ignored: string };

interface Job {
  spec: PullRequestPreview;
  ev: PullRequestEvent;
  /** A fork's pull request that is not to be previewed: only the note saying so is posted. */
  refuse: boolean;
}

export class PullRequestPreviewer {
  readonly #o: PreviewTriggerOptions;
  /** Per pull request: whether it runs now, and the newest event waiting behind it. */
  readonly #prs = new Map<string, { running: boolean; next?: Job }>();
  readonly #waiting: (() => void)[] = [];
  #slots: number;
  #pending = 0;
  #idle: (() => void)[] = [];

  readonly #attempts: number;
  readonly #retryDelayMs: number;

  constructor(o: PreviewTriggerOptions) {
    this.#o = o;
    this.#attempts = Math.max(1, o.attempts ?? 3);
    this.#retryDelayMs = o.retryDelayMs ?? 2000;
    this.#slots = o.maxConcurrent ?? 1;
  }

  /**
   * Finds the repository's opt-in and queues a preview of the event's head; answers at once (the
   * preview itself runs in the background, its outcome goes to the pull request and the
   * PullRequestPreview's status).
   */
  async handle(ev: PullRequestEvent): Promise<TriggerAnswer> {
    // A hub installed before the PullRequestPreview CRD existed has no opt-ins: nothing to do.
    const list = await this.#o.client
      .list<PullRequestPreview>(API_VERSION, PULL_REQUEST_PREVIEW_KIND, { namespace: this.#o.namespace })
      .catch((e: unknown) => {
        if (isNotFound(e)) return { items: [] as PullRequestPreview[] };
        throw e;
      });
    const urls = new Set(ev.repoUrls);
    const matching = list.items.filter((p) => {
      try {
        return urls.has(normalizeRepoUrl(p.spec.repoURL));
      } catch {
        return false;
      }
    });
    const where = `${ev.repo.owner}/${ev.repo.repo}#${ev.number}`;
    if (matching.length === 0)
      return { ignored: `${where}: the repository has no PullRequestPreview; nothing is previewed` };
    const active = matching.filter((p) => !p.spec.suspend);
    if (active.length === 0) return { ignored: `${where}: previews of this repository are suspended` };
    const spec = active.find((p) => !p.spec.branches?.length || p.spec.branches.includes(ev.base));
    if (!spec) return { ignored: `${where}: pull requests into ${ev.base} are not previewed` };
    // A fork's content is anyone's: previewed only when the administrator allowed it. Otherwise
    // the pull request is told why and how to allow it (same queue: a later push edits the note).
    const refuse = ev.fromFork && spec.spec.forks !== 'Allow';
    const key = `${spec.metadata.name}#${ev.number}`;
    const slot = this.#prs.get(key) ?? { running: false };
    this.#prs.set(key, slot);
    slot.next = { spec, ev, refuse };
    if (!slot.running) void this.#drain(key);
    if (refuse)
      return {
        ignored: `${where}: pull requests from forks are not previewed (spec.forks of PullRequestPreview ${spec.metadata.name} is not Allow)`,
      };
    return { queued: `${where} at ${ev.headSha.slice(0, 12)} (PullRequestPreview ${spec.metadata.name})` };
  }

  /** Resolves when no preview runs or waits (tests, shutdown). */
  idle(): Promise<void> {
    if (this.#pending === 0 && [...this.#prs.values()].every((s) => !s.running)) return Promise.resolve();
    return new Promise((r) => this.#idle.push(r));
  }

  async #drain(key: string): Promise<void> {
    const slot = this.#prs.get(key);
    if (!slot) return;
    slot.running = true;
    this.#pending++;
    try {
      while (slot.next) {
        await this.#acquire();
        // Taken after the slot is ours: a push during the wait replaced it with a newer head.
        const job = slot.next;
        slot.next = undefined;
        try {
          await this.#run(job);
        } catch (e) {
          this.#o.log.warn({ err: errText(e), pr: key }, 'pull request preview failed');
        } finally {
          this.#release();
        }
      }
    } finally {
      slot.running = false;
      this.#prs.delete(key);
      this.#pending--;
      if (this.#pending === 0) for (const r of this.#idle.splice(0)) r();
    }
  }

  #acquire(): Promise<void> {
    if (this.#slots > 0) {
      this.#slots--;
      return Promise.resolve();
    }
    return new Promise((r) => this.#waiting.push(r));
  }

  #release(): void {
    const next = this.#waiting.shift();
    if (next) next();
    else this.#slots++;
  }

  async #run({ spec, ev, refuse }: Job): Promise<void> {
    const name = spec.metadata.name;
    const where = `PullRequestPreview ${this.#o.namespace}/${name}`;
    const at = (): string => new Date().toISOString();
    let host: GitHost;
    try {
      host = await gitHostFromSpec(
        spec.spec.host,
        kubeSecrets(this.#o.client, this.#o.namespace),
        `${where}.spec.host`,
      );
    } catch (e) {
      // Nothing can be posted without the host: the status says why.
      await this.#status(spec, {
        number: ev.number,
        headSha: ev.headSha,
        state: 'error',
        message: errText(e),
        at: at(),
      });
      throw e;
    }
    if (refuse) {
      const message = forkRefusal(this.#o.namespace, name);
      await host.upsertComment(ev.repo, ev.number, PREVIEW_MARKER, message);
      this.#o.log.info(
        { pr: `${ev.repo.owner}/${ev.repo.repo}#${ev.number}`, head: ev.headSha },
        'pull request from a fork not previewed',
      );
      await this.#status(spec, {
        number: ev.number,
        headSha: ev.headSha,
        state: 'refused',
        message,
        at: at(),
      });
      return;
    }
    const pr: HostPullRequest = {
      number: ev.number,
      title: ev.title ?? '',
      head: ev.head,
      headSha: ev.headSha,
      base: ev.base,
      labels: [],
      state: 'open',
      url: ev.url ?? '',
    };
    let failure: string | undefined;
    const fields = {
      pr: `${ev.repo.owner}/${ev.repo.repo}#${ev.number}`,
      head: ev.headSha,
    };
    // A fork's head is fetched into the mirror; the heads of pull requests the host no longer lists
    // as open (closed, merged) are deleted then. Unknown when the listing fails: only the age and
    // count limits apply.
    const open = ev.fromFork
      ? await host
          .listPullRequests(ev.repo, { state: 'open' })
          .then((l) => [...new Set([ev.number, ...l.map((p) => p.number)])])
          .catch((e: unknown) => {
            this.#o.log.warn({ ...fields, err: errText(e) }, 'open pull requests not listed');
            return undefined;
          })
      : undefined;
    const report = await publishPreview(host, ev.repo, pr, async (): Promise<PreviewReport> => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await this.#preview(spec, ev, open);
        } catch (e) {
          // Nobody retries a preview a webhook started: a failure of the moment (an apiserver or
          // Git server busy, a connection reset) is tried again before the PR is told it failed.
          // Each failure is logged with its reason.
          if (attempt >= this.#attempts) {
            failure = errText(e);
            throw e;
          }
          this.#o.log.warn(
            { ...fields, attempt, err: errText(e) },
            'pull request preview failed; trying again',
          );
          await new Promise((r) => setTimeout(r, this.#retryDelayMs * attempt));
        }
      }
    });
    if (report) this.#o.log.info({ ...fields, summary: report.summary.line }, 'pull request previewed');
    // The reason goes to the log too: the status write below may itself fail.
    else this.#o.log.warn({ ...fields, err: failure ?? 'unknown error' }, 'pull request preview failed');
    await this.#status(spec, {
      number: ev.number,
      headSha: ev.headSha,
      state: report ? (report.blocked ? 'failure' : 'success') : 'error',
      message: report ? report.summary.line : `preview failed: ${failure ?? 'unknown error'}`,
      at: at(),
    });
  }

  /** One preview of the pull request's head against its target branch as the fleet follows it now. */
  #preview(spec: PullRequestPreview, ev: PullRequestEvent, open?: number[]): Promise<PreviewReport> {
    return previewChange(
      { ...this.#o.preview, client: this.#o.client },
      {
        repoURL: spec.spec.repoURL,
        base: ev.base,
        head: ev.headSha,
        // A fork's head is not on any branch of the repository: fetch the host's ref for it.
        ...(ev.fromFork
          ? {
              pullRequest: {
                number: ev.number,
                style: ev.provider === 'gitlab' ? ('merge-requests' as const) : ('pull' as const),
                ...(open ? { open } : {}),
              },
            }
          : {}),
      },
    );
  }

  async #status(
    spec: PullRequestPreview,
    last: NonNullable<PullRequestPreviewStatus['lastPreview']>,
  ): Promise<void> {
    const status: PullRequestPreviewStatus = { ...(spec.status ?? {}), lastPreview: last };
    await this.#o.client
      .replaceStatus(
        {
          apiVersion: API_VERSION,
          kind: PULL_REQUEST_PREVIEW_KIND,
          namespace: this.#o.namespace,
          name: spec.metadata.name,
        },
        status,
      )
      .catch((e: unknown) =>
        this.#o.log.warn(
          { err: errText(e), name: spec.metadata.name },
          'PullRequestPreview status write failed',
        ),
      );
  }
}

/** The note a fork's pull request gets while forks are refused: why, and who can change it how. */
export function forkRefusal(namespace: string, name: string): string {
  return (
    'gitfleet does not preview pull requests from forks of this repository: their content is not ' +
    'trusted. An administrator of the hub can allow it by setting `spec.forks: Allow` on ' +
    `PullRequestPreview ${namespace}/${name}.`
  );
}

function errText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
