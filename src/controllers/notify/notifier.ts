import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { API_VERSION, destinationClusterName, sourceOf, type Application } from '../../api/application.js';
import { FLEET_NAMESPACE } from '../../api/cluster.js';
import type { NotificationRule, NotificationTrigger, SecretKeyRef } from '../../api/notification.js';
import type { GitHost, GitHostConfig } from '../../githost/port.js';
import type { KubeClient } from '../../kube/client.js';
import type { KubeList, KubeObject } from '../../kube/types.js';
import { matchesSelector } from '../../core/label-selector.js';
import { alertmanagerTarget } from './targets/alertmanager.js';
import { commitStatusTarget } from './targets/commit-status.js';
import { emailTarget } from './targets/email.js';
import { opsgenieTarget } from './targets/opsgenie.js';
import { pagerdutyTarget } from './targets/pagerduty.js';
import { slackTarget } from './targets/slack.js';
import { teamsTarget } from './targets/teams.js';
import { DeliveryError, type Delivery, type Target, type TemplateParams } from './targets/types.js';
import { webhookTarget } from './targets/webhook.js';
import type { RuleCache } from './rule-cache.js';
import { rememberSent, sentBefore, sentKey } from './sent-memory.js';

/** Something that happened to an Application, ApplicationSet or Cluster. Messages carry no Secret data. */
export interface NotificationEvent {
  trigger: NotificationTrigger;
  namespace: string;
  /** The Application (or ApplicationSet, or Cluster) name. */
  app: string;
  labels: Record<string, string>;
  message: string;
  revision: string;
  /** Default: looked up (Application, else ApplicationSet). */
  kind?: 'Application' | 'ApplicationSet' | 'Cluster';
  /** Filled from the object when absent (a Deleted event should carry them: the object is gone). */
  project?: string;
  cluster?: string;
  repoURL?: string;
}

type SecretObject = KubeObject & { data?: Record<string, string> };

/**
 * Delivers notifications for the NotificationRules that see an event (rules of the event's
 * namespace, and the hub namespace's rules, narrowed by triggers, selector and projects), one
 * target per rule. Each delivery is retried with exponential backoff (5 attempts, from 1 s) on
 * transient failures under one delivery ID, and deduplicated: the same rule, object, trigger and
 * revision is sent once per `dedupeMs` (default 10 min). Failures are logged, never thrown.
 * What was sent is also recorded on the rule (sent-memory.ts), so a restarted hub, or another
 * replica, does not send it again within the window.
 */
export class Notifier {
  readonly #client: KubeClient;
  readonly #log: Logger;
  readonly #dedupeMs: number;
  readonly #baseDelayMs: number;
  readonly #uiBaseUrl: string;
  readonly #targets: Target[];
  readonly #sent = new Map<string, { at: number; id: string }>();
  readonly #inflight = new Set<Promise<void>>();
  readonly #ruleCache: RuleCache | undefined;

