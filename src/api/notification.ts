import type { KubeObject } from '../kube/types.js';
import type { API_VERSION } from './application.js';

export const NOTIFICATION_TRIGGERS = [
  'SyncSucceeded',
  'SyncFailed',
  'HealthDegraded',
  'DriftDetected',
  'RolloutHalted',
  // Argo CD's other built-in triggers (on-created, on-deleted, on-deployed, on-sync-running,
  // on-sync-status-unknown).
  'Created',
  'Deleted',
  'Deployed',
  'SyncRunning',
  'SyncStatusUnknown',
  // Progressive delivery: an analysis failed, a canary or blue/green was rolled back or promoted.
  'AnalysisFailed',
  'RolledBack',
  'CanaryPromoted',
  // Git write-back: a new image tag was committed, a revision was promoted to the next stage.
  'ImageUpdated',
  'PromotionSucceeded',
  'PromotionFailed',
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
