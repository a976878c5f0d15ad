import { formatObjectRef, type ObjectRef } from '../../core/object-ref.js';
import { GitfleetError } from '../../core/errors.js';
import { refOf, type KubeClient } from '../../kube/client.js';
import type { KubeObject } from '../../kube/types.js';
import {
  applyTask,
  FIELD_MANAGER,
  ownershipRefusal,
  type ApplyObjectOptions,
  type Comparison as ObjectComparison,
} from '../apply/apply-object.js';
import type { ChangeSetEntry } from '../apply/changeset.js';
import type { IgnoreRule } from '../diff/diff.js';
import { secretMaskOf, type SecretMask } from '../diff/mask.js';
import { assessHealth, type AssessHealthOptions } from '../health/index.js';
import type { HealthResult } from '../health/types.js';
import {
  encodeInventory,
  entryKey,
  entryOf,
  mergeInventories,
  type InventoryEntry,
} from '../inventory/inventory.js';
import type { InventoryStore } from '../inventory/store.js';
import type { Manifest } from '../manifest.js';
import { planSync, type SyncPlan, type SyncStep, type SyncTask } from '../plan/plan.js';
import type { HookPhase } from '../plan/annotations.js';
import { kindRank } from '../plan/order.js';
import { mapLimit } from '../../core/concurrency.js';
import { discoverScopes } from './scopes.js';
import type { CompareMemo } from './memo.js';
import { deleteExactly, pruneStale, type PropagationPolicy } from '../prune/prune.js';
import {
  createGenerated,
  deleteEarlierRuns,
  generatedKey,
  isGenerated,
  liveRefOf,
} from './generated-hooks.js';

export interface SyncRequest {
  /** `<app namespace>/<app name>`: written into every object and checked before any prune. */
  owner: string;
  manifests: Manifest[];
  defaultNamespace: string;
  /** Delete what the previous inventory holds and Git no longer declares. Default false. */
  prune: boolean;
  /** Allow a render with no objects to prune everything. Default false. */
  allowEmpty: boolean;
  createNamespace: boolean;
  /** Labels and annotations of the namespace createNamespace creates (Argo CD's managedNamespaceMetadata). */
  namespaceMetadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  forceConflicts: boolean;
  /** Argo CD's RespectIgnoreDifferences=true: ignored fields keep their live values when applied. */
  respectIgnoreDifferences?: boolean;
  /** Argo CD's Application-level Replace=true: existing objects are replaced, not applied. */
  replace?: boolean;
  /** How pruned objects' dependents are deleted; default Background. */
  prunePropagationPolicy?: PropagationPolicy;
  ignore: IgnoreRule[];
  /** Longest wait for one step's objects to become healthy, counted across calls; default 5 minutes. */
  healthTimeoutMs?: number;
  /** Custom health (CEL overrides per group/kind); default the built-in assessors. */
  health?: AssessHealthOptions;
  signal?: AbortSignal;
}

/** The plan of one reconcile, built once and shared by the comparison and the sync step. */
export interface PreparedSync {
  plan: SyncPlan;
  /** The inventory saved in the cluster before this reconcile. */
  previous: InventoryEntry[];
}

export interface SyncDeps {
  client: KubeClient;
  inventory: InventoryStore;
  /** The plan this reconcile already built (compare.ts); built here when absent. */
  prepared?: PreparedSync;
  /** What this reconcile's comparison found per object (`objectKey`): unchanged objects are not re-read or applied. */
  compared?: Map<string, ObjectComparison>;
  /** Told what each apply answered, so the next comparison can skip unchanged objects (memo.ts). */
  memo?: CompareMemo;
  /** Sleep while a hook's old object is deleted; injectable for tests. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** The clock, injectable for tests of the health timeout. */
  now?: () => number;
}

/**
 * Where an operation stands between calls; persisted in status.operationState so a restarted
 * controller resumes at the same step. Steps are the plan's steps with prune inserted before the
 * first PostSync step (or at the end).
 */
