/**
 * Writes a Plan into the cluster: the two slot Deployments, the Services that select them, the
 * HTTPRoute weights (when the Canary asks for Gateway API routing and the cluster serves it) and
 * the target Deployment kept at 0 replicas. Everything is written with the delivery field manager
 * and owned (ownerReferences) by the Canary, so deleting the Canary removes it.
 */
import { createHash } from 'node:crypto';
import { API_VERSION } from '../../api/application.js';
import { DELIVERY_FIELD_MANAGER, SLOT_LABEL, type Canary } from '../../api/delivery.js';
import type { Plan, Slot, SlotObservation } from '../../delivery/canary.js';
import type { KubeClient } from '../../kube/client.js';
import type { KubeObject } from '../../kube/types.js';

/** Annotation on a slot Deployment: the hash of the pod template it was given. */
export const TEMPLATE_HASH_ANNOTATION = 'gitfleet.dev/template-hash';
const CANARY_LABEL = 'gitfleet.dev/canary';

export interface TargetDeployment extends KubeObject {
  spec: {
    replicas?: number;
    selector: { matchLabels?: Record<string, string> };
    template: {
      metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
      spec: unknown;
    };
  };
}

interface LiveDeployment extends KubeObject {
  spec?: { replicas?: number };
  status?: {
    readyReplicas?: number;
    observedGeneration?: number;
    replicas?: number;
    updatedReplicas?: number;
  };
}

/** Hash of a pod template: what identifies a version of the target. */
export function templateHash(target: TargetDeployment): string {
  return createHash('sha256').update(JSON.stringify(target.spec.template)).digest('hex').slice(0, 10);
}

export const slotName = (c: Canary, slot: Slot): string => `${c.metadata.name}-${slot}`;

function ownerRef(c: Canary): Record<string, unknown>[] {
  return [
    { apiVersion: API_VERSION, kind: 'Canary', name: c.metadata.name, uid: c.metadata.uid, controller: true },
  ];
}

export async function observeSlots(kube: KubeClient, c: Canary): Promise<Record<Slot, SlotObservation>> {
  const one = async (slot: Slot): Promise<SlotObservation> => {
    const d = await kube.getOrUndefined<LiveDeployment>({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      namespace: c.metadata.namespace as string,
      name: slotName(c, slot),
    });
    if (!d) return { replicas: 0, ready: 0, current: true };
    const hash = d.metadata.annotations?.[TEMPLATE_HASH_ANNOTATION];
    const replicas = d.spec?.replicas ?? 1;
    const st = d.status ?? {};
    return {
      ...(hash ? { hash } : {}),
      replicas,
      ready: st.readyReplicas ?? 0,
      current:
        (st.observedGeneration ?? 0) >= (d.metadata.generation ?? 0) && (st.updatedReplicas ?? 0) >= replicas,
    };
  };
  // Both at once: a reconcile's latency is what bounds a queue of 8 workers over 100 canaries.
  const [blue, green] = await Promise.all([one('blue'), one('green')]);
  return { blue, green };
}

/**
 * What this process last applied, by object: a Service or HTTPRoute whose desired body has not
 * changed is not applied again on every reconcile (a canary in analysis reconciles every interval,
 * and a server-side apply is the costliest request the apiserver serves). Entries expire, so a
 * Service someone deleted or edited by hand is restored within `ttlMs`.
 */
export class AppliedCache {
  readonly #seen = new Map<string, { body: string; at: number }>();
  constructor(private readonly ttlMs = 60_000) {}

  fresh(key: string, body: string, now = Date.now()): boolean {
    const e = this.#seen.get(key);
    return !!e && e.body === body && now - e.at < this.ttlMs;
  }

  set(key: string, body: string, now = Date.now()): void {
    this.#seen.set(key, { body, at: now });
  }

