import { formatObjectRef } from '../../core/object-ref.js';
import { GitfleetError } from '../../core/errors.js';
import { refOf, type KubeClient } from '../../kube/client.js';
import {
  applyObject,
  FIELD_MANAGER,
  ownershipRefusal,
  type ApplyObjectOptions,
} from '../apply/apply-object.js';
import type { ChangeSetEntry } from '../apply/changeset.js';
import type { IgnoreRule } from '../diff/diff.js';
import { secretMaskOf, type SecretMask } from '../diff/mask.js';
import { assessHealth } from '../health/index.js';
import type { HealthResult } from '../health/types.js';
import { mergeInventories, type InventoryEntry } from '../inventory/inventory.js';
import type { InventoryStore } from '../inventory/store.js';
import type { Manifest } from '../manifest.js';
import { planSync, type SyncPlan, type SyncStep, type SyncTask } from '../plan/plan.js';
import { kindRank } from '../plan/order.js';
import { mapLimit } from '../../core/concurrency.js';
import { discoverScopes } from './scopes.js';
import { deleteExactly, pruneStale, type PropagationPolicy } from '../prune/prune.js';

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
  forceConflicts: boolean;
  /** Argo CD's RespectIgnoreDifferences=true: ignored fields keep their live values when applied. */
  respectIgnoreDifferences?: boolean;
  /** Argo CD's Application-level Replace=true: existing objects are replaced, not applied. */
  replace?: boolean;
  /** How pruned objects' dependents are deleted; default Background. */
  prunePropagationPolicy?: PropagationPolicy;
  ignore: IgnoreRule[];
  /** Longest wait for one step's objects to become healthy; default 5 minutes. */
  healthTimeoutMs?: number;
  dryRun?: boolean;
  signal?: AbortSignal;
}

export interface SyncDeps {
  client: KubeClient;
  inventory: InventoryStore;
  /** Sleep between health polls; injectable for tests. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export interface SyncResult {
  phase: 'Succeeded' | 'Failed';
  message: string;
  changes: ChangeSetEntry[];
  /** The inventory saved at the end: what the Application owns now. */
  inventory: InventoryEntry[];
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

/**
 * Runs one sync: plan, then step by step (Namespaces and CRDs, PreSync hooks, Sync waves, prune,
 * PostSync hooks) applying by server-side apply and waiting for each step to be healthy. A failed
 * step stops the sync and runs the SyncFail hooks. The inventory is widened before anything is
 * applied and narrowed only after prune, so a crash never leaves an owned object untracked.
 */
export async function runSync(req: SyncRequest, deps: SyncDeps): Promise<SyncResult> {
  // Every message leaves the engine through here: API-server errors may echo a Secret's value.
  const secrets = secretMaskOf(req.manifests.map((m) => m.object));
  try {
    return maskResult(await syncSteps(req, deps, secrets), secrets);
  } catch (e) {
    throw secrets.maskError(e);
  }
}

/** The result with every known Secret value masked out of its messages, diffs and health. */
function maskResult(r: SyncResult, secrets: SecretMask): SyncResult {
  return { ...r, message: secrets.mask(r.message), changes: r.changes.map((c) => maskChange(c, secrets)) };
}

export function maskChange(c: ChangeSetEntry, secrets: SecretMask): ChangeSetEntry {
  return {
    ...c,
    ...(c.message ? { message: secrets.mask(c.message) } : {}),
    ...(c.diff ? { diff: secrets.mask(c.diff) } : {}),
    ...(c.health?.message ? { health: { ...c.health, message: secrets.mask(c.health.message) } } : {}),
  };
}

async function syncSteps(req: SyncRequest, deps: SyncDeps, secrets: SecretMask): Promise<SyncResult> {
  const { client } = deps;
  const sleep = deps.sleep ?? defaultSleep;
  if (req.manifests.length === 0 && !req.allowEmpty) throw new EmptyRenderError();
  const previous = await deps.inventory.load(req.owner, req.signal);
  const plan: SyncPlan = planSync({
    manifests: req.manifests,
    owner: req.owner,
    defaultNamespace: req.defaultNamespace,
    isNamespaced: await discoverScopes(client, req.manifests, req.signal),
    previousInventory: previous,
  });
  const opts: ApplyObjectOptions = {
    owner: req.owner,
    forceConflicts: req.forceConflicts,
    takeover: false,
    ignore: req.ignore,
    respectIgnoreDifferences: req.respectIgnoreDifferences ?? false,
    replace: req.replace ?? false,
    dryRun: req.dryRun ?? false,
    secrets,
    signal: req.signal,
  };
  const changes: ChangeSetEntry[] = [];
  const fail = async (message: string): Promise<SyncResult> => {
    if (!opts.dryRun) {
      for (const step of plan.syncFail) await runStep(step, client, opts, changes, req, sleep);
    }
    return { phase: 'Failed', message, changes, inventory: mergeInventories(plan.inventory, previous) };
  };

  if (!opts.dryRun) {
    if (req.createNamespace) {
      await client.apply(
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: req.defaultNamespace } },
        { fieldManager: FIELD_MANAGER, signal: req.signal },
      );
    }
    await deps.inventory.save(req.owner, mergeInventories(plan.inventory, previous), req.signal);
  }

  // Prune runs once, after the Sync phase and before PostSync hooks (or at the end without any).
  let kept: InventoryEntry[] | undefined;
  const prune = async (): Promise<void> => {
    if (kept) return;
    const r = await pruneStale(client, plan.prune, {
      owner: req.owner,
      enabled: req.prune,
      ...(req.prunePropagationPolicy ? { propagationPolicy: req.prunePropagationPolicy } : {}),
      dryRun: opts.dryRun,
      secrets,
      signal: req.signal,
    });
    changes.push(...r.changes);
    kept = r.kept;
  };
  for (const step of plan.steps) {
    if (step.phase === 'PostSync') await prune();
    const err = await runStep(step, client, opts, changes, req, sleep);
    if (err) return fail(err);
    if (step.tasks.some((t) => t.object.kind === 'CustomResourceDefinition')) client.invalidateDiscovery();
  }
  await prune();
  const inventory = mergeInventories(plan.inventory, kept ?? []);
  if (!opts.dryRun) await deps.inventory.save(req.owner, inventory, req.signal);
  const failed = changes.filter((c) => c.action === 'failed');
  if (failed.length)
    return { phase: 'Failed', message: failed.map((c) => c.message).join('; '), changes, inventory };
  const n = changes.filter((c) => c.action !== 'unchanged').length;
  return { phase: 'Succeeded', message: `${n} change(s) applied`, changes, inventory };
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