export interface SyncProgress {
  /** Index of the step to run (or being waited on). */
  step: number;
  /** Set when that step was applied and its objects' health is awaited: since when (epoch ms). */
  waitingSince?: number;
  /** Owned objects prune left in place (Prune=false, disabled prune, failed delete): kept in the inventory. */
  kept?: InventoryEntry[];
  /**
   * Set once the operation has failed and its SyncFail hooks run (Argo CD's meaning): why it
   * failed, and the SyncFail step being run or awaited. The operation ends Failed after them.
   */
  failing?: { message: string; step: number };
  /**
   * The names the API server gave the generateName hooks created so far (generated-hooks.ts
   * `generatedKey` → name), so an awaited hook is read, and deleted, by its real name.
   */
  generated?: Record<string, string>;
}

export interface SyncStepResult {
  /** Running: call again (after `retryAfterMs`) with `progress`; the others end the operation. */
  phase: 'Running' | 'Succeeded' | 'Failed';
  message: string;
  progress: SyncProgress;
  /** Every change of the operation so far: those passed in and this call's. */
  changes: ChangeSetEntry[];
  /** The inventory saved: what the Application owns now. */
  inventory: InventoryEntry[];
  /** Objects applied in this call, as the API server answered (the post-apply state), by `objectKey`. */
  applied: Map<string, KubeObject>;
  /** Objects pruned in this call, by `objectKey`. */
  pruned: Set<string>;
  /** The step count, for messages ("step 2 of 4"). */
  steps: number;
  /** The phase of the step run or awaited last (Argo CD's PreSync, Sync, PostSync, SyncFail). */
  syncPhase: HookPhase;
  /** Running: the objects of the step waited on (hooks included), whose changes should wake the caller. */
  awaited: InventoryEntry[];
}

/** Nothing may be applied or pruned: the render came back empty and allowEmpty is off. */
export class EmptyRenderError extends GitfleetError {
  constructor() {
    super(
      'sync.EmptyRender',
      'the source rendered no objects; refusing to sync (set allowEmpty to prune everything)',
    );
  }
}

/** Identity of an object across plan, comparison and apply: group/kind/namespace/name. */
export function objectKey(o: KubeObject): string {
  return entryKey(entryOf(o));
}

const defaultSleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
      },
      { once: true },
    );
  });

/** Reads the inventory and discovery once and plans: the one plan of a reconcile. */
export async function prepareSync(
  req: Pick<SyncRequest, 'owner' | 'manifests' | 'defaultNamespace' | 'signal'>,
  deps: Pick<SyncDeps, 'client' | 'inventory'>,
): Promise<PreparedSync> {
  const previous = await deps.inventory.load(req.owner, req.signal);
  const plan = planSync({
    manifests: req.manifests,
    owner: req.owner,
    defaultNamespace: req.defaultNamespace,
    isNamespaced: await discoverScopes(deps.client, req.manifests, req.signal),
    previousInventory: previous,
  });
  return { plan, previous };
}

type Step = { kind: 'apply'; step: SyncStep } | { kind: 'prune' };

/** The executor's steps: the plan's, with prune once after the Sync phase (before PostSync hooks). */
export function stepsOf(plan: SyncPlan): Step[] {
  const out: Step[] = [];
  let pruned = false;
  for (const step of plan.steps) {
    if (step.phase === 'PostSync' && !pruned) {
      out.push({ kind: 'prune' });
      pruned = true;
    }
    out.push({ kind: 'apply', step });
  }
  if (!pruned) out.push({ kind: 'prune' });
  return out;
}

/**
 * Runs the operation forward from `progress` (a new one when absent) and returns as soon as a
 * step's objects must be waited for: one call never waits on health. Steps whose objects are
 * healthy at once are chained in the same call. As in Argo CD, health is awaited between steps
 * (a later wave, PostSync hooks) and for hooks, never after the last plain wave: an operation that
 * applied everything ends Succeeded while its objects still roll out. The inventory is widened
 * before anything is applied and narrowed only when the operation ends, so a crash or a
 * restart never leaves an owned object untracked.
 */
export async function syncNext(
  req: SyncRequest,
  deps: SyncDeps,
  prior: { progress?: SyncProgress; changes?: ChangeSetEntry[] } = {},
): Promise<SyncStepResult> {
  // Every message leaves the engine through here: API-server errors may echo a Secret's value.
  const secrets = secretMaskOf(req.manifests.map((m) => m.object));
  try {
    const r = await runSteps(req, deps, prior, secrets);
    return {
      ...r,
      message: secrets.mask(r.message),
      changes: r.changes.map((c) => maskChange(c, secrets)),
    };
  } catch (e) {
    throw secrets.maskError(e);
  }
}

