import { createHash } from 'node:crypto';

/**
 * Remembers the webhook deliveries the hub acted on, so a captured signed request sent again does
 * nothing. Two keys per delivery: the provider's delivery id (what a redelivery repeats), and a
 * digest of the body — GitHub's and Gitea's signatures cover the body but not the delivery-id
 * header, so an attacker replaying a body under a fresh id must still be caught. Two real pushes
 * never have the same body (new `after`, timestamps). Bounded: at most `max` keys, each forgotten
 * after `ttlMs`, oldest first; only verified deliveries are remembered, so unsigned junk cannot
 * evict real entries.
 */
export class DeliveryMemory {
  readonly #max: number;
  readonly #ttlMs: number;
  readonly #now: () => number;
  /** key → time seen; a Map iterates in insertion order, which is the eviction order. */
  readonly #seen = new Map<string, number>();
  /** How many replays were refused since start. */
  replays = 0;

  constructor(opts: { max?: number; ttlMs?: number; now?: () => number } = {}) {
    this.#max = opts.max ?? 10_000;
    this.#ttlMs = opts.ttlMs ?? 24 * 3600_000;
    this.#now = opts.now ?? (() => Date.now());
  }

  /**
   * True (and remembered) the first time a delivery is seen; false for a replay, which is counted.
   * `provider` keeps one provider's ids apart from another's.
   */
  firstTime(provider: string, deliveryId: string | undefined, body: Buffer): boolean {
    const now = this.#now();
    this.#expire(now);
    const keys = [`${provider}:body:${createHash('sha256').update(body).digest('hex')}`];
    if (deliveryId) keys.push(`${provider}:id:${deliveryId}`);
    if (keys.some((k) => this.#seen.has(k))) {
      this.replays += 1;
      return false;
    }
    for (const k of keys) this.#seen.set(k, now);
    while (this.#seen.size > this.#max) {
      const oldest = this.#seen.keys().next().value;
      if (oldest === undefined) break;
      this.#seen.delete(oldest);
    }
    return true;
  }

  get size(): number {
    return this.#seen.size;
  }

  #expire(now: number): void {
    for (const [k, at] of this.#seen) {
      if (now - at < this.#ttlMs) break;
      this.#seen.delete(k);
    }
  }
}
