import { createHash } from 'node:crypto';
import { API_VERSION } from '../../api/application.js';
import type { NotificationRule } from '../../api/notification.js';
import { isConflict } from '../../kube/errors.js';
import type { KubeClient } from '../../kube/client.js';

/**
 * The deliveries a NotificationRule already made, kept on the rule itself so that a restarted
 * hub (or the replica that takes over an app) does not send them again: a JSON map from a hash of
 * (rule, object, trigger, revision) to the delivery ID and the time it was sent, in seconds.
 * Only hashes are stored: no app names, messages or anything a receiver got.
 */
export const SENT_ANNOTATION = 'gitfleet.dev/notifications-sent';
/** The newest entries kept per rule; older ones fall out (and out of the dedupe window anyway). */
const KEEP = 100;

type Sent = Record<string, { id: string; at: number }>;

export const sentKey = (key: string): string => createHash('sha256').update(key).digest('hex').slice(0, 24);

function sentOf(rule: NotificationRule): Sent {
  const raw = rule.metadata.annotations?.[SENT_ANNOTATION];
  if (!raw) return {};
  try {
    const v: unknown = JSON.parse(raw);
    if (!v || typeof v !== 'object' || Array.isArray(v)) return {};
    const out: Sent = {};
    for (const [k, e] of Object.entries(v as Record<string, unknown>)) {
      const { id, at } = (e ?? {}) as { id?: unknown; at?: unknown };
      if (typeof id === 'string' && typeof at === 'number') out[k] = { id, at };
    }
    return out;
  } catch {
    // Hand-edited into nonsense: treat as empty, the next delivery rewrites it.
    return {};
  }
}

/** The earlier delivery of `hashed` recorded on the rule within the window, if any. */
export function sentBefore(
  rule: NotificationRule,
  hashed: string,
  nowMs: number,
  windowMs: number,
): { id: string; atMs: number } | undefined {
  const e = sentOf(rule)[hashed];
  return e && nowMs - e.at * 1000 < windowMs ? { id: e.id, atMs: e.at * 1000 } : undefined;
}

/**
 * Records a delivery on the rule: read, merge, write with the read resourceVersion, again on a
 * conflict (another delivery of the same rule recorded at the same time).
 */
export async function rememberSent(
  client: KubeClient,
  rule: NotificationRule,
  hashed: string,
  id: string,
  nowMs: number,
  windowMs: number,
): Promise<void> {
  const ref = {
    apiVersion: API_VERSION,
    kind: 'NotificationRule',
    namespace: rule.metadata.namespace ?? '',
    name: rule.metadata.name,
  };
  for (let attempt = 0; ; attempt++) {
    const fresh = await client.getOrUndefined<NotificationRule>(ref);
    if (!fresh || (rule.metadata.uid && fresh.metadata.uid !== rule.metadata.uid)) return;
    const entries = Object.entries({ ...sentOf(fresh), [hashed]: { id, at: Math.floor(nowMs / 1000) } })
      .filter(([, e]) => nowMs - e.at * 1000 < windowMs)
      .sort((a, b) => b[1].at - a[1].at)
      .slice(0, KEEP);
    try {
      await client.patch(ref, {
        metadata: {
          resourceVersion: fresh.metadata.resourceVersion,
          annotations: { [SENT_ANNOTATION]: JSON.stringify(Object.fromEntries(entries)) },
        },
      });
      return;
    } catch (e) {
      if (!isConflict(e) || attempt >= 4) throw e;
    }
  }
}
