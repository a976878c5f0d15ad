import { GitfleetError } from '../../core/errors.js';
import type { KubeClient } from '../../kube/client.js';
import { isConflict, isNotFound } from '../../kube/errors.js';
import { ensureNamespace } from '../../kube/namespace.js';
import type { KubeObject } from '../../kube/types.js';

/** A coordination.k8s.io/v1 Lease, the one lock primitive gitfleet uses (no store of its own). */
export interface Lease extends KubeObject {
  spec?: {
    holderIdentity?: string;
    leaseDurationSeconds?: number;
    acquireTime?: string;
    renewTime?: string;
    leaseTransitions?: number;
  };
}

/** Lease times are MicroTime: RFC 3339 with exactly six fractional digits. */
export function microTime(d: Date): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** Whether a Lease is held by someone and not yet expired at `now`. */
export function leaseHeld(l: Lease | undefined, now = Date.now()): boolean {
  const s = l?.spec;
  if (!s?.holderIdentity || !s.renewTime) return false;
  return Date.parse(s.renewTime) + (s.leaseDurationSeconds ?? 15) * 1000 > now;
}

export type LeaseResult =
  { acquired: true; lease: Lease } | { acquired: false; holder: string; lease: Lease };

/**
 * Takes or renews `namespace/name` for `identity`: creates it when missing, renews it when ours,
 * takes it over when its holder let it expire, and otherwise reports the current holder. Writes
 * carry the read resourceVersion, so two contenders never both win. `held`: the Lease as this
 * holder last wrote it; a renewal then writes without reading first (a write that finds the
 * Lease changed since fails on its resourceVersion and is settled by a read, as any conflict).
 */
export async function tryAcquireLease(
  client: KubeClient,
  ref: { namespace: string; name: string; labels?: Record<string, string> },
  identity: string,
  durationSeconds: number,
  held?: Lease,
): Promise<LeaseResult> {
  const now = new Date();
  const path = `/apis/coordination.k8s.io/v1/namespaces/${ref.namespace}/leases`;
  let current: Lease | undefined;
  if (held?.spec?.holderIdentity === identity && held.metadata.resourceVersion) current = held;
  else
    try {
      current = await client.request<Lease>({ method: 'GET', path: `${path}/${ref.name}` });
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  if (!current) {
    const lease: Lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: ref.name, namespace: ref.namespace, ...(ref.labels ? { labels: ref.labels } : {}) },
      spec: {
        holderIdentity: identity,
        leaseDurationSeconds: durationSeconds,
        acquireTime: microTime(now),
        renewTime: microTime(now),
        leaseTransitions: 0,
      },
    };
    try {
      return { acquired: true, lease: await client.request<Lease>({ method: 'POST', path, body: lease }) };
    } catch (e) {
      if (isConflict(e)) return tryAcquireLease(client, ref, identity, durationSeconds);
      if (isNotFound(e)) {
        // The namespace does not exist yet: create it, then the Lease.
        await ensureNamespace(client, ref.namespace);
        return tryAcquireLease(client, ref, identity, durationSeconds);
      }
      throw e;
    }
  }
  const mine = current.spec?.holderIdentity === identity;
  if (!mine && leaseHeld(current, now.getTime()))
    return { acquired: false, holder: current.spec?.holderIdentity ?? '', lease: current };
  const next: Lease = {
    ...current,
    spec: {
      ...current.spec,
      holderIdentity: identity,
      leaseDurationSeconds: durationSeconds,
      renewTime: microTime(now),
      ...(mine
        ? {}
        : {
            acquireTime: microTime(now),
            leaseTransitions: (current.spec?.leaseTransitions ?? 0) + 1,
          }),
    },
  };
  try {
    const lease = await client.request<Lease>({ method: 'PUT', path: `${path}/${ref.name}`, body: next });
    return { acquired: true, lease };
  } catch (e) {
    if (isConflict(e)) {
      // Someone wrote first. If that someone is us (another client of the same identity, e.g.
      // two controllers of one hub renewing at once), the Lease is ours all the same.
      const again = await client
        .request<Lease>({ method: 'GET', path: `${path}/${ref.name}` })
        .catch((g: unknown) => {
          if (isNotFound(g)) return undefined;
          throw g;
        });
      // Deleted meanwhile: start over (it is created again).
      if (!again) return tryAcquireLease(client, ref, identity, durationSeconds);
      const holder = again.spec?.holderIdentity ?? '';
      if (holder === identity && leaseHeld(again)) return { acquired: true, lease: again };
      return { acquired: false, holder, lease: again };
    }
    // Deleted since this holder last wrote it: start over from a read.
    if (isNotFound(e) && current === held) return tryAcquireLease(client, ref, identity, durationSeconds);
    throw e;
  }
}

/** Gives a Lease up at once (on clean shutdown) so the next holder need not wait for expiry. */
export async function releaseLease(
  client: KubeClient,
  ref: { namespace: string; name: string },
  identity: string,
): Promise<void> {
  const path = `/apis/coordination.k8s.io/v1/namespaces/${ref.namespace}/leases/${ref.name}`;
  try {
    const l = await client.request<Lease>({ method: 'GET', path });
    if (l.spec?.holderIdentity !== identity) return;
    await client.request({ method: 'DELETE', path, body: { preconditions: { uid: l.metadata.uid } } });
  } catch (e) {
    if (!isNotFound(e) && !isConflict(e)) throw e;
  }
}

/** Raised when a cluster is already driven by another owner (a hub in push mode, or an agent). */
export class DriverConflictError extends GitfleetError {
  constructor(cluster: string, holder: string, me: string) {
    super(
      'cluster.DrivenElsewhere',
      `cluster "${cluster}" is already driven by ${holder}; ${me} refuses to drive it too (one owner per cluster: switch the Cluster's mode, or stop the other owner and wait for its Lease gitfleet-system/gitfleet-driver to expire)`,
    );
  }
}