  constructor(opts: {
    client: KubeClient;
    log: Logger;
    dedupeMs?: number;
    baseDelayMs?: number;
    /** The UI's external address (e.g. https://gitfleet.example.com): templates' `{{url}}`. */
    uiBaseUrl?: string;
    /** Git host adapters for the commitStatus target. */
    gitHost?: (cfg: GitHostConfig) => GitHost;
    /**
     * A watch-fed cache of every namespace's NotificationRules (the hub's informer). Without it,
     * or until it has synced, each event lists the rules it may match.
     */
    rules?: RuleCache;
  }) {
    this.#ruleCache = opts.rules;
    this.#client = opts.client;
    this.#log = opts.log;
    this.#dedupeMs = opts.dedupeMs ?? 600_000;
    this.#baseDelayMs = opts.baseDelayMs ?? 1000;
    this.#uiBaseUrl = (opts.uiBaseUrl ?? '').replace(/\/+$/, '');
    this.#targets = [
      webhookTarget,
      slackTarget,
      teamsTarget,
      emailTarget,
      alertmanagerTarget,
      pagerdutyTarget,
      opsgenieTarget,
      commitStatusTarget(opts.gitHost),
    ];
  }

  /** Matches the event against the rules that see it and starts the deliveries; does not wait for them. */
  notify(ev: NotificationEvent): void {
    const p = this.#dispatch(ev).catch((e: unknown) =>
      this.#log.warn({ err: String(e) }, 'notification dispatch failed'),
    );
    this.#inflight.add(p);
    void p.finally(() => this.#inflight.delete(p));
  }

  /** Resolves when every started delivery has finished (for tests and shutdown). */
  async drain(): Promise<void> {
    while (this.#inflight.size) await Promise.all([...this.#inflight]);
  }

  async #rules(namespace: string): Promise<NotificationRule[]> {
    // Every sync, health change and deletion is an event: reading the rules from the watch spares
    // the apiserver two LISTs per event (a rule is seen within the watch's latency, as in Flux).
    const cached = this.#ruleCache?.rulesFor(namespace);
    if (cached) return cached;
    const list = (ns: string): Promise<NotificationRule[]> =>
      this.#client
        .request<KubeList<NotificationRule>>({
          method: 'GET',
          path: `/apis/${API_VERSION}/namespaces/${ns}/notificationrules`,
        })
        .then((l) => l.items)
        .catch(() => []);
    const own = await list(namespace);
    return namespace === FLEET_NAMESPACE ? own : [...own, ...(await list(FLEET_NAMESPACE))];
  }

  async #dispatch(ev: NotificationEvent): Promise<void> {
    const rules = (await this.#rules(ev.namespace)).filter(
      (r) => r.spec.triggers.includes(ev.trigger) && matchesSelector(ev.labels, r.spec.selector),
    );
    if (!rules.length) return;
    const params = await this.#params(ev);
    const now = Date.now();
    this.#forget(now);
    for (const rule of rules) {
      if (rule.spec.projects?.length && !rule.spec.projects.includes(params.project)) continue;
      const key = `${rule.metadata.uid ?? `${rule.metadata.namespace}/${rule.metadata.name}`}|${params.kind}|${ev.namespace}/${ev.app}|${ev.trigger}|${ev.revision}`;
      if (this.#sent.has(key)) continue;
      const hashed = sentKey(key);
      const before = sentBefore(rule, hashed, now, this.#dedupeMs);
      if (before) {
        this.#sent.set(key, { at: before.atMs, id: before.id });
        continue;
      }
      const id = createHash('sha256').update(`${key}|${now}`).digest('hex').slice(0, 32);
      this.#sent.set(key, { at: now, id });
      if (!(await this.#deliver(rule, params, id, new Date(now).toISOString()))) continue;
      // Only what arrived is recorded: a delivery that failed may be tried again after a restart.
      await rememberSent(this.#client, rule, hashed, id, now, this.#dedupeMs).catch((e: unknown) =>
        this.#log.warn(
          { rule: `${rule.metadata.namespace ?? ''}/${rule.metadata.name}`, err: String(e) },
          'could not record a sent notification on its rule; a restart may send it again',
        ),
      );
    }
  }

  #forget(now: number): void {
    for (const [k, v] of this.#sent) if (now - v.at >= this.#dedupeMs) this.#sent.delete(k);
  }

  /** The template values: the event's, completed from the object it names. */
  async #params(ev: NotificationEvent): Promise<TemplateParams> {
    let kind = ev.kind;
    let project = ev.project;
    let cluster = ev.cluster;
    let repoURL = ev.repoURL;
    if (kind !== 'Cluster' && (project === undefined || cluster === undefined || repoURL === undefined)) {
      const get = <T>(k: string): Promise<T | undefined> =>
        this.#client
          .getOrUndefined<T>({ apiVersion: API_VERSION, kind: k, namespace: ev.namespace, name: ev.app })
          .catch(() => undefined);
      const app = kind === 'ApplicationSet' ? undefined : await get<Application>('Application');
      if (app) {
        kind = 'Application';
        project ??= app.spec.project ?? 'default';
        cluster ??= destinationClusterName(app.spec.destination);
        repoURL ??= sourceOf(app.spec).repoURL;
      } else {
        const set = await get<KubeObject & { spec?: { template?: { spec?: Partial<Application['spec']> } } }>(
          'ApplicationSet',
        );
        if (set) {
          kind = 'ApplicationSet';
          project ??= set.spec?.template?.spec?.project ?? '';
        }
      }
    }
    kind ??= 'Application';
    const page =
      kind === 'Cluster'
        ? `/clusters/${encodeURIComponent(ev.app)}`
        : `/${kind === 'ApplicationSet' ? 'rollouts' : 'apps'}/${encodeURIComponent(ev.namespace)}/${encodeURIComponent(ev.app)}`;
    return {
      trigger: ev.trigger,
      kind,
      namespace: ev.namespace,
      app: ev.app,
      project: project ?? '',
      cluster: cluster ?? (kind === 'Cluster' ? ev.app : ''),
      revision: ev.revision.slice(0, 12),
      fullRevision: ev.revision,
      repoURL: stripCredentials(repoURL ?? ''),
      message: ev.message,
      url: this.#uiBaseUrl ? `${this.#uiBaseUrl}${page}` : '',
    };
  }

  /** Sends one delivery with retries; whether it arrived. */
  async #deliver(rule: NotificationRule, params: TemplateParams, id: string, at: string): Promise<boolean> {
    const ns = rule.metadata.namespace ?? '';
    const where = `NotificationRule ${ns}/${rule.metadata.name}`;
    const target = this.#targets.find((t) => rule.spec.destination[t.name] !== undefined);
    if (!target) {
      this.#log.warn({ rule: where }, 'notification rule has no known destination');
      return false;
    }
    // The template engine is loaded at the first delivery: most hubs send none for long stretches,
    // and many never.
    const { renderTemplate } = await import('../../fleet/template/render.js');
    const d: Delivery = {
      rule,
      params,
      id,
      at,
      secret: (ref) => this.#secret(where, ns, ref),
      render: (template) => {
        try {
          return renderTemplate(template, params, { goTemplate: false });
        } catch (e) {
          throw new DeliveryError(`${where}: template: ${e instanceof Error ? e.message : String(e)}`, false);
        }
      },
    };
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        await target.send(d);
        return true;
      } catch (e) {
        const err = e instanceof DeliveryError ? e : new DeliveryError(String(e), true);
        if (!err.transient) {
          this.#log.warn({ rule: where, target: target.name, err: err.message }, 'notification refused');
          return false;
        }
        if (attempt === 4) {
          this.#log.warn(
            { rule: where, target: target.name, err: err.message },
            'notification undeliverable after 5 attempts',
          );
          return false;
        }
      }
      await new Promise((r) => setTimeout(r, this.#baseDelayMs * 2 ** attempt));
    }
    return false;
  }

  async #secret(where: string, namespace: string, ref: SecretKeyRef): Promise<string> {
    const s = await this.#client
      .getOrUndefined<SecretObject>({ apiVersion: 'v1', kind: 'Secret', namespace, name: ref.name })
      .catch((e: unknown) => {
        throw new DeliveryError(`${where}: reading Secret ${namespace}/${ref.name}: ${String(e)}`, true);
      });
    const raw = s?.data?.[ref.key];
    if (!raw)
      throw new DeliveryError(`${where}: Secret ${namespace}/${ref.name} has no key ${ref.key}`, false);
    return Buffer.from(raw, 'base64').toString('utf8').trim();
  }
}

/** A repository URL fit for a message: no userinfo, no query. */
function stripCredentials(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    u.search = '';
    return u.toString();
  } catch {
    return url.replace(/^([a-z+]+:\/\/)[^@/]*@/i, '$1');
  }
}
