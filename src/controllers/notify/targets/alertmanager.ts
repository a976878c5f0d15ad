import { DEFAULT_TEXT, post, type Delivery, type Target } from './types.js';

/**
 * Prometheus Alertmanager (POST /api/v2/alerts). The labels identify the event (Alertmanager
 * deduplicates identical label sets, so a retried post stays one alert) and stay bounded: no
 * revision or message among them; those go in the annotations. Alertmanager resolves the alert
 * after its resolve_timeout since gitfleet sends no end.
 */
export const alertmanagerTarget: Target = {
  name: 'alertmanager',
  async send(d: Delivery): Promise<void> {
    const a = d.rule.spec.destination.alertmanager;
    if (!a) return;
    const p = d.params;
    const labels: Record<string, string> = {
      alertname: `Gitfleet${p.trigger}`,
      trigger: p.trigger,
      kind: p.kind,
      namespace: p.namespace,
      app: p.app,
      severity: a.severity ?? 'warning',
      ...(p.project ? { project: p.project } : {}),
      ...(p.cluster ? { dest_cluster: p.cluster } : {}),
    };
    const alert = {
      labels,
      annotations: {
        summary: d.render(a.template ?? DEFAULT_TEXT),
        description: p.message,
        revision: p.fullRevision,
        delivery: d.id,
      },
      startsAt: d.at,
      ...(p.url ? { generatorURL: p.url } : {}),
    };
    await post('alertmanager', `${a.url.replace(/\/+$/, '')}/api/v2/alerts`, JSON.stringify([alert]));
  },
};
