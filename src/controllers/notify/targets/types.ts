import type { NotificationDestination, NotificationRule, SecretKeyRef } from '../../../api/notification.js';

/** The values every template can name; all strings, none Secret. */
export interface TemplateParams {
  trigger: string;
  kind: string;
  namespace: string;
  app: string;
  project: string;
  cluster: string;
  /** Short (12 characters) revision, for text. */
  revision: string;
  /** Full revision, for APIs that need it (commit statuses). */
  fullRevision: string;
  repoURL: string;
  message: string;
  /** The object's page in the UI, or '' when the hub has no external URL. */
  url: string;
  [key: string]: string;
}

/** One delivery of one event to one rule's target. */
export interface Delivery {
  rule: NotificationRule;
  params: TemplateParams;
  /**
   * Stable for this event and rule across every retry: receivers that deduplicate (PagerDuty's
   * dedup_key, Opsgenie's alias, Alertmanager's labels, the webhook's delivery header, the email's
   * Message-ID) see one event however many attempts it took.
   */
  id: string;
  /** When the event was first seen (ISO 8601). */
  at: string;
  /** Reads a Secret key of the rule's namespace; throws naming the Secret and key when missing. */
  secret(ref: SecretKeyRef): Promise<string>;
  /** Renders a `{{key}}` template over `params`. */
  render(template: string): string;
}

/** A notification target; `send` throws a DeliveryError, `transient` set when a retry may help. */
export interface Target {
  readonly name: keyof NotificationDestination;
  send(d: Delivery): Promise<void>;
}

export class DeliveryError extends Error {
  constructor(
    message: string,
    readonly transient: boolean,
  ) {
    super(message);
  }
}

export const DEFAULT_TEXT =
  '[gitfleet] {{trigger}}: {{namespace}}/{{app}} ({{project}} on {{cluster}}) at {{revision}}: {{message}}';
export const DEFAULT_TITLE = '{{trigger}}: {{app}} on {{cluster}}';

/**
 * POSTs a body and maps the answer: 2xx is done; 408, 429 and 5xx and network failures are
 * transient; any other status is final. The URL is never put in the error (it may carry a token).
 */
export async function post(
  target: string,
  url: string,
  body: string,
  headers: Record<string, string> = {},
): Promise<void> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...headers },
      body,
      redirect: 'error',
      signal: AbortSignal.timeout(10_000),
    });
  } catch (e) {
    throw new DeliveryError(`${target}: ${e instanceof Error ? e.message : String(e)}`, true);
  }
  await res.body?.cancel().catch(() => undefined);
  if (res.ok) return;
  const transient = res.status === 408 || res.status === 429 || res.status >= 500;
  throw new DeliveryError(`${target}: HTTP ${res.status}`, transient);
}
