import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import {
  AGENT_API,
  REPORT_REFUSED,
  type AppReport,
  type EventReport,
  type StatusAck,
  type StatusBatch,
} from '../api/agent.js';
import { API_VERSION, type Application } from '../api/application.js';
import { HubError, type HubClient } from '../core/hub-client.js';
import type { KubeClient } from '../kube/client.js';
import { Informer } from '../kube/informer.js';
import type { KubeObject } from '../kube/types.js';
import { sleep } from '../core/sleep.js';
import { ASSIGNED_LABEL } from './assignments.js';

const BATCH_APPS = 200;
const BATCH_EVENTS = 200;

export interface ReporterOptions {
  hub: HubClient;
  client: KubeClient;
  cluster: string;
  agentVersion: string;
  /** Most reports held while the hub is away; beyond it, older reports of the same app are merged. */
  maxBuffered?: number;
  log: Logger;
  onConnected?: (up: boolean) => void;
}

/**
 * Sends every change of every Application in this cluster (assigned and autonomous) and the
 * Events about them to the hub, in the order they happened. Batches carry a sequence number per
 * agent process and are retried until acknowledged, so while the hub is away they wait here, and
 * when it returns they arrive in order, each applied once.
 */
export class StatusReporter {
  readonly #o: Required<Omit<ReporterOptions, 'onConnected'>> & Pick<ReporterOptions, 'onConnected'>;
  readonly #bootId = randomUUID();
  readonly #apps: Informer;
  readonly #events: Informer;
  readonly #startedAt = Date.now();
  #queue: AppReport[] = [];
  #eventQueue: EventReport[] = [];
  readonly #lastSent = new Map<string, string>();
  #seq = 0;
  #wake: (() => void) | undefined;
  #abort: AbortController | undefined;
  #sentBatches = 0;
  /** Reports of a batch the hub refused: resent one per batch, to find the one(s) it refuses. */
  #suspect = new Set<AppReport>();
  #refused = 0;

