/**
 * Image update automation: scans ImageRepositories, evaluates ImagePolicies, and lets each
 * ImageUpdateAutomation write the chosen images into Git (a commit on a branch, or a branch and a
 * pull request through the Git host port). One loop per hub (the leader), one pass at a time.
 *
 * It never loops: a write happens only when a file's content would change, so the commit it made
 * (and the webhook or poll that brings it back) finds nothing left to do. Tags live in memory and
 * are scanned again after a restart; status holds what users and the promotion pipeline read.
 */
import { runPeriodically, type PeriodicPass } from '../periodic.js';
import type { Logger } from 'pino';
import { API_VERSION, type Condition } from '../../api/application.js';
import {
  parseInterval,
  type ImageConditionType,
  type ImagePolicy,
  type ImageRepository,
  type ImageUpdateAutomation,
} from '../../api/image.js';
import { GitfleetError } from '../../core/errors.js';
import { matchesSelector } from '../../core/label-selector.js';
import { gitHost } from '../../githost/factory.js';
import type { GitHost, GitHostConfig } from '../../githost/port.js';
import { GitWriter } from '../../gitwrite/writer.js';
import { latestTag, validatePolicy } from '../../imageupdate/policy.js';
import { TagScanner } from '../../imageupdate/scan.js';
import { updateTree, type Change, type ChosenImage } from '../../imageupdate/setters.js';
import type { KubeClient } from '../../kube/client.js';
import type { KubeObject } from '../../kube/types.js';
import { secretCredentials } from '../credentials.js';
import type { Notifier } from '../notify/notifier.js';

export interface ImageControllerOptions {
  client: KubeClient;
  log: Logger;
  namespace?: string;
  /** How often the loop looks at the objects; each object's own interval decides what runs. */
  tickMs?: number;
  notifier?: Notifier;
  writer?: GitWriter;
  scanner?: TagScanner;
  /** Builds a Git host client for pull requests (the provider adapters by default). */
  gitHost?: (cfg: GitHostConfig) => GitHost;
  now?: () => number;
}

const DEFAULT_MESSAGE = 'gitfleet: update images\n\n{{changes}}';
const DEFAULT_SCAN_MS = 5 * 60_000;
const DEFAULT_AUTOMATION_MS = 5 * 60_000;

function ready(
  status: boolean,
  reason: string,
  message: string,
  prev?: Condition<ImageConditionType>[],
): Condition<ImageConditionType>[] {
  const old = prev?.find((c) => c.type === 'Ready');
  const s = status ? 'True' : 'False';
  return [
    {
      type: 'Ready',
      status: s,
      reason,
      message: message.slice(0, 1000),
      lastTransitionTime: old && old.status === s ? old.lastTransitionTime : new Date().toISOString(),
    },
  ];
}

const errText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** The Ready reason of a failed automation run: the cases users fix differently get their own. */
function failureReason(e: unknown): string {
  const code = e instanceof GitfleetError ? e.code : '';
  if (code === 'image.DigestUnavailable') return 'DigestUnavailable';
  if (code === 'gitwrite.BranchProtected') return 'BranchProtected';
  return 'UpdateFailed';
}

/** `{{key}}` replaced by `params[key]`; unknown keys are left as written. */
export function renderMessage(template: string, params: Record<string, string>): string {
  return template.replace(/\{\{\s*(\w+)\s*\}\}/gu, (all, k: string) => params[k] ?? all);
}

export class ImageController {
  readonly #o: ImageControllerOptions;
  readonly #writer: GitWriter;
  readonly #scanner: TagScanner;
  readonly #tags = new Map<string, { tags: string[]; at: number; generation?: number }>();
  readonly #lastRun = new Map<string, number>();
  /** Per ImagePolicy: the digest looked up for a tag after one scan (`Always` asks once per scan). */
  readonly #digests = new Map<string, { tag: string; scanAt: number; digest: string }>();
  readonly #failed = new Map<string, { attempt: string; at: number; backoffMs: number }>();
  #loop: PeriodicPass | undefined;

  constructor(o: ImageControllerOptions) {
    this.#o = o;
    this.#writer = o.writer ?? new GitWriter();
    this.#scanner = o.scanner ?? new TagScanner();
  }