export function maskChange(c: ChangeSetEntry, secrets: SecretMask): ChangeSetEntry {
  return {
    ...c,
    ...(c.message ? { message: secrets.mask(c.message) } : {}),
    ...(c.diff ? { diff: secrets.mask(c.diff) } : {}),
    ...(c.health?.message ? { health: { ...c.health, message: secrets.mask(c.health.message) } } : {}),
  };
}

async function runSteps(
  req: SyncRequest,
  deps: SyncDeps,
  prior: { progress?: SyncProgress; changes?: ChangeSetEntry[] },
  secrets: SecretMask,
): Promise<SyncStepResult> {
  const { client } = deps;
  const now = deps.now ?? Date.now;
  if (req.manifests.length === 0 && !req.allowEmpty) throw new EmptyRenderError();
  const { plan, previous } = deps.prepared ?? (await prepareSync(req, deps));
  const steps = stepsOf(plan);
  const opts: ApplyObjectOptions = {
    owner: req.owner,
    forceConflicts: req.forceConflicts,
    takeover: false,
    ignore: req.ignore,
    respectIgnoreDifferences: req.respectIgnoreDifferences ?? false,
    replace: req.replace ?? false,
    dryRun: false,
    secrets,
    ...(req.health ? { health: req.health } : {}),
    signal: req.signal,
  };
  const changes = [...(prior.changes ?? [])];
  const applied = new Map<string, KubeObject>();
  const pruned = new Set<string>();
  const progress: SyncProgress = prior.progress ? { ...prior.progress } : { step: 0 };
  if (progress.failing) progress.failing = { ...progress.failing };
  const generated: Record<string, string> = { ...progress.generated };
  progress.generated = generated;
  const refFor = (t: SyncTask) => liveRefOf(t, generated);
  const phaseNow = (): HookPhase => {
    if (progress.failing) return 'SyncFail';
    const s = steps[Math.min(progress.step, steps.length - 1)];
    return s?.kind === 'apply' ? s.step.phase : 'Sync';
  };
  const result = (
    phase: SyncStepResult['phase'],
    message: string,
    inventory: InventoryEntry[],
  ): SyncStepResult => ({
    phase,
    message,
    progress,
    changes,
    inventory,
    applied,
    pruned,
    steps: steps.length,
    syncPhase: phaseNow(),
    awaited: phase === 'Running' ? awaitedNow() : [],
  });
  const awaitedNow = (): InventoryEntry[] => {
    const f = progress.failing;
    const s = f ? undefined : steps[progress.step];
    const step = f ? plan.syncFail[f.step] : s?.kind === 'apply' ? s.step : undefined;
    return (step?.tasks ?? []).map((t) => entryOf(t.object));
  };
  // Until the operation ends the saved inventory is the union of old and new: nothing untracked.
  const widened = mergeInventories(plan.inventory, previous);
  /** What the cluster holds now: read at the start of this reconcile, or saved since. */
  let stored = previous;
  /**
   * The operation failed: its SyncFail hooks (Argo CD's meaning) are applied and awaited, step by
   * step across calls like any hook; it then ends Failed with the first failure's message (and
   * theirs, if they fail too).
   */
  const runSyncFail = async (): Promise<SyncStepResult> => {
    const f = progress.failing;
    if (!f) throw new Error('runSyncFail without a failure');
    for (; f.step < plan.syncFail.length; f.step++) {
      const step = plan.syncFail[f.step];
      if (!step) break;
      let lives: (KubeObject | undefined)[];
      if (progress.waitingSince === undefined) {
        const err = await applyStep(step, client, opts, deps, changes, applied, generated);
        if (err) return result('Failed', `${f.message}; SyncFail hook: ${err}`, widened);
        progress.waitingSince = now();
        lives = step.tasks.map((t) => applied.get(objectKey(t.object)));
      } else lives = await readStep(step);
      const look = await lookAt(step, lives);
      if (look.degraded) return result('Failed', `${f.message}; SyncFail hook: ${look.degraded}`, widened);
      if (look.waiting.length) {
        const timeout = req.healthTimeoutMs ?? 300_000;
        if (now() - progress.waitingSince > timeout)
          return result(
            'Failed',
            `${f.message}; SyncFail hook: timed out after ${timeout} ms waiting for ${look.waiting.join(', ')}`,
            widened,
          );
        return result(
          'Running',
          `failed, running SyncFail hooks: waiting for ${look.waiting.join(', ')}`,
          widened,
        );
      }
      delete progress.waitingSince;
    }
    return result('Failed', f.message, widened);
  };
  const fail = async (message: string): Promise<SyncStepResult> => {
    if (!plan.syncFail.length) return result('Failed', message, widened);
    progress.failing = { message, step: 0 };
    delete progress.waitingSince;
    return runSyncFail();
  };
  // An awaited wave's objects were just read by this reconcile's comparison (from the watch while
  // an operation runs): its answer is their state, so a wake-up reads them no second time. Hooks
  // are never compared (and a watch may still hold a previous run of the same name): read.
  const readStep = (step: SyncStep): Promise<(KubeObject | undefined)[]> =>
    mapLimit(step.tasks, APPLY_CONCURRENCY, (t) => {
      const seen = t.hook ? undefined : deps.compared?.get(objectKey(t.object));
      return seen ? Promise.resolve(seen.live) : client.getOrUndefined(refFor(t), req.signal);
    });
  /** One look at an applied step: health recorded on its changes, finished hooks deleted by policy. */
  const lookAt = async (
    step: SyncStep,
    lives: (KubeObject | undefined)[],
  ): Promise<{ waiting: string[]; degraded?: string }> => {
    const health = assessStep(step.tasks.map(refFor), lives, req.health);
    for (const [i, t] of step.tasks.entries()) {
      const entry = changes.findLast((c) => sameObject(c, refFor(t)));
      const h = health.results[i];
      if (entry && h) entry.health = h;
    }
    if (health.degraded || health.waiting.length === 0) {
      for (const [i, t] of step.tasks.entries()) {
        if (!t.hook) continue;
        const ok = health.results[i]?.status !== 'Degraded';
        if (t.deletePolicies.includes(ok ? 'HookSucceeded' : 'HookFailed'))
          await deleteOwnedAndWait(client, t, opts, deps.sleep ?? defaultSleep, false, refFor(t));
      }
    }
    return health;
  };
  if (progress.failing) return runSyncFail();

  if (!prior.progress) {
    if (req.createNamespace) {
      const { labels, annotations } = req.namespaceMetadata ?? {};
      await client.apply(
        {
          apiVersion: 'v1',
          kind: 'Namespace',
          metadata: {
            name: req.defaultNamespace,
            ...(labels && Object.keys(labels).length ? { labels } : {}),
            ...(annotations && Object.keys(annotations).length ? { annotations } : {}),
          },
        },
        { fieldManager: FIELD_MANAGER, signal: req.signal },
      );
    }
    // Saved only when it changes: a no-op sync writes nothing.
    if (encodeInventory(widened) !== encodeInventory(stored)) {
      await deps.inventory.save(req.owner, widened, req.signal);
      stored = widened;
    }
  }

  for (; progress.step < steps.length; progress.step++) {
    const s = steps[progress.step];
    if (!s) break;
    if (s.kind === 'prune') {
      const r = await pruneStale(client, plan.prune, {
        owner: req.owner,
        enabled: req.prune,
        ...(req.prunePropagationPolicy ? { propagationPolicy: req.prunePropagationPolicy } : {}),
        dryRun: false,
        secrets,
        signal: req.signal,
      });
      changes.push(...r.changes);
      for (const c of r.changes)
        if (c.action === 'deleted') pruned.add(`${groupKey(c.ref)}/${c.ref.namespace ?? ''}/${c.ref.name}`);
      progress.kept = r.kept;
      continue;
    }
    const { step } = s;
    const label = stepLabel(step);
    let lives: (KubeObject | undefined)[];
    if (progress.waitingSince === undefined) {
      const err = await applyStep(step, client, opts, deps, changes, applied, generated);
      if (err) return fail(`${label}: ${err}`);
      if (step.tasks.some((t) => t.object.kind === 'CustomResourceDefinition')) client.invalidateDiscovery();
      // The last plain step is not awaited (Argo CD's rule): the app's health reports the roll-out.
      const awaited =
        step.tasks.some((t) => t.hook) || steps.slice(progress.step + 1).some((x) => x.kind === 'apply');
      if (!awaited) continue;
      progress.waitingSince = now();
      // Right after the apply, its answers are the live state: no read.
      lives = step.tasks.map((t) => applied.get(objectKey(t.object)));
    } else lives = await readStep(step);
    const health = await lookAt(step, lives);
    if (health.degraded) return fail(`${label}${isHookStep(step) ? ' hook' : ''}: ${health.degraded}`);
    if (health.waiting.length) {
      const timeout = req.healthTimeoutMs ?? 300_000;
      if (now() - progress.waitingSince > timeout)
        return fail(
          `${label}${isHookStep(step) ? ' hook' : ''}: timed out after ${timeout} ms waiting for ${health.waiting.join(', ')}`,
        );
      return result(
        'Running',
        `step ${progress.step + 1} of ${steps.length} (${label}): waiting for ${health.waiting.join(', ')}`,
        widened,
      );
    }
    delete progress.waitingSince;
  }

  const inventory = mergeInventories(plan.inventory, progress.kept ?? []);
  if (encodeInventory(inventory) !== encodeInventory(stored))
    await deps.inventory.save(req.owner, inventory, req.signal);
  const failed = changes.filter((c) => c.action === 'failed');
  if (failed.length) return result('Failed', failed.map((c) => c.message).join('; '), inventory);
  const n = changes.filter((c) => c.action !== 'unchanged').length;
  return result('Succeeded', `${n} change(s) applied`, inventory);
}