/** Applies one step and waits for it; returns an error message, or undefined when the step succeeded. */
async function runStep(
  step: SyncStep,
  client: KubeClient,
  opts: ApplyObjectOptions,
  changes: ChangeSetEntry[],
  req: SyncRequest,
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>,
): Promise<string | undefined> {
  const applied: SyncTask[] = [];
  // Kinds apply in order (a ServiceAccount before the Deployment that uses it); objects of one
  // kind are independent and go in parallel.
  for (const group of groupByKindRank(step.tasks)) {
    const entries = await mapLimit(group, APPLY_CONCURRENCY, async (task) => {
      if (task.hook && !opts.dryRun && task.deletePolicies.includes('BeforeHookCreation')) {
        const refused = await deleteOwnedAndWait(client, task, opts, sleep);
        if (refused)
          return { ref: refOf(task.object), hook: true, action: 'failed' as const, message: refused };
      }
      return applyObject(client, task, opts);
    });
    changes.push(...entries);
    const failed = entries.find((e) => e.action === 'failed');
    if (failed)
      return `${step.phase} wave ${step.wave === Number.MIN_SAFE_INTEGER ? '(namespaces and CRDs)' : step.wave}: ${failed.message ?? 'failed'}`;
    applied.push(...group);
  }
  if (opts.dryRun) return undefined;
  const hookPhase = step.tasks.some((t) => t.hook);
  const health = await waitHealthy(client, applied, req.healthTimeoutMs ?? 300_000, sleep, req.signal);
  for (const task of applied) {
    const h = health.results.get(task);
    const entry = changes.find(
      (c) =>
        c.ref.name === task.object.metadata.name &&
        c.ref.kind === task.object.kind &&
        c.ref.namespace === task.object.metadata.namespace,
    );
    if (entry && h) entry.health = h;
    if (task.hook) {
      const succeeded = h?.status === 'Healthy' || h === undefined;
      const policy = succeeded ? 'HookSucceeded' : 'HookFailed';
      if (task.deletePolicies.includes(policy)) await deleteOwnedAndWait(client, task, opts, sleep, false);
    }
  }
  if (health.error)
    return `${step.phase}${hookPhase ? ' hook' : ''} wave ${step.wave === Number.MIN_SAFE_INTEGER ? '(namespaces and CRDs)' : step.wave}: ${health.error}`;
  return undefined;
}

/**
 * Polls the step's objects until every one with a health is Healthy or Suspended. Degraded ends
 * the wait with an error at once; so does the timeout, naming what was still not healthy.
 */
async function waitHealthy(
  client: KubeClient,
  tasks: SyncTask[],
  timeoutMs: number,
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>,
  signal?: AbortSignal,
): Promise<{ results: Map<SyncTask, HealthResult | undefined>; error?: string }> {
  const deadline = Date.now() + timeoutMs;
  const results = new Map<SyncTask, HealthResult | undefined>();
  for (let delay = 100; ; delay = Math.min(delay * 2, 2000)) {
    const waiting: string[] = [];
    const lives = await mapLimit(tasks, APPLY_CONCURRENCY, (t) =>
      client.getOrUndefined(refOf(t.object), signal),
    );
    for (const [i, t] of tasks.entries()) {
      const live = lives[i];
      const h: HealthResult | undefined = live
        ? assessHealth(live)
        : { status: 'Missing', message: 'object not found' };
      results.set(t, h);
      if (h?.status === 'Degraded')
        return {
          results,
          error: `${formatObjectRef(refOf(t.object))} is Degraded: ${h.message ?? ''}`.trim(),
        };
      if (h && h.status !== 'Healthy' && h.status !== 'Suspended')
        waiting.push(`${formatObjectRef(refOf(t.object))} (${h.status}${h.message ? `: ${h.message}` : ''})`);
    }
    if (waiting.length === 0) return { results };
    if (Date.now() > deadline)
      return { results, error: `timed out after ${timeoutMs} ms waiting for ${waiting.join(', ')}` };
    await sleep(delay, signal);
  }
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
): Promise<string | undefined> {
  const ref = refOf(task.object);
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
