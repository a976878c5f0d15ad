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
  // Operations: a step waits for a person's approval; an agent stopped reporting to the hub.
  'ApprovalWaiting',
  'AgentLost',
] as const;
export type NotificationTrigger = (typeof NOTIFICATION_TRIGGERS)[number];

/** A key of a Secret in the rule's own namespace. */
export interface SecretKeyRef {
  name: string;
  key: string;
}

/**
 * Where a rule's messages go: exactly one target per rule (a team wanting two writes two rules).
 * Every `template` is a `{{key}}` template over app, namespace, project, cluster, revision,
 * trigger, message, kind and url (the app's page in the UI when the hub knows its address).
 * Credentials (webhook URLs that embed a token, API keys, SMTP passwords) live in Secrets.
 */
export interface NotificationDestination {
  /** Generic JSON (or templated) POST; signed with HMAC-SHA256 when `signingSecretRef` is set. */
  webhook?: { url: string; template?: string; signingSecretRef?: SecretKeyRef };
  slack?: { urlSecretRef: SecretKeyRef; template?: string };
  /** Microsoft Teams incoming webhook (MessageCard). */
  teams?: { urlSecretRef: SecretKeyRef; template?: string; titleTemplate?: string };
  email?: {
    host: string;
    port: number;
    /** `starttls` (default; upgrade required), `tls` (implicit, port 465) or `none` (loopback relays). */
    security?: 'starttls' | 'tls' | 'none';
    from: string;
    to: string[];
    /** Secret with `username` and `password` keys; no authentication when absent. */
    authSecretRef?: { name: string };
    /** Secret key holding a PEM CA bundle for the SMTP server's certificate. */
    caSecretRef?: SecretKeyRef;
    subjectTemplate?: string;
    template?: string;
  };
  /** Prometheus Alertmanager: POST {url}/api/v2/alerts. */
  alertmanager?: { url: string; severity?: string; template?: string };
  /** PagerDuty Events API v2 (or a compatible endpoint at `url`). */
  pagerduty?: { url?: string; routingKeySecretRef: SecretKeyRef; severity?: string; template?: string };
  /** Opsgenie Alert API v2 (or a compatible endpoint at `url`). */
  opsgenie?: { url?: string; apiKeySecretRef: SecretKeyRef; priority?: string; template?: string };
  /** A commit status on the app's source repository, through the Git host's API. */
  commitStatus?: {
    provider: 'gitea' | 'github' | 'gitlab';
    /** API base URL, e.g. https://api.github.com. */
    api: string;
    tokenSecretRef: SecretKeyRef;
    /** Status context; default `gitfleet/{{cluster}}/{{app}}`. */
    context?: string;
    template?: string;
  };
}

/**
 * Tells someone when something happens to the Applications (or ApplicationSets) of its namespace.
 * A rule in the hub's namespace (`gitfleet-system`) sees every namespace; `projects` narrows any
 * rule to the Applications of those Projects.
 */
export interface NotificationRule extends KubeObject {
  apiVersion: typeof API_VERSION;
  kind: 'NotificationRule';
  spec: {
    triggers: NotificationTrigger[];
    /** Only Applications with these labels; all when absent. */
    selector?: { matchLabels?: Record<string, string> };
    /** Only Applications of these Projects; all the rule can see when absent. */
    projects?: string[];
    destination: NotificationDestination;
  };
}