function groupKey(ref: { apiVersion: string; kind: string }): string {
  const slash = ref.apiVersion.indexOf('/');
  return `${slash < 0 ? '' : ref.apiVersion.slice(0, slash)}/${ref.kind}`;
}

function sameObject(
  c: ChangeSetEntry,
  o: { kind: string; namespace?: string | undefined; name: string },
): boolean {
  return c.ref.name === o.name && c.ref.kind === o.kind && c.ref.namespace === o.namespace;
}

function isHookStep(step: SyncStep): boolean {
  return step.tasks.some((t) => t.hook);
}

function stepLabel(step: SyncStep): string {
  return `${step.phase} wave ${step.wave === Number.MIN_SAFE_INTEGER ? '(namespaces and CRDs)' : step.wave}`;
}

/** Objects applied at once within one kind of one step. */
const APPLY_CONCURRENCY = 8;

function groupByKindRank(tasks: SyncTask[]): SyncTask[][] {
  const groups: SyncTask[][] = [];
  for (const t of tasks) {
    const last = groups[groups.length - 1];
    const head = last?.[0];
    if (last && head && kindRank(head.object.kind) === kindRank(t.object.kind)) last.push(t);
    else groups.push([t]);
  }
  return groups;
}

/** Applies one step's objects; returns the first failure's message, or undefined. */
async function applyStep(
  step: SyncStep,
  client: KubeClient,
  opts: ApplyObjectOptions,
  deps: SyncDeps,
  changes: ChangeSetEntry[],
  applied: Map<string, KubeObject>,
  generated: Record<string, string>,
): Promise<string | undefined> {
  const sleep = deps.sleep ?? defaultSleep;
  // Kinds apply in order (a ServiceAccount before the Deployment that uses it); objects of one
  // kind are independent and go in parallel.
  for (const group of groupByKindRank(step.tasks)) {
    const entries = await mapLimit(group, APPLY_CONCURRENCY, async (task): Promise<ChangeSetEntry> => {
      if (task.hook && isGenerated(task.object)) {
        const run = await runGenerated(client, task, opts);
        if (!run.live) return { ...run.failed, syncPhase: step.phase };
        const { live } = run;
        generated[generatedKey(task)] = live.metadata.name;
        applied.set(objectKey(task.object), live);
        return { ref: refOf(live), hook: true, action: 'created', syncPhase: step.phase };
      }
      if (task.hook && task.deletePolicies.includes('BeforeHookCreation')) {
        const refused = await deleteOwnedAndWait(client, task, opts, sleep);
        if (refused) return { ref: refOf(task.object), hook: true, action: 'failed', message: refused };
      }
      // Hooks are never compared (they are re-created): their known state is not reused.
      const known = task.hook ? undefined : deps.compared?.get(objectKey(task.object));
      const r = await applyTask(client, task, opts, known);
      if (r.live) applied.set(objectKey(task.object), r.live);
      if (!task.hook) rememberApplied(deps.memo, task, opts, r);
      return { ...r.entry, syncPhase: step.phase };
    });
    changes.push(...entries);
    const failed = entries.find((e) => e.action === 'failed');
    if (failed) return failed.message ?? 'failed';
  }
  return undefined;
}

