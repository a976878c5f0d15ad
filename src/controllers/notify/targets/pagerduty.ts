import { DEFAULT_TEXT, post, type Delivery, type Target } from './types.js';

const EVENTS_V2 = 'https://events.pagerduty.com/v2/enqueue';

/**
 * PagerDuty Events API v2 (`trigger` events). `dedup_key` is the delivery ID, so PagerDuty keeps
 * one incident for an event however many times a failed post was retried.
 */
export const pagerdutyTarget: Target = {
  name: 'pagerduty',
  async send(d: Delivery): Promise<void> {
    const pd = d.rule.spec.destination.pagerduty;
    if (!pd) return;
    const p = d.params;
    const body = {
      routing_key: await d.secret(pd.routingKeySecretRef),
      event_action: 'trigger',
      dedup_key: d.id,
      payload: {
        summary: d.render(pd.template ?? DEFAULT_TEXT).slice(0, 1024),
        source: p.cluster || 'gitfleet',
        severity: pd.severity ?? 'error',
        timestamp: d.at,
        component: `${p.namespace}/${p.app}`,
        group: p.project,
        class: p.trigger,
        custom_details: { revision: p.fullRevision, message: p.message, kind: p.kind },
      },
      client: 'gitfleet',
      ...(p.url ? { client_url: p.url, links: [{ href: p.url, text: 'Open in gitfleet' }] } : {}),
    };
    await post('pagerduty', pd.url ?? EVENTS_V2, JSON.stringify(body));
  },
};
