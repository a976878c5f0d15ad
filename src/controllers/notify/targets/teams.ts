import { DEFAULT_TEXT, DEFAULT_TITLE, post, type Delivery, type Target } from './types.js';

const COLOURS: Record<string, string> = { good: '2EB886', bad: 'E01E5A', info: '3AA3E3' };
const BAD = new Set([
  'SyncFailed',
  'HealthDegraded',
  'RolloutHalted',
  'AnalysisFailed',
  'RolledBack',
  'PromotionFailed',
  'AgentLost',
  'SyncStatusUnknown',
]);
const GOOD = new Set(['SyncSucceeded', 'Deployed', 'CanaryPromoted', 'PromotionSucceeded']);

/** The colour band a trigger gets: red for failures, green for successes, blue otherwise. */
export function themeOf(trigger: string): string {
  return COLOURS[BAD.has(trigger) ? 'bad' : GOOD.has(trigger) ? 'good' : 'info'] as string;
}

/**
 * Microsoft Teams incoming webhook (Office 365 connector or Workflows), MessageCard format: a
 * title, the text, the facts a reader scans for, and a button to the app's page when known.
 */
export const teamsTarget: Target = {
  name: 'teams',
  async send(d: Delivery): Promise<void> {
    const t = d.rule.spec.destination.teams;
    if (!t) return;
    const url = await d.secret(t.urlSecretRef);
    const p = d.params;
    const card = {
      '@type': 'MessageCard',
      '@context': 'https://schema.org/extensions',
      summary: d.render(t.titleTemplate ?? DEFAULT_TITLE),
      themeColor: themeOf(p.trigger),
      title: d.render(t.titleTemplate ?? DEFAULT_TITLE),
      text: d.render(t.template ?? DEFAULT_TEXT),
      sections: [
        {
          facts: [
            { name: 'Application', value: `${p.namespace}/${p.app}` },
            { name: 'Project', value: p.project },
            { name: 'Cluster', value: p.cluster },
            { name: 'Revision', value: p.revision },
            { name: 'Trigger', value: p.trigger },
          ].filter((f) => f.value),
        },
      ],
      ...(p.url
        ? {
            potentialAction: [
              { '@type': 'OpenUri', name: 'Open in gitfleet', targets: [{ os: 'default', uri: p.url }] },
            ],
          }
        : {}),
    };
    await post('teams', url, JSON.stringify(card));
  },
};
