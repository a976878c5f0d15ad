import { DEFAULT_TEXT, post, type Delivery, type Target } from './types.js';

/** Slack incoming webhook (URL in a Secret: it is the credential): `{"text": …}`. */
export const slackTarget: Target = {
  name: 'slack',
  async send(d: Delivery): Promise<void> {
    const s = d.rule.spec.destination.slack;
    if (!s) return;
    const url = await d.secret(s.urlSecretRef);
    await post('slack', url, JSON.stringify({ text: d.render(s.template ?? DEFAULT_TEXT) }));
  },
};
