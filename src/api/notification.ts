import type { KubeObject } from '../kube/types.js';
import type { API_VERSION } from './application.js';

export const NOTIFICATION_TRIGGERS = [
  'SyncSucceeded',
  'SyncFailed',
  'HealthDegraded',
  'DriftDetected',
  'RolloutHalted',
] as const;
export type NotificationTrigger = (typeof NOTIFICATION_TRIGGERS)[number];

/**
 * Tells someone when something happens to the Applications (or ApplicationSets) of its namespace.
 * `webhook.template` is a `{{key}}` template over app, namespace, trigger, message and revision; the
 * Slack destination posts `{"text": …}` to the URL held in a Secret.
 */
export interface NotificationRule extends KubeObject {
  apiVersion: typeof API_VERSION;
  kind: 'NotificationRule';
  spec: {
    triggers: NotificationTrigger[];
    /** Only Applications with these labels; all when absent. */
    selector?: { matchLabels?: Record<string, string> };
    destination: {
      webhook?: { url: string; template?: string };
      slack?: { urlSecretRef: { name: string; key: string }; template?: string };
    };
  };
}