/**
 * A new run of a generateName hook: earlier runs go first under BeforeHookCreation (found by the
 * hook's template label), then the object is POSTed and the server's answer returned.
 */
async function runGenerated(
  client: KubeClient,
  task: SyncTask,
  opts: ApplyObjectOptions,
): Promise<{ live: KubeObject; failed?: never } | { live?: never; failed: ChangeSetEntry }> {
  const ref = refOf(task.object);
  try {
    if (task.deletePolicies.includes('BeforeHookCreation'))
      await deleteEarlierRuns(client, task, opts.owner, opts.signal);
    const live = await createGenerated(client, task, opts.owner, opts.signal);
    opts.secrets?.add(live);
    return { live };
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    return {
      failed: {
        ref,
        hook: true,
        action: 'failed',
        message: `${formatObjectRef(ref)} (generateName): ${msg}`,
      },
    };
  }
}

/**
 * One look at a step's objects: Degraded fails the step at once; every object with a health
 * Healthy or Suspended lets it pass; the rest are waited for.
 */
function assessStep(
  refs: ObjectRef[],
  lives: (KubeObject | undefined)[],
  healthOpts?: AssessHealthOptions,
): { results: (HealthResult | undefined)[]; waiting: string[]; degraded?: string } {
  const results: (HealthResult | undefined)[] = [];
  const waiting: string[] = [];
  let degraded: string | undefined;
  for (const [i, ref] of refs.entries()) {
    const live = lives[i];
    const h: HealthResult | undefined = live
      ? assessHealth(live, healthOpts)
      : { status: 'Missing', message: 'object not found' };
    results.push(h);
    const name = formatObjectRef(ref);
    if (h?.status === 'Degraded') degraded ??= `${name} is Degraded: ${h.message ?? ''}`.trim();
    else if (h && h.status !== 'Healthy' && h.status !== 'Suspended')
      waiting.push(`${name} (${h.status}${h.message ? `: ${h.message}` : ''})`);
  }
  return { results, waiting, ...(degraded ? { degraded } : {}) };
}

