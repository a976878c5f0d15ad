import type { Logger } from 'pino';
import { API_VERSION } from '../../api/application.js';
import type { NotificationRule, NotificationTrigger } from '../../api/notification.js';
import { renderTemplate } from '../../fleet/index.js';
import type { KubeClient } from '../../kube/client.js';
import type { KubeList, KubeObject } from '../../kube/types.js';
import { matchesSelector } from '../../core/label-selector.js';

/** Something that happened to an Application or ApplicationSet. Messages carry no Secret data. */
export interface NotificationEvent {
  trigger: NotificationTrigger;
  namespace: string;
  /** The Application (or ApplicationSet) name. */
  app: string;
  labels: Record<string, string>;
  message: string;
  revision: string;
}

const DEFAULT_TEMPLATE = '[gitfleet] {{trigger}}: {{namespace}}/{{app}} at {{revision}}: {{message}}';

/**
 * Delivers notifications for the NotificationRules that match an event: each delivery is retried
 * with exponential backoff (5 attempts, from 1 s) and deduplicated — the same rule, app, trigger
 * and revision is sent once per `dedupeMs` (default 10 min). Failures are logged, never thrown.
 */
export class Notifier {
  readonly #client: KubeClient;
  readonly #log: Logger;
  readonly #dedupeMs: number;
  readonly #baseDelayMs: number;
  readonly #sent = new Map<string, number>();
  readonly #inflight = new Set<Promise<void>>();

  constructor(opts: { client: KubeClient; log: Logger; dedupeMs?: number; baseDelayMs?: number }) {
    this.#client = opts.client;
    this.#log = opts.log;
    this.#dedupeMs = opts.dedupeMs ?? 600_000;
    this.#baseDelayMs = opts.baseDelayMs ?? 1000;
  }

  /** Matches the event against its namespace's rules and starts the deliveries; does not wait for them. */
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

  async #dispatch(ev: NotificationEvent): Promise<void> {
    const rules = await this.#client
      .request<KubeList<NotificationRule>>({
        method: 'GET',
        path: `/apis/${API_VERSION}/namespaces/${ev.namespace}/notificationrules`,
      })
      .catch(() => ({ items: [] as NotificationRule[] }));
    const now = Date.now();
    for (const rule of rules.items) {
      if (!rule.spec.triggers.includes(ev.trigger)) continue;
      if (!matchesSelector(ev.labels, rule.spec.selector)) continue;
      const key = `${rule.metadata.uid ?? rule.metadata.name}|${ev.namespace}/${ev.app}|${ev.trigger}|${ev.revision}`;
      const last = this.#sent.get(key);
      if (last !== undefined && now - last < this.#dedupeMs) continue;
      this.#sent.set(key, now);
      await this.#deliver(rule, ev);
    }
  }

  async #deliver(rule: NotificationRule, ev: NotificationEvent): Promise<void> {
    const params = {
      trigger: ev.trigger,
      namespace: ev.namespace,
      app: ev.app,
      message: ev.message,
      revision: ev.revision.slice(0, 12),
    };
    const d = rule.spec.destination;
    let url: string | undefined;
    let body: string;
    if (d.slack) {
      const s = await this.#client.getOrUndefined<KubeObject & { data?: Record<string, string> }>({
        apiVersion: 'v1',
        kind: 'Secret',
        namespace: ev.namespace,
        name: d.slack.urlSecretRef.name,
      });
      const raw = s?.data?.[d.slack.urlSecretRef.key];
      url = raw ? Buffer.from(raw, 'base64').toString('utf8').trim() : undefined;
      body = JSON.stringify({
        text: renderTemplate(d.slack.template ?? DEFAULT_TEMPLATE, params, { goTemplate: false }),
      });
    } else if (d.webhook) {
      url = d.webhook.url;
      const text = renderTemplate(d.webhook.template ?? DEFAULT_TEMPLATE, params, { goTemplate: false });
      body = d.webhook.template ? text : JSON.stringify({ ...params, text });
    } else return;
    if (!url) {
      this.#log.warn({ rule: rule.metadata.name }, 'notification destination has no URL');
      return;
    }
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body,
          signal: AbortSignal.timeout(10_000),
        });
        if (res.ok) return;
        if (res.status < 500 && res.status !== 429) {
          this.#log.warn({ rule: rule.metadata.name, status: res.status }, 'notification refused');
          return;
        }
      } catch {
        // network failure: retried below
      }
      await new Promise((r) => setTimeout(r, this.#baseDelayMs * 2 ** attempt));
    }
    this.#log.warn({ rule: rule.metadata.name }, 'notification undeliverable after 5 attempts');
  }
}