  constructor(opts: ReporterOptions) {
    this.#o = { maxBuffered: 10_000, ...opts };
    this.#apps = new Informer(opts.client, {
      apiVersion: API_VERSION,
      kind: 'Application',
      dropManagedFields: true,
    });
    this.#events = new Informer(opts.client, {
      apiVersion: 'v1',
      kind: 'Event',
      fieldSelector: 'involvedObject.kind=Application',
    });
  }

  /** Reports waiting to be delivered. */
  get buffered(): number {
    return this.#queue.length + this.#eventQueue.length;
  }

  get sentBatches(): number {
    return this.#sentBatches;
  }

  /** Reports the hub refused (about apps this cluster does not own) and this agent dropped. */
  get refused(): number {
    return this.#refused;
  }

  start(): void {
    this.#abort = new AbortController();
    this.#apps.on('event', (ev) => {
      if (ev.type === 'added' || ev.type === 'modified') this.#enqueue(ev.object as Application, false);
      else if (ev.type === 'deleted') this.#enqueue(ev.object as Application, true);
    });
    this.#events.on('event', (ev) => {
      if (ev.type === 'added' || ev.type === 'modified') this.#enqueueEvent(ev.object);
    });
    this.#apps.start();
    this.#events.start();
    void this.#loop(this.#abort.signal);
  }

  stop(): void {
    this.#abort?.abort();
    this.#apps.stop();
    this.#events.stop();
    this.#wake?.();
  }

  #enqueue(a: Application, deleted: boolean): void {
    const origin = a.metadata.labels?.[ASSIGNED_LABEL] === 'true' ? 'assigned' : 'autonomous';
    const key = `${a.metadata.namespace ?? ''}/${a.metadata.name}`;
    const report: AppReport = {
      origin,
      namespace: a.metadata.namespace ?? '',
      name: a.metadata.name,
      ...(origin === 'autonomous' && !deleted ? { spec: a.spec } : {}),
      ...(deleted ? { deleted: true } : { status: a.status ?? {} }),
      observedAt: new Date().toISOString(),
    };
    // Only real changes travel: a resync or a metadata-only update is not news for the hub.
    const fingerprint = JSON.stringify([report.spec, report.status, report.deleted]);
    if (this.#lastSent.get(key) === fingerprint) return;
    this.#lastSent.set(key, fingerprint);
    if (deleted) this.#lastSent.delete(key);
    this.#queue.push(report);
    if (this.#queue.length > this.#o.maxBuffered) this.#queue = coalesce(this.#queue);
    this.#wake?.();
  }

  #enqueueEvent(o: KubeObject): void {
    const e = o as KubeObject & {
      involvedObject?: { namespace?: string; name?: string };
      type?: string;
      reason?: string;
      message?: string;
      lastTimestamp?: string;
      eventTime?: string;
    };
    const time = e.lastTimestamp ?? e.eventTime ?? '';
    // Events from before this agent started were sent by its predecessor (or are history).
    if (!time || Date.parse(time) < this.#startedAt - 1000) return;
    this.#eventQueue.push({
      namespace: e.involvedObject?.namespace ?? '',
      name: e.involvedObject?.name ?? '',
      type: e.type === 'Warning' ? 'Warning' : 'Normal',
      reason: e.reason ?? '',
      message: e.message ?? '',
      time,
    });
    if (this.#eventQueue.length > this.#o.maxBuffered)
      this.#eventQueue.splice(0, this.#eventQueue.length - this.#o.maxBuffered);
    this.#wake?.();
  }

  async #loop(signal: AbortSignal): Promise<void> {
    let backoff = 250;
    while (!signal.aborted) {
      if (!this.#queue.length && !this.#eventQueue.length) {
        await new Promise<void>((r) => {
          this.#wake = r;
          setTimeout(r, 30_000).unref();
        });
        continue;
      }
      // After a refusal, the refused batch's reports travel alone, so one refused report cannot
      // hold back the others (the hub applies a batch whole or not at all).
      const single = this.#queue[0] !== undefined && this.#suspect.has(this.#queue[0]);
      const apps = this.#queue.slice(0, single ? 1 : BATCH_APPS);
      const events = single ? [] : this.#eventQueue.slice(0, BATCH_EVENTS);
      const batch: StatusBatch = {
        cluster: this.#o.cluster,
        bootId: this.#bootId,
        seq: this.#seq + 1,
        agentVersion: this.#o.agentVersion,
        apps,
        events,
      };
      try {
        const ack = await this.#o.hub.request<StatusAck>('POST', `${AGENT_API}/status`, {
          body: batch,
          timeoutMs: 30_000,
          signal,
        });
        if (ack.seq >= batch.seq) {
          this.#seq = batch.seq;
          // Entries may have been merged meanwhile; remove exactly the ones that were sent.
          const sent = new Set(apps);
          this.#queue = this.#queue.filter((r) => !sent.has(r));
          for (const r of apps) this.#suspect.delete(r);
          this.#eventQueue.splice(0, events.length);
          this.#sentBatches++;
        }
        backoff = 250;
        this.#o.onConnected?.(true);
      } catch (e) {
        if (signal.aborted) return;
        if (e instanceof HubError && e.status === 403 && e.message.includes(REPORT_REFUSED)) {
          this.#o.onConnected?.(true);
          if (apps.length > 1 || events.length) for (const r of apps) this.#suspect.add(r);
          else {
            // The hub will never take this one (the app is not this cluster's): say so, go on.
            const [r] = apps;
            this.#queue = this.#queue.filter((x) => x !== r);
            if (r) this.#suspect.delete(r);
            this.#refused++;
            this.#o.log.warn(
              { app: `${r?.namespace}/${r?.name}`, err: e.message },
              'status report refused by the hub: dropped',
            );
          }
          continue;
        }
        this.#o.onConnected?.(false);
        this.#o.log.debug(
          { err: e instanceof Error ? e.message : String(e), buffered: this.buffered },
          'status report not delivered; will retry',
        );
        await sleep(backoff, signal);
        backoff = Math.min(backoff * 2, 2000);
      }
    }
  }
}

/** Keeps only the newest report per app, in the order of those newest reports. */
export function coalesce(queue: AppReport[]): AppReport[] {
  const newest = new Map<string, number>();
  queue.forEach((r, i) => newest.set(`${r.namespace}/${r.name}`, i));
  return queue.filter((r, i) => newest.get(`${r.namespace}/${r.name}`) === i);
}