/**
 * Deletes a hook's live object (and waits until it is gone, unless `wait` is false) only when its
 * owner annotation names this owner: a same-named object of another team is never deleted. Returns
 * why it refused, or undefined when the object is gone or was never there.
 */
async function deleteOwnedAndWait(
  client: KubeClient,
  task: SyncTask,
  opts: ApplyObjectOptions,
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>,
  wait = true,
  ref = refOf(task.object),
): Promise<string | undefined> {
  const live = await client.getOrUndefined(ref, opts.signal);
  if (!live) return undefined;
  opts.secrets?.add(live);
  const refused = ownershipRefusal(live, task, opts);
  if (refused) return `${task.phase} hook: ${refused}`;
  if (!(await deleteExactly(client, ref, live.metadata.uid, opts.signal))) return undefined;
  if (!wait) return undefined;
  for (let i = 0; i < 300; i++) {
    if (!(await client.getOrUndefined(ref, opts.signal))) return undefined;
    await sleep(100, opts.signal);
  }
  return undefined;
}

/**
 * A server-side apply's answer is what a dry-run of the same object would predict next time, so
 * it is remembered as in sync. Not after a PUT (Replace=true: another field manager operation) or
 * under RespectIgnoreDifferences (the applied object depends on the live one); a failure forgets.
 */
function rememberApplied(
  memo: CompareMemo | undefined,
  task: SyncTask,
  opts: ApplyObjectOptions,
  r: { entry: ChangeSetEntry; live?: KubeObject },
): void {
  if (!memo || opts.dryRun) return;
  const key = objectKey(task.object);
  const replace = (task.options.get('Replace') ?? (opts.replace ? 'true' : 'false')) === 'true';
  const ssa = r.entry.action === 'created' || (r.entry.action === 'configured' && !replace);
  if (r.live && ssa && !opts.respectIgnoreDifferences)
    memo.remember(
      opts.owner,
      key,
      { object: task.object, ignore: opts.ignore, takeover: opts.takeover, health: opts.health },
      r.live,
    );
  else if (r.entry.action !== 'unchanged') memo.forget(opts.owner, key);
}