  /** Forgets a Canary's objects (it was deleted, or a write failed). */
  forget(prefix: string): void {
    for (const k of this.#seen.keys()) if (k.startsWith(prefix)) this.#seen.delete(k);
  }
}

export async function applyPlan(
  kube: KubeClient,
  c: Canary,
  target: TargetDeployment,
  hash: string,
  plan: Plan,
  gatewayApi: boolean,
  observed?: Record<Slot, SlotObservation>,
  applied?: AppliedCache,
): Promise<void> {
  /** Server-side apply of `obj` unless this process applied the same body lately. */
  const applyOnce = async (obj: KubeObject): Promise<void> => {
    const key = `${c.metadata.uid ?? ''}/${obj.kind}/${obj.metadata.name}`;
    const body = JSON.stringify(obj);
    if (applied?.fresh(key, body)) return;
    await kube.apply(obj, { fieldManager: DELIVERY_FIELD_MANAGER, force: true });
    applied?.set(key, body);
  };
  const ns = c.metadata.namespace as string;
  const match = target.spec.selector.matchLabels ?? {};
  for (const slot of ['blue', 'green'] as const) {
    const name = slotName(c, slot);
    const replicas = plan.replicas[slot];
    if (plan.writeTemplate.includes(slot)) {
      const tpl = target.spec.template;
      const slotObject = {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: {
          name,
          namespace: ns,
          labels: { [CANARY_LABEL]: c.metadata.name, [SLOT_LABEL]: slot },
          annotations: { [TEMPLATE_HASH_ANNOTATION]: hash },
          ownerReferences: ownerRef(c),
        },
        spec: {
          replicas,
          selector: { matchLabels: { ...match, [SLOT_LABEL]: slot } },
          template: {
            ...tpl,
            metadata: { ...tpl.metadata, labels: { ...tpl.metadata?.labels, [SLOT_LABEL]: slot } },
          },
        },
      } as KubeObject;
      // An in-flight canary's slot was applied at every reconcile: half the PATCHes of 100
      // canaries in analysis (bench/delivery). Skipped while the slot, as just read, carries this
      // hash and replica count and this process applied the same body lately (AppliedCache's TTL
      // still restores a hand edit of the template).
      const key = `${c.metadata.uid ?? ''}/Deployment/${name}`;
      const body = JSON.stringify(slotObject);
      const seen = observed?.[slot];
      if (seen?.hash === hash && seen.replicas === replicas && applied?.fresh(key, body)) continue;
      await kube.apply(slotObject, { fieldManager: DELIVERY_FIELD_MANAGER, force: true });
      applied?.set(key, body);
      continue;
    }
    // Only the replica count changes: a merge patch, so the slot's template (its version) stays as it is.
    // The slot was read moments ago (observeSlots, carrying our hash annotation when it exists).
    const ref = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns, name };
    const seen = observed?.[slot];
    const live = seen
      ? seen.hash !== undefined
        ? { replicas: seen.replicas }
        : undefined
      : await kube.getOrUndefined<LiveDeployment>(ref).then((d) => d && { replicas: d.spec?.replicas ?? 1 });
    if (live && live.replicas !== replicas) await kube.patch(ref, { spec: { replicas } });
  }
  // The target Deployment is the template: it runs no pods of its own.
  if ((target.spec.replicas ?? 1) !== 0)
    await kube.patch(
      { apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns, name: target.metadata.name },
      { spec: { replicas: 0 } },
    );
  const port = c.spec.service?.port ?? 80;
  const targetPort = c.spec.service?.targetPort ?? port;
  const service = async (name: string, slot: Slot): Promise<void> => {
    await applyOnce({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {
        name,
        namespace: ns,
        labels: { [CANARY_LABEL]: c.metadata.name },
        ownerReferences: ownerRef(c),
      },
      spec: { selector: { ...match, [SLOT_LABEL]: slot }, ports: [{ name: 'http', port, targetPort }] },
    } as KubeObject);
  };
  const canarySlot: Slot = plan.stable === 'blue' ? 'green' : 'blue';
  const bg = c.spec.strategy.blueGreen;
  if (bg) {
    await service(bg.activeService ?? `${c.metadata.name}-active`, plan.active);
    await service(
      bg.previewService ?? `${c.metadata.name}-preview`,
      plan.active === 'blue' ? 'green' : 'blue',
    );
    return;
  }
  await service(`${c.metadata.name}-stable`, plan.stable);
  await service(`${c.metadata.name}-canary`, canarySlot);
  const gw = c.spec.strategy.canary?.trafficRouting?.gatewayAPI;
  if (gw && gatewayApi) {
    await applyOnce({
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: {
        name: c.metadata.name,
        namespace: ns,
        labels: { [CANARY_LABEL]: c.metadata.name },
        ownerReferences: ownerRef(c),
      },
      spec: {
        parentRefs: gw.parentRefs,
        ...(gw.hostnames ? { hostnames: gw.hostnames } : {}),
        rules: [
          {
            backendRefs: [
              { name: `${c.metadata.name}-stable`, port, weight: 100 - plan.weight },
              { name: `${c.metadata.name}-canary`, port, weight: plan.weight },
            ],
          },
        ],
      },
    } as KubeObject);
  }
}
