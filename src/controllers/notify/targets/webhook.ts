import { createHmac } from 'node:crypto';
import { DEFAULT_TEXT, post, type Delivery, type Target } from './types.js';

/** Header carrying `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">` (see docs/notifications.md). */
export const SIGNATURE_HEADER = 'X-Gitfleet-Signature';
/** Header carrying the delivery ID, the same on every retry of one event: receivers dedupe on it. */
export const DELIVERY_HEADER = 'X-Gitfleet-Delivery';

/** The signature header's value for `body` at `timestamp` (seconds). */
export function signBody(secret: string, timestamp: number, body: string): string {
  const mac = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
  return `t=${timestamp},v1=${mac}`;
}

/**
 * Generic webhook: the rendered template as the body when one is set, else a JSON object of the
 * template parameters plus `text`. Signed when a signing Secret is named; the timestamp is taken
 * per attempt so a receiver's replay window measures the request, not the event.
 */
export const webhookTarget: Target = {
  name: 'webhook',
  async send(d: Delivery): Promise<void> {
    const w = d.rule.spec.destination.webhook;
    if (!w) return;
    const text = d.render(w.template ?? DEFAULT_TEXT);
    const { fullRevision: _full, ...params } = d.params;
    const body = w.template ? text : JSON.stringify({ ...params, id: d.id, at: d.at, text });
    const headers: Record<string, string> = { [DELIVERY_HEADER]: d.id };
    if (w.signingSecretRef) {
      const key = await d.secret(w.signingSecretRef);
      headers[SIGNATURE_HEADER] = signBody(key, Math.floor(Date.now() / 1000), body);
    }
    await post('webhook', w.url, body, headers);
  },
};
