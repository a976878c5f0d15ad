import { refOf, type KubeClient } from '../../kube/client.js';
import type { ObjectRef } from '../../core/object-ref.js';
import {
  compareObject,
  ownershipRefusal,
  type Comparison as ObjectComparison,
} from '../apply/apply-object.js';
import type { IgnoreRule } from '../diff/diff.js';
import { secretMaskOf, type SecretMask } from '../diff/mask.js';
import { aggregateHealth, assessHealth, type AssessHealthOptions } from '../health/index.js';
import type { HealthResult } from '../health/types.js';
import { refOfEntry } from '../inventory/inventory.js';
import type { InventoryStore } from '../inventory/store.js';
import type { Manifest } from '../manifest.js';
import { isOwnedBy } from '../plan/ownership.js';
import { mapLimit } from '../../core/concurrency.js';
import type { KubeObject } from '../../kube/types.js';
import type { CompareMemo, LiveVersions } from './memo.js';
import { onlyStatusMoved } from './status-only.js';
import { objectKey, prepareSync, type PreparedSync, type SyncStepResult } from './sync.js';

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
  /** The plan compared against, for the sync of the same reconcile (plan once). */
  prepared: PreparedSync;
  /**
   * What each object's GET and dry-run found (by `objectKey`), for the sync of the same reconcile:
   * it applies only what drifted and reads nothing again. Engine-internal: holds live objects.
   */
  objects: Map<string, ObjectComparison>;
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
    /** Custom health (CEL overrides per group/kind); default the built-in assessors. */
    health?: AssessHealthOptions;
    /**
     * An operation is running: objects the watch holds in full (`versions.object`) are read from it
     * instead of a GET (see `fromCache`).
     */
    fromWatch?: boolean;
  },
  deps: {
    client: KubeClient;
    inventory: InventoryStore;
    prepared?: PreparedSync;
    /** With `versions`: skips the GET and dry-run of objects unchanged since they compared equal. */
    memo?: CompareMemo;
    versions?: LiveVersions;
  },
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
  const prepared = deps.prepared ?? (await prepareSync(req, deps));
  const { plan } = prepared;
  const objects = new Map<string, ObjectComparison>();
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
    const key = objectKey(task.object);
    const inputs = { object: task.object, ignore: req.ignore, takeover: false, health: req.health };
    try {
      const remembered = deps.memo?.lookup(req.owner, key, inputs, deps.versions?.resourceVersion(ref));
      const cached = remembered || !req.fromWatch ? undefined : fromCache(deps, req.owner, key, ref);
      const c: ObjectComparison = remembered
        ? { live: remembered, predicted: remembered, modified: false, diff: '', desired: task.object }
        : await compareFromBaseline(
            client,
            task,
            opts,
            deps.memo?.rememberedFor(req.owner, key, inputs),
            cached,
          );
      if (!remembered && deps.memo) {
        if (c.live && !c.modified && !c.refusal) deps.memo.remember(req.owner, key, inputs, c.live);
        else deps.memo.forget(req.owner, key);
      }
      objects.set(key, c);
      const health = c.live
        ? assessHealth(c.live, req.health)
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
    prepared,
    objects,
  };
}

/**
 * Compares one object whose resourceVersion moved since it last compared equal (`baseline`, for the
 * same desired inputs): when only its status moved (status-only.ts), the live object is the answer
 * and the dry-run is skipped. A roll-out's wake-ups and health re-looks change nothing but status,
 * so they cost one GET (none from a full watch) instead of a GET and a dry-run. Anything else, a
 * refusal included, is compared as usual, reusing the read.
 */
async function compareFromBaseline(
  client: KubeClient,
  task: Parameters<typeof compareObject>[1],
  opts: Parameters<typeof compareObject>[2],
  baseline: KubeObject | undefined,
  cached: KubeObject | undefined,
): Promise<ObjectComparison> {
  if (!baseline) return compareObject(client, task, opts, cached);
  const live = cached ?? (await client.getOrUndefined(refOf(task.object), opts.signal));
  if (live && onlyStatusMoved(baseline, live, task.object) && !ownershipRefusal(live, task, opts)) {
    opts.secrets?.add(live);
    return { live, predicted: live, modified: false, diff: '', desired: task.object };
  }
  return compareObject(client, task, opts, live ?? null);
}

/**
 * The watch's copy of an object a running operation awaits, when it can stand for a GET: it is this
 * owner's, and not older than what this owner last applied or read (its generation, an integer the
 * API server only raises, at least the remembered one's; with no such record, or no generation, the
 * object is read). Status changes, which a roll-out is made of, keep the generation, so a wave's
 * objects are compared without a read while they roll out. A copy lagging behind a metadata-only
 * change can show a momentary OutOfSync, which a running operation never acts on; the next watch
 * event corrects it.
 */
function fromCache(
  deps: Parameters<typeof compareApp>[1],
  owner: string,
  key: string,
  ref: ObjectRef,
): KubeObject | undefined {
  const cached = deps.versions?.object?.(ref);
  if (!cached || !isOwnedBy(cached, owner)) return undefined;
  const known = deps.memo?.known(owner, key);
  const now = cached.metadata.generation;
  const then = known?.metadata.generation;
  if (now === undefined || then === undefined || now < then) return undefined;
  return cached;
}

/** `objectKey` of a reference. */
function refKey(ref: ObjectRef): string {
  const slash = ref.apiVersion.indexOf('/');
  return `${slash < 0 ? '' : ref.apiVersion.slice(0, slash)}/${ref.kind}/${ref.namespace ?? ''}/${ref.name}`;
}

/**
 * The comparison after a sync step, without comparing again: what was applied is Synced with the
 * health of the API server's answer, what was pruned is gone, the rest is as compared.
 */
export function afterSync(
  cmp: Comparison,
  step: Pick<SyncStepResult, 'applied' | 'pruned' | 'changes'>,
  // The same health rules as the comparison (Project CEL, overrides): without them a kind only a
  // rule knows reads Healthy for one status write, which lets a roll-out advance past it.
  healthOpts?: AssessHealthOptions,
): Comparison {
  const failed = new Set(step.changes.filter((c) => c.action === 'failed').map((c) => refKey(c.ref)));
  const resources: ResourceState[] = [];
  for (const r of cmp.resources) {
    const k = refKey(r.ref);
    if (step.pruned.has(k)) continue;
    const live: KubeObject | undefined = step.applied.get(k);
    if (!live || failed.has(k)) {
      resources.push(r);
      continue;
    }
    const health = assessHealth(live, healthOpts);
    resources.push({ ref: r.ref, status: 'Synced', ...(health ? { health } : {}) });
  }
  return {
    ...cmp,
    status: resources.some((r) => r.status === 'OutOfSync') ? 'OutOfSync' : 'Synced',
    health: aggregateHealth(resources.map((r) => r.health)),
    resources,
  };
}
