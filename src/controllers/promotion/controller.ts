/**
 * Runs promotion pipelines: reads each stage's field from Git and its apps' state, lets the pure
 * state machine (src/promotion/decide.ts) choose the next step, persists that step in status
 * (guarded by resourceVersion) and only then writes to Git. A write sets the target's field to the
 * revision and nothing else; it is content-idempotent, so a restart between the status write and
 * the push, or a second replica, cannot promote twice: the second attempt finds nothing to change.
 */
import { runPeriodically, type PeriodicPass } from '../periodic.js';
import type { Logger } from 'pino';
import { API_VERSION, type Application } from '../../api/application.js';
import { parseInterval } from '../../api/image.js';
import type { Pipeline, PromotionRecord } from '../../api/promotion.js';
import { matchesSelector } from '../../core/label-selector.js';
import { GitfleetError } from '../../core/errors.js';
import { gitHost } from '../../githost/factory.js';
import type { GitHost, GitHostConfig } from '../../githost/port.js';
import type { GitCredentials } from '../../engine/source/git-exec.js';
import type { AuditSink } from '../../governance/audit/index.js';
import { GitWriter } from '../../gitwrite/writer.js';
import { getYamlField, setYamlField } from '../../gitwrite/yaml-field.js';
import type { KubeClient } from '../../kube/client.js';
import { isConflict } from '../../kube/errors.js';
import type { KubeObject } from '../../kube/types.js';
import { decide, type AnalysisVerdict, type StageObservation } from '../../promotion/decide.js';
import { secretCredentials } from '../credentials.js';
import type { Notifier } from '../notify/notifier.js';
import { renderMessage } from '../image/controller.js';

/** The progressive-delivery helper plugs its analyses in here; without it, a stage naming one waits. */
export interface PromotionAnalysis {
  verdict(pipeline: Pipeline, stage: string, analysis: string, revision: string): Promise<AnalysisVerdict>;
}

export interface PromotionControllerOptions {
  client: KubeClient;
  log: Logger;
  namespace?: string;
  tickMs?: number;
  notifier?: Notifier;
  audit?: AuditSink;
  writer?: GitWriter;
  analysis?: PromotionAnalysis;
  gitHost?: (cfg: GitHostConfig) => GitHost;
  now?: () => number;
}

const DEFAULT_INTERVAL_MS = 30_000;
const DEFAULT_MESSAGE =
  'promote {{revision}} from {{from}} to {{to}}\n\nPipeline {{pipeline}} changed {{file}}.';
const errText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

export class PromotionController {
  readonly #o: PromotionControllerOptions;
  readonly #writer: GitWriter;
  readonly #last = new Map<string, { at: number; inputs: string }>();
  #loop: PeriodicPass | undefined;

  constructor(o: PromotionControllerOptions) {
    this.#o = o;
    this.#writer = o.writer ?? new GitWriter();
  }

