import { refOf, type KubeClient } from '../../kube/client.js';
import type { ObjectRef } from '../../core/object-ref.js';
import { compareObject } from '../apply/apply-object.js';
import type { IgnoreRule } from '../diff/diff.js';
import { secretMaskOf, type SecretMask } from '../diff/mask.js';
import { aggregateHealth, assessHealth } from '../health/index.js';
import type { HealthResult } from '../health/types.js';
import { refOfEntry } from '../inventory/inventory.js';
import type { InventoryStore } from '../inventory/store.js';
import type { Manifest } from '../manifest.js';
import { isOwnedBy } from '../plan/ownership.js';
import { planSync } from '../plan/plan.js';
import { mapLimit } from '../../core/concurrency.js';
import { discoverScopes } from './scopes.js';

/** Objects compared at once: the dry-runs are independent. */
const COMPARE_CONCURRENCY = 8;

/** Sync state of one object, as shown in status and by `gitfleet app get`. */
export interface ResourceState {
  ref: ObjectRef;
  status: 'Synced' | 'OutOfSync';
  health?: HealthResult;
  /** Redacted diff when OutOfSync; `requires pruning` for extraneous objects. */
  diff?: string;
  message?: string;
}

export interface Comparison {
  status: 'Synced' | 'OutOfSync';
  health: HealthResult;
  resources: ResourceState[];
}

/**
 * Compares what Git declares with the cluster without changing anything: server-side apply
 * dry-run per object, plus owned objects Git no longer declares (extraneous, OutOfSync).
 */
export async function compareApp(
  req: {
    owner: string;
    manifests: Manifest[];
    defaultNamespace: string;
    ignore: IgnoreRule[];
    signal?: AbortSignal;
  },
  deps: { client: KubeClient; inventory: InventoryStore },
): Promise<Comparison> {
  // Every message leaves the engine through here: API-server errors may echo a Secret's value.
  const secrets = secretMaskOf(req.manifests.map((m) => m.object));
  try {
    const cmp = await compareResources(req, deps, secrets);
    return { ...cmp, resources: cmp.resources.map((r) => maskState(r, secrets)) };
  } catch (e) {
    throw secrets.maskError(e);
  }
}

function maskState(r: ResourceState, secrets: SecretMask): ResourceState {
  return {
    ...r,
    ...(r.message ? { message: secrets.mask(r.message) } : {}),
    ...(r.diff ? { diff: secrets.mask(r.diff) } : {}),
    ...(r.health?.message ? { health: { ...r.health, message: secrets.mask(r.health.message) } } : {}),
  };
}

async function compareResources(
  req: Parameters<typeof compareApp>[0],
  deps: Parameters<typeof compareApp>[1],
  secrets: SecretMask,
): Promise<Comparison> {
  const { client } = deps;
  const previous = await deps.inventory.load(req.owner, req.signal);
  const plan = planSync({
    manifests: req.manifests,
    owner: req.owner,
    defaultNamespace: req.defaultNamespace,
    isNamespaced: await discoverScopes(client, req.manifests, req.signal),
    previousInventory: previous,
  });
  const resources: ResourceState[] = [];
  const opts = {
    owner: req.owner,
    forceConflicts: false,
    takeover: false,
    ignore: req.ignore,
    dryRun: true,
    secrets,
    signal: req.signal,
  };
  const tasks = plan.steps.flatMap((step) => step.tasks.filter((t) => !t.hook));
  const states = await mapLimit(tasks, COMPARE_CONCURRENCY, async (task): Promise<ResourceState> => {
    const ref = refOf(task.object);
    try {
      const c = await compareObject(client, task, opts);
      const health = c.live
        ? assessHealth(c.live)
        : { status: 'Missing' as const, message: 'object not found' };
      return {
        ref,
        status: c.modified ? 'OutOfSync' : 'Synced',
        ...(health ? { health } : {}),
        ...(c.modified && c.diff ? { diff: c.diff } : {}),
        ...(c.refusal ? { message: c.refusal } : {}),
      };
    } catch (e) {
      return {
        ref,
        status: 'OutOfSync',
        health: { status: 'Missing' },
        message: e instanceof Error ? e.message : String(e),
      };
    }
  });
  resources.push(...states);
  for (const entry of plan.prune) {
    const ref = refOfEntry(entry);
    const live = await client.getOrUndefined(ref, req.signal).catch(() => undefined);
    secrets.add(live);
    if (live && isOwnedBy(live, req.owner))
      resources.push({ ref, status: 'OutOfSync', diff: 'requires pruning' });
  }
  return {
    status: resources.some((r) => r.status === 'OutOfSync') ? 'OutOfSync' : 'Synced',
    health: aggregateHealth(resources.map((r) => r.health)),
    resources,
  };
}
