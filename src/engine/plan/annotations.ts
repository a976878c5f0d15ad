import type { KubeObject } from '../../kube/types.js';
import { helmHookDeletePolicy, helmHookValue, helmHookWeight } from './helm-hooks.js';

/**
 * Per-object annotations that steer a sync. gitfleet's own names come first; Argo CD's are read
 * too so that existing repositories work unchanged.
 */
export const SYNC_WAVE = ['gitfleet.dev/sync-wave', 'argocd.argoproj.io/sync-wave'];
export const HOOK = ['gitfleet.dev/hook', 'argocd.argoproj.io/hook'];
export const HOOK_DELETE_POLICY = [
  'gitfleet.dev/hook-delete-policy',
  'argocd.argoproj.io/hook-delete-policy',
];
export const SYNC_OPTIONS = ['gitfleet.dev/sync-options', 'argocd.argoproj.io/sync-options'];
export const COMPARE_OPTIONS = ['gitfleet.dev/compare-options', 'argocd.argoproj.io/compare-options'];

export type HookPhase = 'PreSync' | 'Sync' | 'PostSync' | 'SyncFail';
export const PHASES: HookPhase[] = ['PreSync', 'Sync', 'PostSync', 'SyncFail'];
export type HookDeletePolicy = 'HookSucceeded' | 'HookFailed' | 'BeforeHookCreation';

function annotation(obj: KubeObject, names: string[]): string | undefined {
  for (const n of names) {
    const v = obj.metadata.annotations?.[n];
    if (v !== undefined) return v;
  }
  return undefined;
}

/** The sync wave of an object; 0 when absent. Throws on a value that is not an integer. */
export function syncWave(obj: KubeObject): number {
  const v = annotation(obj, SYNC_WAVE) ?? helmHookWeight(obj);
  if (v === undefined || v.trim() === '') return 0;
  const n = Number(v);
  if (!Number.isInteger(n)) throw new Error(`annotation ${SYNC_WAVE[0]}: "${v}" is not an integer`);
  return n;
}

/** The hook phases an object runs in; empty for a normal (non-hook) object. Throws on unknown phases. */
export function hookPhases(obj: KubeObject): HookPhase[] {
  const v = annotation(obj, HOOK) ?? helmHookValue(obj);
  if (v === undefined) return [];
  const phases: HookPhase[] = [];
  for (const p of v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    if (p === 'Skip') return [];
    if (!(PHASES as string[]).includes(p)) {
      throw new Error(`annotation ${HOOK[0]}: unknown phase "${p}" (expected ${PHASES.join(', ')} or Skip)`);
    }
    phases.push(p as HookPhase);
  }
  return phases;
}

/** Whether the hook annotation says `Skip`: the object is rendered but never applied. */
export function isSkipped(obj: KubeObject): boolean {
  return (annotation(obj, HOOK) ?? helmHookValue(obj))?.split(',').some((p) => p.trim() === 'Skip') ?? false;
}

/** Hook delete policies; BeforeHookCreation when none is given (as Argo CD). */
export function hookDeletePolicies(obj: KubeObject): HookDeletePolicy[] {
  const v = annotation(obj, HOOK_DELETE_POLICY) ?? helmHookDeletePolicy(obj);
  if (v === undefined) return ['BeforeHookCreation'];
  const out: HookDeletePolicy[] = [];
  for (const p of v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    if (p !== 'HookSucceeded' && p !== 'HookFailed' && p !== 'BeforeHookCreation') {
      throw new Error(`annotation ${HOOK_DELETE_POLICY[0]}: unknown policy "${p}"`);
    }
    out.push(p);
  }
  return out;
}

/** Per-resource sync options: `Prune=false`, `Replace=true`, `Force=true`, `ServerSideApply=true`, … */
export function syncOptions(obj: KubeObject): Map<string, string> {
  const out = new Map<string, string>();
  for (const kv of (annotation(obj, SYNC_OPTIONS) ?? '').split(',')) {
    const [k, v] = kv.split('=').map((s) => s.trim());
    if (k) out.set(k, v ?? 'true');
  }
  return out;
}

/** Whether compare options say `IgnoreExtraneous` (an extra live object does not make the app OutOfSync). */
export function ignoreExtraneous(obj: KubeObject): boolean {
  return (annotation(obj, COMPARE_OPTIONS) ?? '').split(',').some((s) => s.trim() === 'IgnoreExtraneous');
}