  #now(): number {
    return this.#o.now?.() ?? Date.now();
  }

  start(): void {
    this.#loop = runPeriodically({
      pass: () => this.pass(),
      tickMs: this.#o.tickMs ?? 5000,
      log: this.#o.log,
      failure: 'image automation pass failed',
    });
  }

  async stop(): Promise<void> {
    await this.#loop?.stop();
  }

  async #list<T>(kind: string): Promise<T[]> {
    const l = await this.#o.client.list<T>(
      API_VERSION,
      kind,
      this.#o.namespace ? { namespace: this.#o.namespace } : {},
    );
    return l.items;
  }

  async #status(obj: KubeObject, status: unknown): Promise<void> {
    await this.#o.client
      .replaceStatus(
        {
          apiVersion: obj.apiVersion,
          kind: obj.kind,
          namespace: obj.metadata.namespace ?? '',
          name: obj.metadata.name,
        },
        status,
      )
      .catch((e: unknown) =>
        this.#o.log.warn({ err: errText(e), name: obj.metadata.name, kind: obj.kind }, 'status write failed'),
      );
  }

  /** One pass: scans that are due, every policy, automations that are due or whose policies moved. */
  async pass(): Promise<void> {
    const [repos, policies, automations] = await Promise.all([
      this.#list<ImageRepository>('ImageRepository'),
      this.#list<ImagePolicy>('ImagePolicy'),
      this.#list<ImageUpdateAutomation>('ImageUpdateAutomation'),
    ]);
    for (const r of repos) await this.#scan(r);
    const chosen = new Map<string, ChosenImage>();
    for (const p of policies) {
      const c = await this.#policy(p, repos);
      if (c) chosen.set(`${p.metadata.namespace ?? ''}/${p.metadata.name}`, c);
    }
    for (const a of automations) await this.#automate(a, policies, chosen);
  }

  async #scan(r: ImageRepository): Promise<void> {
    if (r.spec.suspend) return;
    const key = `${r.metadata.namespace ?? ''}/${r.metadata.name}`;
    const prev = this.#tags.get(key);
    const every = parseInterval(r.spec.interval) ?? DEFAULT_SCAN_MS;
    if (prev && prev.generation === r.metadata.generation && this.#now() - prev.at < every) return;
    try {
      const res = await this.#scanner.scan(this.#o.client, r);
      this.#tags.set(key, {
        tags: res.tags,
        at: this.#now(),
        ...(r.metadata.generation !== undefined ? { generation: r.metadata.generation } : {}),
      });
      await this.#status(r, {
        observedGeneration: r.metadata.generation,
        canonicalImageName: res.canonical,
        lastScanResult: {
          tagCount: res.tags.length,
          scanTime: new Date(this.#now()).toISOString(),
          latestTags: [...res.tags].sort().reverse().slice(0, 10),
        },
        conditions: ready(
          true,
          'Succeeded',
          `successful scan: found ${res.tags.length} tags`,
          r.status?.conditions,
        ),
      });
    } catch (e) {
      // Keep the last good tags; retry on the next interval (sooner if the spec changes).
      this.#tags.set(key, {
        tags: prev?.tags ?? [],
        at: this.#now(),
        ...(r.metadata.generation !== undefined ? { generation: r.metadata.generation } : {}),
      });
      await this.#status(r, {
        ...r.status,
        observedGeneration: r.metadata.generation,
        conditions: ready(false, 'ScanFailed', errText(e), r.status?.conditions),
      });
    }
  }

  async #policy(p: ImagePolicy, repos: ImageRepository[]): Promise<ChosenImage | undefined> {
    const ns = p.metadata.namespace ?? '';
    const where = `ImagePolicy ${ns}/${p.metadata.name}`;
    const setFailed = async (reason: string, msg: string): Promise<undefined> => {
      const cond = ready(false, reason, msg, p.status?.conditions);
      if (p.status?.conditions?.[0]?.message !== cond[0]?.message)
        await this.#status(p, { ...p.status, observedGeneration: p.metadata.generation, conditions: cond });
      return undefined;
    };
    try {
      validatePolicy(p.spec, where);
    } catch (e) {
      return setFailed('InvalidPolicy', errText(e));
    }
    const repo = repos.find(
      (r) => r.metadata.namespace === ns && r.metadata.name === p.spec.imageRepositoryRef.name,
    );
    if (!repo)
      return setFailed(
        'DependencyNotReady',
        `${where}: ImageRepository ${ns}/${p.spec.imageRepositoryRef.name} not found`,
      );
    const scanned = this.#tags.get(`${ns}/${repo.metadata.name}`);
    const name = repo.spec.image.trim();
    if (!scanned) {
      // Not scanned by this process yet (just started): the status of the last pass still holds.
      const last = p.status?.latestRef;
      if (!last) return undefined;
      const keep = p.spec.digestReflectionPolicy && p.spec.digestReflectionPolicy !== 'Never';
      return {
        name,
        tag: last.tag,
        digestReflection: p.spec.digestReflectionPolicy ?? 'Never',
        ...(keep && last.digest ? { digest: last.digest } : {}),
      };
    }
    const tag = latestTag(scanned.tags, p.spec);
    if (tag === undefined)
      return setFailed(
        'NoMatchingTag',
        `${where}: no tag of ${repo.spec.image} matches the policy (${scanned.tags.length} tags scanned)`,
      );
    let digest: string | undefined;
    try {
      digest = await this.#digest(p, repo, tag, scanned.at);
    } catch (e) {
      return setFailed('DigestLookupFailed', `${where}: digest of ${name}:${tag}: ${errText(e)}`);
    }
    const latestImage = `${name}:${tag}`;
    if (
      p.status?.latestImage !== latestImage ||
      p.status.latestRef?.digest !== digest ||
      p.status.observedGeneration !== p.metadata.generation ||
      p.status.conditions?.[0]?.status !== 'True'
    )
      await this.#status(p, {
        observedGeneration: p.metadata.generation,
        latestImage,
        latestRef: { name, tag, ...(digest ? { digest } : {}) },
        ...(p.status?.latestImage && p.status.latestImage !== latestImage
          ? { observedPreviousImage: p.status.latestImage }
          : p.status?.observedPreviousImage
            ? { observedPreviousImage: p.status.observedPreviousImage }
            : {}),
        conditions: ready(
          true,
          'Succeeded',
          `latest image tag for ${name} resolved to ${tag}`,
          p.status?.conditions,
        ),
      });
    return {
      name,
      tag,
      digestReflection: p.spec.digestReflectionPolicy ?? 'Never',
      ...(digest ? { digest } : {}),
    };
  }

  /**
   * The manifest digest of the chosen tag when the policy reflects digests (Flux's
   * `digestReflectionPolicy`): `IfNotPresent` keeps the one recorded for the same tag, `Always`
   * asks the registry once after each scan (a tag pushed again moves its digest).
   */
  async #digest(
    p: ImagePolicy,
    repo: ImageRepository,
    tag: string,
    scanAt: number,
  ): Promise<string | undefined> {
    const reflect = p.spec.digestReflectionPolicy ?? 'Never';
    if (reflect === 'Never') return undefined;
    const recorded = p.status?.latestRef?.tag === tag ? p.status.latestRef.digest : undefined;
    if (reflect === 'IfNotPresent' && recorded) return recorded;
    const key = `${p.metadata.namespace ?? ''}/${p.metadata.name}`;
    const cached = this.#digests.get(key);
    if (cached && cached.tag === tag && (reflect === 'IfNotPresent' || cached.scanAt === scanAt))
      return cached.digest;
    const digest = await this.#scanner.digest(this.#o.client, repo, tag);
    this.#digests.set(key, { tag, scanAt, digest });
    return digest;
  }

  async #automate(
    a: ImageUpdateAutomation,
    policies: ImagePolicy[],
    chosen: Map<string, ChosenImage>,
  ): Promise<void> {
    if (a.spec.suspend) return;
    const ns = a.metadata.namespace ?? '';
    const where = `ImageUpdateAutomation ${ns}/${a.metadata.name}`;
    const mine = new Map<string, ChosenImage>();
    for (const p of policies) {
      if (p.metadata.namespace !== ns || !matchesSelector(p.metadata.labels ?? {}, a.spec.policySelector))
        continue;
      const c = chosen.get(`${ns}/${p.metadata.name}`);
      if (c) mine.set(p.metadata.name, c);
    }
    // A digest is part of the choice: the same tag pushed again is a new image to write.
    const observed = Object.fromEntries(
      [...mine].map(([k, v]) => [k, `${v.name}:${v.tag}${v.digest ? `@${v.digest}` : ''}`]).sort(),
    );
    const key = `${ns}/${a.metadata.name}`;
    const every = parseInterval(a.spec.interval) ?? DEFAULT_AUTOMATION_MS;
    const last = this.#lastRun.get(key);
    const moved = JSON.stringify(observed) !== JSON.stringify(a.status?.observedPolicies ?? {});
    const specChanged = a.status?.observedGeneration !== a.metadata.generation;
    if (!moved && !specChanged && last !== undefined && this.#now() - last < every) return;
    if (mine.size === 0) return;
    // After a failure, the same inputs are tried again after a back-off, not on every pass.
    const attempt = JSON.stringify([observed, a.metadata.generation]);
    const failed = this.#failed.get(key);
    if (failed?.attempt === attempt && this.#now() - failed.at < Math.min(every, failed.backoffMs)) return;
    this.#lastRun.set(key, this.#now());
    const g = a.spec.git;
    const checkout = g.checkout?.branch ?? 'main';
    const pushBranch = g.push?.branch ?? checkout;
    try {
      if (g.push?.pullRequest && pushBranch === checkout)
        throw new Error(
          `${where}: spec.git.push.pullRequest needs spec.git.push.branch other than the checkout branch`,
        );
      const creds = g.secretRef ? await secretCredentials(this.#o.client, ns, g.secretRef.name) : undefined;
      let changes: Change[] = [];
      const result = await this.#writer.write({
        repoURL: g.repoURL,
        ...(creds ? { creds } : {}),
        checkoutBranch: checkout,
        pushBranch,
        author: g.commit.author,
        edit: async (dir) => {
          const r = await updateTree(dir, {
            ...(a.spec.update?.path ? { path: a.spec.update.path } : {}),
            ...(a.spec.update?.setters ? { setters: a.spec.update.setters } : {}),
            namespace: ns,
            policies: mine,
          });
          changes = r.changes;
          return r.files;
        },
        message: () =>
          renderMessage(g.commit.messageTemplate ?? DEFAULT_MESSAGE, {
            changes: changes.map((c) => `- ${c.file}:${c.line}: ${c.old} -> ${c.new}`).join('\n'),
            images: [...new Set(changes.map((c) => observed[c.policy] ?? ''))].filter(Boolean).join(', '),
            automation: a.metadata.name,
            namespace: ns,
          }),
      });
      let pullRequest = a.status?.pullRequest;
      if (result.commit && g.push?.pullRequest) {
        const pr = g.push.pullRequest;
        const token = await this.#token(ns, pr.tokenSecretRef.name, where);
        const host = (this.#o.gitHost ?? gitHost)({ provider: pr.provider, api: pr.api, token });
        const repo = { owner: pr.owner, repo: pr.repo };
        const open =
          (await host.findPullRequest(repo, pushBranch, checkout)) ??
          (await host.createPullRequest(repo, {
            title: pr.title ?? `gitfleet: update images (${Object.values(observed).join(', ')})`,
            body: changes
              .map((c) => `- \`${c.file}\` line ${c.line}: \`${c.old}\` → \`${c.new}\``)
              .join('\n'),
            head: pushBranch,
            base: checkout,
            ...(pr.labels ? { labels: pr.labels } : {}),
          }));
        pullRequest = { number: open.number, url: open.url };
      }
      const now = new Date(this.#now()).toISOString();
      await this.#status(a, {
        observedGeneration: a.metadata.generation,
        lastAutomationRunTime: now,
        ...(result.commit
          ? { lastPushCommit: result.commit, lastPushTime: now }
          : a.status?.lastPushCommit
            ? { lastPushCommit: a.status.lastPushCommit, lastPushTime: a.status.lastPushTime }
            : {}),
        ...(pullRequest ? { pullRequest } : {}),
        observedPolicies: observed,
        conditions: ready(
          true,
          result.commit ? 'Pushed' : 'UpToDate',
          result.commit
            ? `pushed ${result.commit.slice(0, 12)} to ${pushBranch} (${changes.length} change(s), ${result.attempts} attempt(s))`
            : 'no updates made',
          a.status?.conditions,
        ),
      });
      if (result.commit) {
        this.#o.log.info(
          { automation: key, commit: result.commit, branch: pushBranch, changes: changes.length },
          'image update pushed',
        );
        this.#o.notifier?.notify({
          trigger: 'ImageUpdated',
          namespace: ns,
          app: a.metadata.name,
          labels: a.metadata.labels ?? {},
          message: `${changes.map((c) => `${c.file}: ${c.old} -> ${c.new}`).join('; ')} on ${pushBranch}`,
          revision: result.commit,
        });
        await this.#o.client.recordEvent(
          a,
          'Normal',
          'ImageUpdated',
          `pushed ${result.commit.slice(0, 12)} to ${pushBranch}`,
        );
      }
      this.#failed.delete(key);
    } catch (e) {
      // Retried after a growing back-off (at most the interval), or at once when the spec or a policy changes.
      const backoffMs = failed?.attempt === attempt ? Math.min(failed.backoffMs * 2, 10 * 60_000) : 10_000;
      this.#failed.set(key, { attempt, at: this.#now(), backoffMs });
      await this.#status(a, {
        ...a.status,
        observedGeneration: a.metadata.generation,
        lastAutomationRunTime: new Date(this.#now()).toISOString(),
        conditions: ready(false, failureReason(e), errText(e), a.status?.conditions),
      });
    }
  }

  async #token(ns: string, name: string, where: string): Promise<string> {
    const s = await this.#o.client.getOrUndefined<KubeObject & { data?: Record<string, string> }>({
      apiVersion: 'v1',
      kind: 'Secret',
      namespace: ns,
      name,
    });
    const t = s?.data?.token;
    if (!t) throw new Error(`${where}: Secret ${ns}/${name} with key token not found`);
    return Buffer.from(t, 'base64').toString('utf8');
  }
}
