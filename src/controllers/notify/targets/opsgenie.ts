import { DEFAULT_TEXT, post, type Delivery, type Target } from './types.js';

const API = 'https://api.opsgenie.com';

/**
 * Opsgenie Alert API v2 (POST /v2/alerts, `GenieKey` authorization). `alias` is the delivery ID:
 * Opsgenie folds alerts with one open alias together, so retries make one alert.
 */
export const opsgenieTarget: Target = {
  name: 'opsgenie',
  async send(d: Delivery): Promise<void> {
    const og = d.rule.spec.destination.opsgenie;
    if (!og) return;
    const p = d.params;
    const key = await d.secret(og.apiKeySecretRef);
    const body = {
      message: d.render(og.template ?? '{{trigger}}: {{namespace}}/{{app}} on {{cluster}}').slice(0, 130),
      alias: d.id,
      description: d.render(DEFAULT_TEXT).slice(0, 15000),
      source: 'gitfleet',
      entity: `${p.namespace}/${p.app}`,
      tags: [p.trigger, p.project, p.cluster].filter(Boolean),
      details: {
        revision: p.fullRevision,
        project: p.project,
        cluster: p.cluster,
        ...(p.url ? { url: p.url } : {}),
      },
      priority: og.priority ?? 'P3',
    };
    await post('opsgenie', `${(og.url ?? API).replace(/\/+$/, '')}/v2/alerts`, JSON.stringify(body), {
      Authorization: `GenieKey ${key}`,
    });
  },
};