  #now(): number {
    return this.#o.now?.() ?? Date.now();
  }

  start(): void {
    this.#loop = runPeriodically({
      pass: () => this.pass(),
      tickMs: this.#o.tickMs ?? 5000,
      log: this.#o.log,
      failure: 'promotion pass failed',
    });
  }

  async stop(): Promise<void> {
    await this.#loop?.stop();
  }

  async pass(): Promise<void> {
    const list = await this.#o.client.list<Pipeline>(
      API_VERSION,
      'Pipeline',
      this.#o.namespace ? { namespace: this.#o.namespace } : {},
    );
    for (const p of list.items) {
      if (p.spec.suspend) continue;
      const key = `${p.metadata.namespace ?? ''}/${p.metadata.name}`;
      // Approvals and spec changes act at once; otherwise every interval.
      const inputs = JSON.stringify([
        p.metadata.generation,
        p.metadata.annotations ?? {},
        p.status?.approvals ?? [],
      ]);
      const last = this.#last.get(key);
      const every = parseInterval(p.spec.interval) ?? DEFAULT_INTERVAL_MS;
      if (last && last.inputs === inputs && this.#now() - last.at < every) continue;
      this.#last.set(key, { at: this.#now(), inputs });
      await this.reconcile(p).catch((e: unknown) =>
        this.#o.log.warn({ pipeline: key, err: errText(e) }, 'pipeline failed'),
      );
    }
  }

  async #apps(p: Pipeline, stage: Pipeline['spec']['stages'][number]): Promise<Application[]> {
    const ns = p.metadata.namespace ?? '';
    const out = new Map<string, Application>();
    for (const name of stage.applications.names ?? []) {
      const a = await this.#o.client.getOrUndefined<Application>({
        apiVersion: API_VERSION,
        kind: 'Application',
        namespace: ns,
        name,
      });
      if (a) out.set(name, a);
      else
        throw new GitfleetError(
          'promotion.AppNotFound',
          `stage ${stage.name}: Application ${ns}/${name} not found`,
        );
    }
    if (stage.applications.selector) {
      const l = await this.#o.client.list<Application>(API_VERSION, 'Application', { namespace: ns });
      for (const a of l.items)
        if (matchesSelector(a.metadata.labels ?? {}, stage.applications.selector))
          out.set(a.metadata.name, a);
    }
    return [...out.values()];
  }

  async #observe(p: Pipeline, creds: GitCredentials | undefined): Promise<StageObservation[]> {
    const stagesApps = await Promise.all(
      p.spec.stages.map((s) => this.#apps(p, s).catch((e: unknown) => e as Error)),
    );
    return this.#writer.inspect(
      { repoURL: p.spec.git.repoURL, ...(creds ? { creds } : {}), branch: p.spec.git.branch ?? 'main' },
      async (_dir, git) => {
        const fieldAt = async (rev: string, file: string, field: string): Promise<string | undefined> => {
          if (!/^[0-9a-f]{7,64}$|^HEAD$/u.test(rev)) return undefined;
          const r = await git(['show', `${rev}:${file}`]);
          return r.exitCode === 0 ? getYamlField(r.stdout, field) : undefined;
        };
        const out: StageObservation[] = [];
        for (const [i, s] of p.spec.stages.entries()) {
          const revision = await fieldAt('HEAD', s.file, s.field);
          const apps = stagesApps[i] ?? [];
          const obs = (verified: boolean, message: string): StageObservation => ({
            revision,
            verified,
            message,
          });
          if (revision === undefined)
            out.push(obs(false, `${s.file}: field ${s.field} not found on the branch`));
          else if (apps instanceof Error) out.push(obs(false, apps.message));
          else if (apps.length === 0) out.push(obs(false, 'no Applications match the stage'));
          else {
            let why = '';
            for (const a of apps) {
              const st = a.status;
              if (st?.sync?.status !== 'Synced')
                why = `${a.metadata.name} is ${st?.sync?.status ?? 'not synced yet'}`;
              else if (st.health?.status !== 'Healthy')
                why = `${a.metadata.name} is ${st.health?.status ?? 'of unknown health'}`;
              else if ((await fieldAt(st.sync.revision ?? '', s.file, s.field)) !== revision)
                why = `${a.metadata.name} does not run ${revision} yet (at ${(st.sync.revision ?? '').slice(0, 12)})`;
              if (why) break;
            }
            out.push(obs(!why, why || `${apps.length} app(s) Synced and Healthy at ${revision}`));
          }
        }
        return out;
      },
    );
  }

  async reconcile(p: Pipeline): Promise<void> {
    const ns = p.metadata.namespace ?? '';
    const where = `Pipeline ${ns}/${p.metadata.name}`;
    const ref = { apiVersion: API_VERSION, kind: 'Pipeline', namespace: ns, name: p.metadata.name };
    const creds = p.spec.git.secretRef
      ? await secretCredentials(this.#o.client, ns, p.spec.git.secretRef.name)
      : undefined;
    const observed = await this.#observe(p, creds);
    const verdicts = new Map<string, AnalysisVerdict>();
    for (const [i, s] of p.spec.stages.entries()) {
      const rev = observed[i]?.revision;
      if (s.analysis && rev !== undefined && this.#o.analysis)
        verdicts.set(
          `${i}/${rev}`,
          await this.#o.analysis.verdict(p, s.name, s.analysis, rev).catch(() => 'Running' as const),
        );
    }
    const d = decide({
      pipeline: p,
      observed,
      now: this.#now(),
      soakMs: (i) => parseInterval(p.spec.stages[i]?.soak) ?? 0,
      analysis: (i, rev) => verdicts.get(`${i}/${rev}`),
    });
    let history = [...(p.status?.history ?? [])];
    const inflight = p.status?.promotion;
    let completed: PromotionRecord | undefined;
    if (
      d.completed &&
      !history.some((h) => h.stage === d.completed?.to && h.revision === d.completed.revision)
    ) {
      // The target holds the revision in flight: a pull request was merged, or a pass (this
      // replica's before a restart, or another's still running) pushed it and has not recorded it.
      const { to, revision } = d.completed;
      const approval = p.status?.approvals?.find((a) => a.stage === to && a.revision === revision);
      completed = {
        stage: to,
        from: d.completed.from,
        revision,
        ...(inflight?.pullRequest ? { pullRequest: inflight.pullRequest } : {}),
        at: new Date(this.#now()).toISOString(),
        by: inflight?.pullRequest ? 'automated (pull request merged)' : (approval?.by ?? 'automated'),
        ...(approval ? { verified: true } : {}),
      };
      history.unshift(completed);
    }
    let approvals = p.status?.approvals;
    const status = (
      promotion: NonNullable<Pipeline['status']>['promotion'],
      message: string,
      ok: boolean,
    ) => ({
      observedGeneration: p.metadata.generation,
      stages: d.stages,
      ...(promotion ? { promotion } : {}),
      history: history.slice(0, 50),
      // The hub API writes approvals into status: every status write carries them on.
      ...(approvals?.length ? { approvals } : {}),
      conditions: [
        {
          type: 'Ready',
          status: ok ? 'True' : 'False',
          reason: promotion?.phase ?? 'UpToDate',
          message: message.slice(0, 1000),
          lastTransitionTime: new Date(this.#now()).toISOString(),
        },
      ],
    });
    // Persist the decision first, guarded: a replica or a restart that read an older status fails here.
    const written = await this.#o.client
      .replaceStatus<Pipeline>(
        ref,
        status(d.promotion, d.promotion?.message ?? 'every stage runs its revision', true),
        {
          ...(p.metadata.resourceVersion ? { resourceVersion: p.metadata.resourceVersion } : {}),
        },
      )
      .catch((e: unknown) => {
        this.#o.log.info(
          { pipeline: `${ns}/${p.metadata.name}`, err: errText(e) },
          'pipeline status changed meanwhile; next pass',
        );
        return undefined;
      });
    // Only the pass whose guarded write landed announces the completed transition.
    if (written && completed) await this.#succeeded(p, completed);
    if (!written || !d.promote || !d.promotion) return;
    const { from, to, revision, by, verified } = d.promote;
    // Later writes are unguarded (the decision is ours now): carry approvals given meanwhile.
    const freshApprovals = async (): Promise<void> => {
      const now = await this.#o.client.getOrUndefined<Pipeline>(ref).catch(() => undefined);
      approvals = now?.status?.approvals ?? approvals;
    };
    const src = p.spec.stages[from];
    const target = p.spec.stages[to];
    if (!src || !target) return;
    const branch = p.spec.git.branch ?? 'main';
    const pr = target.pullRequest ? p.spec.git.pullRequest : undefined;
    try {
      if (target.pullRequest && !pr)
        throw new GitfleetError(
          'promotion.InvalidSpec',
          `${where}: stage ${target.name} asks for a pull request but spec.git.pullRequest is not set`,
        );
      const pushBranch = pr ? `gitfleet/promote/${p.metadata.name}/${target.name}` : branch;
      const result = await this.#writer.write({
        repoURL: p.spec.git.repoURL,
        ...(creds ? { creds } : {}),
        checkoutBranch: branch,
        pushBranch,
        author: p.spec.git.author,
        message: renderMessage(p.spec.git.messageTemplate ?? DEFAULT_MESSAGE, {
          revision,
          from: src.name,
          to: target.name,
          pipeline: p.metadata.name,
          file: target.file,
        }),
        edit: async (dir) => {
          const { writeFile } = await import('node:fs/promises');
          const { readFileWithin, TENANT_FILE_MAX_BYTES } = await import('../../core/read-within.js');
          const { confined } = await import('../../imageupdate/setters.js');
          const abs = confined(dir, target.file, `stage ${target.name} file`);
          const text = await readFileWithin(abs, TENANT_FILE_MAX_BYTES, target.file).catch((e: unknown) => {
            if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
            throw new GitfleetError(
              'promotion.FileNotFound',
              `${where}: stage ${target.name}: file ${target.file} not found on ${branch}`,
            );
          });
          const r = setYamlField(text, target.field, revision, target.file);
          if (!r.changed) return [];
          await writeFile(abs, r.text);
          return [target.file];
        },
      });
      const at = new Date(this.#now()).toISOString();
      if (pr) {
        const token = await this.#token(ns, pr.tokenSecretRef.name, where);
        const host = (this.#o.gitHost ?? gitHost)({ provider: pr.provider, api: pr.api, token });
        const repo = { owner: pr.owner, repo: pr.repo };
        const open =
          (await host.findPullRequest(repo, pushBranch, branch)) ??
          (await host.createPullRequest(repo, {
            title: `Promote ${revision} to ${target.name}`,
            body: `Pipeline ${p.metadata.name}: ${revision} verified in ${src.name}; this sets \`${target.field}\` in \`${target.file}\`.`,
            head: pushBranch,
            base: branch,
            ...(pr.labels ? { labels: pr.labels } : {}),
          }));
        await freshApprovals();
        await this.#o.client.replaceStatus(
          ref,
          status(
            {
              ...d.promotion,
              phase: 'PullRequestOpen',
              message: `pull request #${open.number} open: ${open.url}`,
              pullRequest: { number: open.number, url: open.url },
            },
            `pull request #${open.number} open`,
            true,
          ),
        );
        return;
      }
      const rec: PromotionRecord = {
        stage: target.name,
        from: src.name,
        revision,
        ...(result.commit ? { commit: result.commit } : {}),
        at,
        by,
        ...(verified ? { verified } : {}),
      };
      // Two passes may act on one approval (two replicas, a restart): the Git write lands once,
      // and the pass that finds the promotion already recorded since it read the Pipeline leaves
      // the record, the Event and the notification to the pass that wrote it.
      const recorded = (x: Pipeline | undefined): number =>
        (x?.status?.history ?? []).filter((h) => h.stage === target.name && h.revision === revision).length;
      // The record is written guarded by the resourceVersion read just before, so of two passes
      // (or this one and another's completed-transition path) exactly one write lands.
      history = [rec, ...history];
      for (let attempt = 0; ; attempt++) {
        const latest = await this.#o.client.getOrUndefined<Pipeline>(ref);
        if (!latest || recorded(latest) > recorded(p)) return;
        approvals = latest.status?.approvals ?? approvals;
        const landed = await this.#o.client
          .replaceStatus(ref, status(undefined, `promoted ${revision} to ${target.name}`, true), {
            ...(latest.metadata.resourceVersion ? { resourceVersion: latest.metadata.resourceVersion } : {}),
          })
          .then(
            () => true,
            (e: unknown) => {
              if (attempt >= 4 || !isConflict(e)) throw e;
              return false;
            },
          );
        if (landed) break;
      }
      await this.#succeeded(p, rec);
    } catch (e) {
      // The decision stays Promoting: the next pass tries again (nothing was pushed, see GitWriter).
      await this.#o.client
        .replaceStatus(ref, status({ ...d.promotion, message: errText(e) }, errText(e), false))
        .catch(() => undefined);
      this.#o.notifier?.notify({
        trigger: 'PromotionFailed',
        namespace: ns,
        app: p.metadata.name,
        labels: p.metadata.labels ?? {},
        message: errText(e),
        revision,
      });
    }
  }

  async #succeeded(p: Pipeline, rec: PromotionRecord): Promise<void> {
    const ns = p.metadata.namespace ?? '';
    const message = `promoted ${rec.revision} from ${rec.from} to ${rec.stage}${rec.commit ? ` in ${rec.commit.slice(0, 12)}` : ''}${rec.pullRequest ? ` by pull request #${rec.pullRequest.number}` : ''} (${rec.by})`;
    this.#o.log.info({ pipeline: `${ns}/${p.metadata.name}`, ...rec }, 'promoted');
    this.#o.notifier?.notify({
      trigger: 'PromotionSucceeded',
      namespace: ns,
      app: p.metadata.name,
      labels: p.metadata.labels ?? {},
      message,
      revision: rec.revision,
    });
    await this.#o.client.recordEvent(p, 'Normal', 'Promoted', message);
    if (this.#o.audit)
      await this.#o.audit
        .record({
          operation: 'promotion',
          trigger: rec.by.startsWith('automated') ? 'automated' : rec.verified ? 'user' : 'unverified',
          ...(rec.by.startsWith('automated') ? {} : { user: rec.by }),
          appNamespace: ns,
          app: p.metadata.name,
          project: '',
          cluster: '',
          namespace: rec.stage,
          revision: rec.commit ?? rec.revision,
          repoURL: p.spec.git.repoURL,
          result: 'Succeeded',
          message,
          startedAt: new Date(rec.at),
          durationMs: 0,
          objects: [],
          unchanged: 0,
        })
        .catch((e: unknown) => this.#o.log.warn({ err: errText(e) }, 'audit record of a promotion failed'));
  }

  async #token(ns: string, name: string, where: string): Promise<string> {
    const s = await this.#o.client.getOrUndefined<KubeObject & { data?: Record<string, string> }>({
      apiVersion: 'v1',
      kind: 'Secret',
      namespace: ns,
      name,
    });
    const t = s?.data?.token;
    if (!t)
      throw new GitfleetError(
        'promotion.SecretNotFound',
        `${where}: Secret ${ns}/${name} with key token not found`,
      );
    return Buffer.from(t, 'base64').toString('utf8');
  }
}
